"""CPU against TEMPLATE for gathers (codegen/lowering/indexing.py) and compile-time data
movement (codegen/lowering/data_movement.py): results must be bit-identical."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import data_movement, indexing
from vinify.codegen.lowering.context import LOWERINGS
from vinify.runtime import Core

RNG = np.random.default_rng(11)


def run_both(graph, inputs):
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(inputs)
    actual = core.compile_model(graph, "CPU")(inputs)
    for index in range(len(graph.outputs)):
        np.testing.assert_array_equal(np.asarray(actual[index]), np.asarray(expected[index]))


def data(*shape, dtype=np.float32):
    return RNG.uniform(-5, 5, shape).astype(dtype)


def ints(values):
    return ir.constant(np.asarray(values, np.int64))


@pytest.mark.parametrize("dtype", ["f32", "i64"])
def test_gather_runtime_indices_negative_and_out_of_range(dtype):
    x = ir.parameter("x", dtype, (3, 5, 4))
    idx = ir.parameter("idx", "i32", (2, 3))
    graph = ir.Graph([x, idx], [ir.make("Gather", 8, [x, idx, ints(1)])])
    cast = np.float32 if dtype == "f32" else np.int64
    run_both(graph, [data(3, 5, 4, dtype=cast), np.array([[0, -1, 4], [2, 9, -6]], np.int32)])


def test_gather_with_batch_dims():
    x = ir.parameter("x", "f32", (2, 5, 3))
    idx = ir.parameter("idx", "i64", (2, 4))
    graph = ir.Graph([x, idx], [ir.make("Gather", 8, [x, idx, ints(1)], batch_dims=1)])
    run_both(graph, [data(2, 5, 3), RNG.integers(-5, 5, (2, 4))])


def test_gather_elements_and_gather_nd():
    x = ir.parameter("x", "f32", (3, 4, 5))
    idx = ir.parameter("idx", "i64", (3, 2, 5))
    nd_idx = ir.parameter("nd", "i64", (3, 2, 2))
    elements = ir.make("GatherElements", 6, [x, idx], axis=1)
    nd = ir.make("GatherND", 8, [x, nd_idx], batch_dims=1)
    nd5 = ir.make("GatherND", 5, [x, ir.constant(np.array([[1, -1], [2, 3]], np.int64))])
    graph = ir.Graph([x, idx, nd_idx], [elements, nd, nd5])
    run_both(graph, [data(3, 4, 5), RNG.integers(-4, 4, (3, 2, 5)),
                     np.stack([RNG.integers(0, 4, (2,)), RNG.integers(-5, 5, (2,))], -1)
                     [None].repeat(3, 0)])


MAPPED_CASES = [  # (name, version, extra inputs, attrs, input shape)
    ("Split", 1, [ints(1)], {"num_splits": 3}, (2, 6, 3)),
    ("VariadicSplit", 1, [ints(-1), ints([1, -1, 2])], {}, (2, 6)),
    ("Slice", 8, [ints([1, 5]), ints([3, 0]), ints([1, -2]), ints([0, 2])], {}, (4, 3, 7)),
    ("StridedSlice", 1, [ints([0, 1]), ints([2, -1]), ints([1, 2])],
     {"begin_mask": [0, 0], "end_mask": [0, 0], "shrink_axis_mask": [1, 0]}, (3, 9)),
    ("Tile", 1, [ints([2, 1, 3])], {}, (2, 3, 2)),
    ("Broadcast", 3, [ints([4, 2, 3])], {}, (2, 1)),
    ("Pad", 12, [ints([1, 0]), ints([2, -1])], {"pad_mode": "reflect"}, (4, 5)),
    ("Pad", 12, [ints([0, 2]), ints([1, 1])], {"pad_mode": "edge"}, (3, 4)),
    ("Reverse", 1, [ints([0, 2])], {"mode": "index"}, (2, 3, 4)),
    ("Roll", 7, [ints([2, -1]), ints([0, 1])], {}, (5, 4)),
    ("DepthToSpace", 1, [], {"mode": "blocks_first", "block_size": 2}, (1, 8, 2, 3)),
    ("SpaceToDepth", 1, [], {"mode": "depth_first", "block_size": 2}, (1, 2, 4, 6)),
    ("ShuffleChannels", 1, [], {"axis": 1, "group": 2}, (1, 6, 2, 2)),
    ("ReverseSequence", 1, [ints([3, 1, 4])], {"batch_axis": 0, "seq_axis": 1}, (3, 4, 2)),
]


@pytest.mark.parametrize("case", MAPPED_CASES, ids=lambda c: f"{c[0]}{c[3].get('pad_mode', '')}")
def test_compile_time_data_movement(case):
    name, version, extra, attrs, shape = case
    x = ir.parameter("x", "f32", shape)
    node = ir.make(name, version, [x, *extra], **attrs)
    outputs = list(node.outputs) if len(node.outputs) > 1 else [node]
    run_both(ir.Graph([x], outputs), [data(*shape)])


def test_constant_pad_with_runtime_value_on_integers():
    x = ir.parameter("x", "i32", (2, 3))
    value = ir.parameter("v", "i32", ())
    pad = ir.make("Pad", 12, [x, ints([1, 0]), ints([0, 2]), value], pad_mode="constant")
    run_both(ir.Graph([x, value], [pad]), [data(2, 3, dtype=np.int32), np.array(-7, np.int32)])


def test_identity_and_convert_like():
    x = ir.parameter("x", "f32", (3, 4))
    like = ir.parameter("like", "i32", (1,))
    graph = ir.Graph([x, like], [ir.make("Identity", 16, [x]),
                                 ir.make("ConvertLike", 1, [x, like])])
    run_both(graph, [data(3, 4), np.array([1], np.int32)])


@pytest.mark.parametrize("source,target", [("f32", "i32"), ("i32", "f32"), ("i8", "u8"),
                                           ("boolean", "u8")])
def test_bitcast_reinterprets_bytes(source, target):
    x = ir.parameter("x", source, (2, 5))
    values = {"f32": data(2, 5), "i32": RNG.integers(-2**31, 2**31 - 1, (2, 5), np.int32),
              "i8": RNG.integers(-128, 127, (2, 5), np.int8),
              "boolean": RNG.integers(0, 2, (2, 5)).astype(bool)}[source]
    cast = ir.make("BitCast", 1, [x], destination_type=target)
    run_both(ir.Graph([x], [cast]), [values])


def test_each_op_is_lowered_here():
    for name in indexing.GATHER_OPS:
        assert LOWERINGS[name].__module__ == indexing.__name__, name
    for name in data_movement.MAPPED_OPS:
        assert LOWERINGS[name] is data_movement.lower_mapped, name
    assert LOWERINGS["Identity"] is data_movement.lower_identity
    assert LOWERINGS["ConvertLike"] is data_movement.lower_convert_like
    assert LOWERINGS["BitCast"] is data_movement.lower_bitcast


def test_affine_maps_need_no_table():
    source = np.arange(1, 25).reshape(4, 6)[1:3, ::-2]
    assert data_movement.affine_form(source) == (11, [6, -2])
    assert data_movement.affine_form(np.array([[1, 0], [2, 3]])) is None
