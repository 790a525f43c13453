"""Sequence and optional values on CPU and GPU (codegen/lowering/sequences.py unrolls them per
input structure; runtime/sequence_values.py carries them through the ports) against TEMPLATE."""

import numpy as np
import pytest
from vinify import ir
from vinify.errors import DeviceError, InferenceError, UnsupportedOpError
from vinify.ir import Graph, Node, parameter
from vinify.op import lookup_op
from vinify.ops.onnx_sequences import CONTAINER, make_container, optional_of, sequence_of
from vinify.runtime import Core
from vinify.types import f32

RNG = np.random.default_rng(31)


def seq(*arrays) -> np.ndarray:
    return make_container([np.asarray(a) for a in arrays])


def assert_same(actual, expected) -> None:
    """Tensors compared with numpy; containers item by item, lengths first."""
    if isinstance(expected, np.ndarray) and expected.dtype == object:
        assert isinstance(actual, np.ndarray) and actual.dtype == object
        assert len(actual) == len(expected)
        for got, want in zip(actual, expected):
            assert_same(got, want)
        return
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def check(graph: Graph, inputs: list, device: str, compiled=None):
    """`compiled` (or a fresh compile of `graph` on `device`) against TEMPLATE; returns it."""
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(inputs).to_tuple()
    compiled = compiled or core.compile_model(graph, device)
    actual = compiled(inputs).to_tuple()
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        assert_same(got, want)
    return compiled


def insert_concat_graph() -> Graph:
    """(xs: sequence<f32>, t: f32[?], pos: i64[]) -> (concat of xs with relu(t) inserted at
    pos, len(xs), the new sequence)"""
    xs = parameter("xs", sequence_of(f32), CONTAINER)
    t, pos = parameter("t", "f32", [-1]), parameter("pos", "i64", [])
    inserted = ir.make("SequenceInsert", 1, [xs, ir.make("Relu", 1, [t]), pos])
    joined = ir.make("ConcatFromSequence", 1, [inserted], axis=0)
    length = ir.make("SequenceLength", 1, [xs])
    return Graph([xs, t, pos], [joined, length, inserted])


@pytest.mark.parametrize("device", ["CPU", "GPU"])
def test_insert_and_concat_compile_once_per_structure(device):
    graph = insert_concat_graph()
    two = [seq(RNG.standard_normal(3, dtype=np.float32), RNG.standard_normal(2, dtype=np.float32)),
           RNG.standard_normal(4, dtype=np.float32), np.array(1, np.int64)]
    compiled = check(graph, two, device)
    other_values = [seq(*(RNG.standard_normal(n, dtype=np.float32) for n in (3, 2))),
                    RNG.standard_normal(4, dtype=np.float32), np.array(1, np.int64)]
    check(graph, other_values, device, compiled)
    assert compiled.executable.compiles == 1  # same structure and position: no new compile
    compiled(other_values[:2] + [np.array(-1, np.int64)])
    three = [seq(*(RNG.standard_normal(n, dtype=np.float32) for n in (1, 5, 2))),
             RNG.standard_normal(1, dtype=np.float32), np.array(0, np.int64)]
    check(graph, three, device, compiled)
    assert compiled.executable.compiles == 3  # a new position, then a new structure


def split_map_graph(keepdims_split=None) -> Graph:
    """x -> SplitToSequence -> SequenceMap(body: item * w + 1, ReduceSum of item) -> outputs"""
    x, w = parameter("x", "f32", [5, 3]), parameter("w", "f32", [3])
    split_inputs = [x] if keepdims_split is None else [x, ir.constant(keepdims_split)]
    pieces = ir.make("SplitToSequence", 1, split_inputs, axis=0, keepdims=False)
    item, weight = parameter("item", "f32", [-1, 3]) if keepdims_split is not None else \
        parameter("item", "f32", [3]), parameter("weight", "f32", [3])
    scaled = ir.make("Add", 1, [ir.make("Multiply", 1, [item, weight]),
                                ir.constant(np.float32(1))])
    total = ir.make("ReduceSum", 1, [item, ir.constant(np.array([-1], np.int64))])
    body = Graph([item, weight], [scaled, total])
    mapped = Node(lookup_op("SequenceMap", 1), [pieces, w],
                  {"sequence_inputs": [1, 0], "num_results": 2}, name="map", bodies=[body])
    stacked = ir.make("ConcatFromSequence", 1, [mapped.outputs[0]], axis=0, new_axis=True) \
        if keepdims_split is None else ir.make("ConcatFromSequence", 1, [mapped.outputs[0]],
                                               axis=0)
    return Graph([x, w], [stacked, mapped.outputs[1]])


@pytest.mark.parametrize("split", [None, np.array([2, 3], np.int64), np.array(2, np.int64)])
def test_split_map_concat_on_cpu(split):
    inputs = [RNG.standard_normal((5, 3), dtype=np.float32),
              RNG.standard_normal(3, dtype=np.float32)]
    check(split_map_graph(split), inputs, "CPU")


def test_split_map_concat_on_gpu():
    inputs = [RNG.standard_normal((5, 3), dtype=np.float32),
              RNG.standard_normal(3, dtype=np.float32)]
    check(split_map_graph(np.array([2, 3], np.int64)), inputs, "GPU")


def optional_graph() -> Graph:
    """(o: optional<f32>, x: f32[2]) -> (has(o), o's content + x if present else x)"""
    o, x = parameter("o", optional_of(f32), CONTAINER), parameter("x", "f32", [2])
    has = ir.make("OptionalHasElement", 1, [o])
    then_o = parameter("then_o", optional_of(f32), CONTAINER)
    then_x = parameter("then_x", "f32", [2])
    then_body = Graph([then_o, then_x], [ir.make("Add", 1, [
        ir.make("OptionalGetElement", 1, [then_o]), then_x])])
    else_x = parameter("else_x", "f32", [2])
    else_body = Graph([else_x], [ir.make("Negative", 1, [else_x])])
    chosen = Node(lookup_op("If", 8), [has, o, x],
                  {"then_inputs": [1, 2], "else_inputs": [2], "then_outputs": [0],
                   "else_outputs": [0]}, bodies=[then_body, else_body])
    return Graph([o, x], [has, chosen.outputs[0], ir.make("Identity", 16, [o])])


@pytest.mark.parametrize("device", ["CPU", "GPU"])
def test_optional_present_and_empty(device):
    graph = optional_graph()
    x = RNG.standard_normal(2, dtype=np.float32)
    check(graph, [seq(RNG.standard_normal(2, dtype=np.float32)), x], device)
    check(graph, [make_container([]), x], device)


def loop_graph() -> Graph:
    """A Loop of n (an input) iterations appending x[:i+1] * i to a sequence, then its length."""
    n, x = parameter("n", "i64", []), parameter("x", "f32", [4])
    iteration, cond = parameter("i", "i64", []), parameter("cond", "boolean", [])
    carried, body_x = parameter("s", sequence_of(f32), CONTAINER), parameter("bx", "f32", [4])
    end = ir.make("Unsqueeze", 1, [ir.make("Add", 1, [iteration, ir.constant(np.int64(1))]),
                                   ir.constant(np.array([0], np.int64))])
    piece = ir.make("Slice", 8, [body_x, ir.constant(np.array([0], np.int64)), end,
                                 ir.constant(np.array([1], np.int64))])
    scaled = ir.make("Multiply", 1, [piece, ir.make("Convert", 1, [iteration],
                                                    destination_type=f32)])
    grown = ir.make("SequenceInsert", 1, [carried, scaled])
    body = Graph([iteration, cond, carried, body_x], [cond, grown])
    empty = ir.make("SequenceEmpty", 1, element_type=f32)
    loop = Node(lookup_op("Loop", 5), [n, ir.constant(np.array(True)), empty, x],
                {"num_carried": 1}, bodies=[body])
    return Graph([n, x], [loop.outputs[0], ir.make("SequenceLength", 1, [loop.outputs[0]])])


def test_loop_over_a_sequence_on_cpu():
    graph = loop_graph()
    x = RNG.standard_normal(4, dtype=np.float32)
    compiled = check(graph, [np.array(3, np.int64), x], "CPU")
    check(graph, [np.array(4, np.int64), x], "CPU", compiled)
    check(graph, [np.array(0, np.int64), x], "CPU", compiled)
    assert compiled.executable.compiles == 3  # the trip count is compiled in


def test_sequence_input_errors_name_the_input_and_node():
    compiled = Core().compile_model(insert_concat_graph(), "CPU")
    t = np.ones(2, np.float32)
    with pytest.raises(InferenceError, match="input 'xs' expects a sequence"):
        compiled([np.ones(3, np.float32), t, np.array(0, np.int64)])
    with pytest.raises(InferenceError, match="position 5 is out of range"):
        compiled([seq(np.ones(3, np.float32)), t, np.array(5, np.int64)])
    with pytest.raises(InferenceError, match=r"input 'xs\[0\]' expects f32, got numpy float64"):
        compiled([seq(np.ones(3)), t, np.array(0, np.int64)])


def test_position_computed_from_sequence_items_is_refused():
    xs = parameter("xs", sequence_of(ir.element_type("i64")), CONTAINER)
    first = ir.make("SequenceAt", 1, [xs, ir.constant(np.array(0, np.int64))])
    picked = ir.make("SequenceAt", 1, [xs, first], name="picked")
    compiled = Core().compile_model(Graph([xs], [picked]), "CPU")
    with pytest.raises(UnsupportedOpError, match="'picked'.*computed from sequence items"):
        compiled([seq(np.array(1, np.int64), np.array(0, np.int64))])


def test_graph_with_tensor_inputs_compiles_at_compile_time():
    compiled = Core().compile_model(split_map_graph(), "CPU")
    assert compiled.executable.compiles == 1  # before any inference
    x, w = np.ones((5, 3), np.float32), np.ones(3, np.float32)
    compiled([x, w])
    assert compiled.executable.compiles == 1


def test_unsupported_node_between_sequences_fails_at_compile_time():
    x = parameter("x", "f32", [4])
    pieces = ir.make("SplitToSequence", 1, [x, ir.constant(np.array(2, np.int64))])
    first = ir.make("SequenceAt", 1, [pieces, ir.constant(np.array(0, np.int64))])
    unique = ir.make("Unique", 10, [first], name="uniq")
    after = ir.make("Relu", 1, [unique.outputs[0]])  # its count sizes a computation: refused
    with pytest.raises(DeviceError, match=r"node .uniq. \(Unique<10>\): dynamic shape"):
        Core().compile_model(Graph([x], [after]), "CPU")
