"""TopK 1/3/11: references against onnxruntime, ties, sort modes, shapes, bad input."""

import numpy as np
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.ort_reference import output_type, run_onnx_node, run_vinify_node

RNG = np.random.default_rng(6)
X = RNG.standard_normal((3, 7, 4)).astype(np.float32)


@pytest.mark.parametrize("mode, largest", [("max", 1), ("min", 0)])
@pytest.mark.parametrize("axis", [1, -1])
def test_topk_matches_onnxruntime(mode, largest, axis):
    k = np.array([3], np.int64)
    values, indices = run_onnx_node("TopK", {"x": X}, num_outputs=2, initializers={"k": k},
                                    axis=axis, largest=largest)
    actual = run_vinify_node("TopK", 11, [X, np.array(3, np.int64)], constant_inputs=(1,),
                             axis=axis, mode=mode, sort="value", index_element_type="i64")
    np.testing.assert_array_equal(actual[0], values)
    np.testing.assert_array_equal(actual[1], indices)


def test_stable_ties_keep_input_order_and_sort_index_orders_by_position():
    x = np.array([[1, 3, 3, 2, 3, 0]], np.int32)
    values, indices = run_vinify_node("TopK", 11, [x, np.array(3, np.int32)], axis=1, mode="max",
                                      sort="value", stable=True)
    np.testing.assert_array_equal(values, [[3, 3, 3]])
    np.testing.assert_array_equal(indices, [[1, 2, 4]])
    assert indices.dtype == np.int32
    values, indices = run_vinify_node("TopK", 3, [x, np.array(3, np.int64)], axis=1, mode="min",
                                      sort="index")
    np.testing.assert_array_equal(indices, [[0, 3, 5]])
    np.testing.assert_array_equal(values, [[1, 2, 0]])


def test_unsigned_max_and_k_larger_than_axis():
    x = np.array([0, 255, 7, 128], np.uint8)
    values, indices = run_vinify_node("TopK", 1, [x, np.array(9, np.int64)], axis=0, mode="max",
                                      sort="value")
    np.testing.assert_array_equal(values, [255, 128, 7, 0])
    np.testing.assert_array_equal(indices, [1, 3, 2, 0])


def test_topk_shape_inference():
    k = {1: np.array(5, np.int64)}
    assert output_type("TopK", 11, ["[2,?,10]", "[]"], elements=["f32", "i64"], constants=k,
                       axis=1, mode="max", sort="value") == "f32[2,0..5,10]"
    assert output_type("TopK", 3, ["[2,3..8,10]", "[]"], elements=["f32", "i64"], constants=k,
                       axis=1, mode="max", sort="value", index=1) == "i32[2,3..5,10]"
    assert output_type("TopK", 3, ["[2,3..8,10]", "[]"], elements=["f32", "i64"], axis=-1,
                       mode="max", sort="none") == "f32[2,3..8,0..10]"


def test_topk_bad_axis_names_the_node():
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(TopK<11>\).*axis 3"):
        output_type("TopK", 11, ["[2,3,4]", "[]"], elements=["f32", "i64"], axis=3, mode="max",
                    sort="value")
