"""Reshape, Squeeze, Unsqueeze, ShapeOf, Broadcast, Tile: numbers against onnxruntime
and numpy, shape inference for static, dynamic, bounded and dynamic-rank inputs, and errors."""

import numpy as np
import pytest
from vinify import ir
from vinify.errors import TypeInferenceError

from tests.compiler.ops.inferred import inferred
from tests.compiler.ops.ort_reference import run_onnx_node, run_vinify_node

RNG = np.random.default_rng(7)
DATA = RNG.standard_normal((2, 3, 4)).astype(np.float32)


def i64(*values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize("target", [(0, -1), (4, 0, 2), (-1,), (2, 0, 2, 2)])
def test_reshape_special_zero_matches_onnx(target):
    expected = run_onnx_node("Reshape", {"x": DATA}, initializers={"s": i64(*target)})
    actual = run_vinify_node("Reshape", 1, [DATA, i64(*target)], (1,), special_zero=True)
    np.testing.assert_array_equal(actual[0], expected[0])


def test_reshape_without_special_zero_uses_literal_zero():
    empty = np.zeros((0, 3), np.float32)
    actual = run_vinify_node("Reshape", 1, [empty, i64(0, 5)], (1,), special_zero=False)
    assert actual[0].shape == (0, 5)
    assert inferred("Reshape", 1, "f32[4,6]", i64(3, -1, 2), special_zero=False) == "f32[3,4,2]"


@pytest.mark.parametrize("shape, target, expected", [
    ("f32[?,3,4]", i64(0, -1), "f32[?,12]"),
    ("f32[?,3,?]", i64(0, -1), "f32[?,?]"),
    ("f32[1..8,3,4]", i64(0, 12), "f32[1..8,12]"),
    ("f32[2,3,4]", i64(-1, 2), "f32[12,2]"),
    ("f32[...]", i64(3, -1), "f32[3,?]"),
])
def test_reshape_inference(shape, target, expected):
    assert inferred("Reshape", 1, shape, target, special_zero=True) == expected


def test_reshape_with_unknown_target_keeps_its_rank():
    assert inferred("Reshape", 1, "f32[2,3]", "i64[3]", special_zero=False) == "f32[?,?,?]"
    assert inferred("Reshape", 1, "f32[2,3]", "i64[?]", special_zero=False) == "f32[...]"


def test_shape_subgraph_keeps_static_shapes_static():
    x = ir.parameter("x", "f32", [2, 3, 4])
    shape = ir.make("ShapeOf", 3, [x])
    first = ir.make("Gather", 8, [shape, ir.constant(i64(0)), ir.constant(i64(0))])
    target = ir.make("Concat", 1, [first, ir.constant(i64(-1))], axis=0)
    out = ir.make("Reshape", 1, [x, target], special_zero=False)
    assert str(out.outputs[0].type) == "f32[2,12]"


@pytest.mark.parametrize("target, message", [
    (i64(-1, -1), "more than one -1"),
    (i64(5, 5), "cannot reshape"),
    (i64(7, -1), "cannot reshape"),
    (i64(-2, 12), "negative dimension"),
])
def test_reshape_errors_name_the_node(target, message):
    with pytest.raises(TypeInferenceError, match=f"node 'op' \\(Reshape<1>\\).*{message}"):
        inferred("Reshape", 1, "f32[2,3,4]", target, special_zero=False)


def test_squeeze_matches_onnx():
    data = RNG.standard_normal((1, 3, 1, 2)).astype(np.float32)
    for axes in (i64(0), i64(-2, 0)):
        expected = run_onnx_node("Squeeze", {"x": data}, initializers={"a": axes})
        for version in (1, 15):
            actual = run_vinify_node("Squeeze", version, [data, axes], (1,))
            np.testing.assert_array_equal(actual[0], expected[0])
    assert run_vinify_node("Squeeze", 1, [data])[0].shape == (3, 2)


def test_squeeze_inference():
    assert inferred("Squeeze", 1, "f32[1,?,1,2..5]") == "f32[...]"
    assert inferred("Squeeze", 1, "f32[1,2..5,1]") == "f32[2..5]"
    assert inferred("Squeeze", 1, "f32[?,3]", i64(0)) == "f32[3]"
    assert inferred("Squeeze", 15, "f32[?,3]", i64(0), allow_axis_skip=True) == "f32[...]"
    assert inferred("Squeeze", 15, "f32[2,1]", i64(0, 1)) == "f32[2]"
    assert inferred("Squeeze", 1, "f32[...]", i64(0)) == "f32[...]"


def test_squeeze_v1_rejects_axis_that_is_not_one():
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Squeeze<1>\\).*axis 0"):
        inferred("Squeeze", 1, "f32[2,1]", i64(0))


def test_unsqueeze_matches_onnx_and_infers():
    axes = i64(0, -1, 2)
    expected = run_onnx_node("Unsqueeze", {"x": DATA}, initializers={"a": axes})
    actual = run_vinify_node("Unsqueeze", 1, [DATA, axes], (1,))
    np.testing.assert_array_equal(actual[0], expected[0])
    assert inferred("Unsqueeze", 1, "f32[?,1..3]", axes) == \
        "f32[1,?,1,1..3,1]"
    with pytest.raises(TypeInferenceError, match="node 'op'.*out of range"):
        inferred("Unsqueeze", 1, "f32[2]", i64(5))


def test_shape_of_types():
    assert inferred("ShapeOf", 1, "f32[?,3]") == "i64[2]"
    assert inferred("ShapeOf", 3, "f32[...]", output_type="i32") == "i32[?]"
    actual = run_vinify_node("ShapeOf", 3, [DATA], output_type="i32")[0]
    assert actual.dtype == np.int32 and actual.tolist() == [2, 3, 4]


def test_broadcast_numpy_and_bidirectional_match_onnx_expand():
    data = RNG.standard_normal((3, 1)).astype(np.float32)
    target = i64(2, 1, 4)
    expected = run_onnx_node("Expand", {"x": data}, initializers={"s": target})[0]
    actual = run_vinify_node("Broadcast", 3, [data, target], (1,), mode="bidirectional")[0]
    np.testing.assert_array_equal(actual, expected)
    numpy_mode = run_vinify_node("Broadcast", 1, [data, i64(2, 3, 4)], (1,))[0]
    np.testing.assert_array_equal(numpy_mode, np.broadcast_to(data, (2, 3, 4)))


def test_broadcast_explicit_uses_axes_mapping():
    data = np.array([1.0, 2.0, 3.0], np.float32)
    actual = run_vinify_node("Broadcast", 3, [data, i64(2, 3, 4), i64(1)], (1, 2),
                             mode="explicit")[0]
    np.testing.assert_array_equal(actual, np.broadcast_to(data[None, :, None], (2, 3, 4)))


def test_broadcast_inference():
    assert inferred("Broadcast", 3, "f32[?,1]", i64(2, 5, 4)) == "f32[2,5,4]"
    assert inferred("Broadcast", 3, "f32[1..3,1]", i64(1, 4), mode="bidirectional") == "f32[1..3,4]"
    assert inferred("Broadcast", 3, "f32[3]", "i64[4]") == "f32[?,?,?,?]"
    like = ir.make("ShapeOf", 3, [ir.parameter("x", "f32", ["?", "1..5"])])
    zeros = ir.make("Broadcast", 3, [ir.constant(np.float32(0)), like])
    assert str(zeros.outputs[0].type) == "f32[?,1..5]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Broadcast<1>\\).*cannot"):
        inferred("Broadcast", 1, "f32[3]", i64(2, 4))


def test_tile_matches_onnx_and_aligns_repeats():
    repeats = i64(2, 1, 3)
    expected = run_onnx_node("Tile", {"x": DATA}, initializers={"r": repeats})
    actual = run_vinify_node("Tile", 1, [DATA, repeats], (1,))
    np.testing.assert_array_equal(actual[0], expected[0])
    assert run_vinify_node("Tile", 1, [DATA, i64(2)], (1,))[0].shape == (2, 3, 8)
    assert inferred("Tile", 1, "f32[?,1..2]", i64(3, 2, 2)) == \
        "f32[3,?,2..4]"


def test_attention_head_split_runs_on_template_with_dynamic_batch():
    """ShapeOf -> Gather -> Concat -> Reshape -> Transpose, the shape subgraph of attention."""
    import vinify

    x = ir.parameter("x", "f32", ["?", 5, 8])
    dims = ir.make("ShapeOf", 3, [x])
    batch_and_length = ir.make("Gather", 8, [dims, ir.constant(i64(0, 1)), ir.constant(i64(0))])
    target = ir.make("Concat", 1, [batch_and_length, ir.constant(i64(2, 4))], axis=0)
    heads = ir.make("Reshape", 1, [x, target], special_zero=False)
    out = ir.make("Transpose", 1, [heads, ir.constant(i64(0, 2, 1, 3))], name="heads")
    assert str(out.outputs[0].type) == "f32[?,2,5,4]"
    flat_target = ir.make("Concat", 1, [ir.make("Gather", 8, [dims, ir.constant(i64(0)),
                                                              ir.constant(i64(0))]),
                                        ir.constant(i64(-1))], axis=0)
    flat = ir.make("Reshape", 1, [x, flat_target], special_zero=False)
    assert str(flat.outputs[0].type) == "f32[?,40]"
    other = ir.parameter("y", "f32", ["?", 5])
    foreign = ir.make("Gather", 8, [ir.make("ShapeOf", 3, [other]), ir.constant(i64(0)),
                                    ir.constant(i64(0))])
    unrelated = ir.make("Concat", 1, [foreign, ir.constant(i64(-1))], axis=0)
    assert str(ir.make("Reshape", 1, [x, unrelated], special_zero=False).outputs[0].type) == \
        "f32[?,?]"
    graph = ir.Graph([x], [out])
    data = RNG.standard_normal((3, 5, 8)).astype(np.float32)
    result = list(vinify.compile_model(graph, "TEMPLATE")({"x": data}).values())[0]
    np.testing.assert_array_equal(result, data.reshape(3, 5, 2, 4).transpose(0, 2, 1, 3))


def test_sliced_shape_vectors_keep_dynamic_dimensions():
    x = ir.parameter("x", "f32", ["?", 5, 8])
    dims = ir.make("ShapeOf", 3, [x])
    head = ir.make("Slice", 8, [dims, ir.constant(i64(0)), ir.constant(i64(2)),
                                ir.constant(i64(1))])
    split = ir.make("Concat", 1, [head, ir.constant(i64(2, 4))], axis=0)
    assert str(ir.make("Reshape", 1, [x, split], special_zero=False).outputs[0].type) == \
        "f32[?,5,2,4]"
    batch = ir.make("StridedSlice", 1, [dims, ir.constant(i64(0)), ir.constant(i64(1))],
                    begin_mask=[0], end_mask=[0], shrink_axis_mask=[1])
    batch_vector = ir.make("Unsqueeze", 1, [batch, ir.constant(i64(0))])
    flat = ir.make("Concat", 1, [batch_vector, ir.constant(i64(-1))], axis=0)
    assert str(ir.make("Reshape", 1, [x, flat], special_zero=False).outputs[0].type) == \
        "f32[?,40]"


def test_arithmetic_on_shape_vectors():
    x = ir.parameter("x", "f32", ["1..4", 5, 8])
    dims = ir.make("ShapeOf", 3, [x])

    def pick(*axes):
        return ir.make("Gather", 8, [dims, ir.constant(i64(*axes)), ir.constant(i64(0))])

    def reshape(*parts):
        target = ir.make("Concat", 1, list(parts), axis=0)
        return str(ir.make("Reshape", 1, [x, target], special_zero=False).outputs[0].type)

    length_by_width = ir.make("Multiply", 1, [pick(1), pick(2)])
    assert reshape(pick(0), length_by_width) == "f32[1..4,40]"
    rows = ir.make("Multiply", 1, [pick(0), pick(1)])
    assert reshape(rows, pick(2)) == "f32[5..20,8]"
    halves = ir.make("Divide", 1, [pick(2), ir.constant(i64(2))])
    assert reshape(pick(0, 1), halves, ir.constant(i64(2))) == "f32[1..4,5,4,2]"
    plus_one = ir.make("Add", 1, [pick(0), ir.constant(i64(1))])
    assert str(ir.make("Broadcast", 3, [ir.constant(np.float32(0)), plus_one])
               .outputs[0].type) == "f32[2..5]"


def test_tile_repeats_from_a_shape_subgraph():
    x = ir.parameter("x", "f32", ["2..3", 7])
    batch = ir.make("Gather", 8, [ir.make("ShapeOf", 3, [x]), ir.constant(i64(0)),
                                  ir.constant(i64(0))])
    repeats = ir.make("Concat", 1, [batch, ir.constant(i64(1))], axis=0)
    row = ir.constant(np.zeros((1, 4), np.float32))
    assert str(ir.make("Tile", 1, [row, repeats]).outputs[0].type) == "f32[2..3,4]"
