"""Range (1, 4) and Eye: values against onnxruntime/numpy, lengths known only from constants."""

import numpy as np
import pytest
from vinify import ir
from vinify.errors import TypeInferenceError

from tests.compiler.ops.inferred import inferred
from tests.compiler.ops.ort_reference import run_onnx_node, run_vinify_node


def scalar(value, dtype) -> np.ndarray:
    return np.array(value, dtype=dtype)


@pytest.mark.parametrize("start, stop, step, dtype", [
    (0, 10, 3, np.int64), (10, -3, -4, np.int32), (0.5, 2.0, 0.25, np.float32),
    (5, 1, 1, np.int64),
])
def test_range_v1_matches_onnx(start, stop, step, dtype):
    inputs = {"a": scalar(start, dtype), "b": scalar(stop, dtype), "c": scalar(step, dtype)}
    expected = run_onnx_node("Range", inputs)[0]
    actual = run_vinify_node("Range", 1, list(inputs.values()))[0]
    np.testing.assert_array_equal(actual, expected)
    assert actual.dtype == expected.dtype


def test_range_v4_casts_to_output_type():
    actual = run_vinify_node("Range", 4, [scalar(0.5, np.float32), scalar(4.7, np.float64),
                                          scalar(1, np.int32)], output_type="i64")[0]
    assert actual.dtype == np.int64 and actual.tolist() == [0, 1, 2, 3]
    halves = run_vinify_node("Range", 4, [scalar(0, np.int32), scalar(2, np.int32),
                                          scalar(0.5, np.float32)], output_type="f16")[0]
    assert halves.dtype == np.float16 and halves.tolist() == [0.0, 0.5, 1.0, 1.5]


def test_range_inference_static_from_constants_dynamic_otherwise():
    assert inferred("Range", 4, scalar(0, np.int64), scalar(7, np.int64),
                    scalar(2, np.int64), output_type="f32") == "f32[4]"
    assert inferred("Range", 1, "i32[]", scalar(7, np.int32), scalar(1, np.int32)) == "i32[?]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Range<1>\\).*step"):
        inferred("Range", 1, scalar(0, np.int32), scalar(3, np.int32), scalar(0, np.int32))
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Range<1>\\).*element type"):
        inferred("Range", 1, "i32[]", "f32[]", "i32[]")


def test_range_over_shape_of_stays_static():
    x = ir.parameter("x", "f32", [2, 6])
    shape = ir.make("ShapeOf", 3, [x])
    last = ir.make("Gather", 8, [shape, ir.constant(np.int64(1)), ir.constant(np.int64(0))])
    out = ir.make("Range", 4, [ir.constant(np.int64(0)), last, ir.constant(np.int64(2))],
                  output_type="i64")
    assert str(out.outputs[0].type) == "i64[3]"


def test_eye_matches_numpy_with_batch():
    n, m, k = (scalar(v, np.int64) for v in (3, 4, -1))
    actual = run_vinify_node("Eye", 9, [n, m, k, np.array([2], np.int64)], (0, 1, 2, 3),
                             output_type="f32")[0]
    assert actual.shape == (2, 3, 4)
    np.testing.assert_array_equal(actual[1], np.eye(3, 4, -1, dtype=np.float32))
    assert inferred("Eye", 9, n, "i64[]", k, output_type="i8") == "i8[3,?]"
    assert inferred("Eye", 9, n, m, k, "i32[2]", output_type="f32") == "f32[?,?,3,4]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Eye<9>\\).*non-negative"):
        inferred("Eye", 9, scalar(-2, np.int64), m, k, output_type="f32")


def test_range_up_to_a_dynamic_dimension_is_bounded_by_it():
    x = ir.parameter("x", "f32", ["?", "1..128"])
    length = ir.make("Gather", 8, [ir.make("ShapeOf", 3, [x]), ir.constant(np.int64(1)),
                                   ir.constant(np.int64(0))])
    positions = ir.make("Range", 4, [ir.constant(np.int64(0)), length, ir.constant(np.int64(1))],
                        output_type="i64")
    assert str(positions.outputs[0].type) == "i64[1..128]"
    evens = ir.make("Range", 4, [ir.constant(np.int64(0)), length, ir.constant(np.int64(2))],
                    output_type="i32")
    assert str(evens.outputs[0].type) == "i32[1..64]"
