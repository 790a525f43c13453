"""ScatterUpdate, ScatterElementsUpdate (3, 12) and ScatterNDUpdate (4, 15)."""

import numpy as np
import openvino.opset14 as ov_ops
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.inferred import inferred
from tests.compiler.ops.ort_reference import run_onnx_node, run_openvino, run_vinify_node

RNG = np.random.default_rng(17)
DATA = RNG.standard_normal((4, 5)).astype(np.float32)


def i64(*values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_scatter_update_matches_openvino():
    indices = i64(3, 0)
    updates = RNG.standard_normal((4, 2)).astype(np.float32)

    def build(data):
        return ov_ops.scatter_update(data, ov_ops.constant(indices), ov_ops.constant(updates),
                                     ov_ops.constant(np.int64(1)))

    expected = run_openvino(build, [DATA])[0]
    actual = run_vinify_node("ScatterUpdate", 3, [DATA, indices, updates, i64(1).reshape(())],
                             (1, 3))[0]
    np.testing.assert_array_equal(actual, expected)
    with pytest.raises(TypeInferenceError, match="node 'op' \\(ScatterUpdate<3>\\).*updates"):
        inferred("ScatterUpdate", 3, "f32[4,5]", "i64[2]", "f32[2,5]", i64(1).reshape(()))


def test_scatter_elements_matches_onnx():
    indices = i64(0, -1, 2, 1).reshape(2, 2)
    updates = RNG.standard_normal((2, 2)).astype(np.float32)
    expected = run_onnx_node("ScatterElements", {"x": DATA, "i": indices, "u": updates},
                             axis=1)[0]
    for version in (3, 12):
        actual = run_vinify_node("ScatterElementsUpdate", version,
                                 [DATA, indices, updates, i64(1).reshape(())], (1, 3))[0]
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("reduction, onnx_name", [
    ("sum", "add"), ("prod", "mul"), ("max", "max"), ("min", "min")])
def test_scatter_elements_reductions_accumulate_repeated_indices(reduction, onnx_name):
    indices = i64(1, 1, 3, 1, 0, 0).reshape(2, 3)
    updates = RNG.standard_normal((2, 3)).astype(np.float32)
    expected = run_onnx_node("ScatterElements", {"x": DATA, "i": indices, "u": updates},
                             axis=1, reduction=onnx_name)[0]
    actual = run_vinify_node("ScatterElementsUpdate", 12,
                             [DATA, indices, updates, i64(1).reshape(())], (1, 3),
                             reduction=reduction)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-6)


def test_scatter_elements_mean_without_initial_value():
    data = np.full((1, 3), 100.0, np.float32)
    indices = i64(0, 0, 2).reshape(1, 3)
    updates = np.array([[1.0, 3.0, 5.0]], np.float32)
    actual = run_vinify_node("ScatterElementsUpdate", 12,
                             [data, indices, updates, i64(1).reshape(())], (1, 3),
                             reduction="mean", use_init_val=False)[0]
    np.testing.assert_array_equal(actual, [[2.0, 100.0, 5.0]])
    with_init = run_vinify_node("ScatterElementsUpdate", 12,
                                [data, indices, updates, i64(1).reshape(())], (1, 3),
                                reduction="mean")[0]
    np.testing.assert_allclose(with_init, [[104.0 / 3, 100.0, 52.5]], rtol=1e-6)


def test_scatter_nd_matches_onnx():
    indices = i64(2, 0).reshape(2, 1)
    updates = RNG.standard_normal((2, 5)).astype(np.float32)
    expected = run_onnx_node("ScatterND", {"x": DATA, "i": indices, "u": updates})[0]
    actual = run_vinify_node("ScatterNDUpdate", 4, [DATA, indices, updates], (1,))[0]
    np.testing.assert_array_equal(actual, expected)
    summed = run_onnx_node("ScatterND", {"x": DATA, "i": indices, "u": updates},
                           reduction="add")[0]
    actual = run_vinify_node("ScatterNDUpdate", 15, [DATA, indices, updates], (1,),
                             reduction="sum")[0]
    np.testing.assert_allclose(actual, summed, rtol=1e-6)


def test_scatter_inference():
    assert inferred("ScatterNDUpdate", 4, "f32[?,5]", "i64[2,1]", "f32[2,5]") == "f32[?,5]"
    assert inferred("ScatterElementsUpdate", 12, "f32[1..4,5]", "i32[2,2]", "f32[2,2]",
                    i64(0).reshape(())) == "f32[1..4,5]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(ScatterNDUpdate<4>\\).*updates"):
        inferred("ScatterNDUpdate", 4, "f32[4,5]", "i64[2,1]", "f32[2,4]")
    with pytest.raises(TypeInferenceError, match="node 'op'.*one shape"):
        inferred("ScatterElementsUpdate", 3, "f32[4,5]", "i64[2,2]", "f32[2,3]",
                 i64(0).reshape(()))


def test_scatter_elements_integer_mean_matches_openvino():
    data = np.array([[10, -10, 7]], np.int32)
    indices = i64(0, 1, 1).reshape(1, 3)
    updates = np.array([[1, -1, -2]], np.int32)

    def build(x):
        return ov_ops.scatter_elements_update(x, ov_ops.constant(indices),
                                              ov_ops.constant(updates),
                                              ov_ops.constant(np.int64(1)), "mean")

    expected = run_openvino(build, [data])[0]
    actual = run_vinify_node("ScatterElementsUpdate", 12,
                             [data, indices, updates, i64(1).reshape(())], (1, 3),
                             reduction="mean")[0]
    np.testing.assert_array_equal(actual, expected)
