"""Reductions and CumSum: references against onnxruntime, shape inference, bad input."""

import numpy as np
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.ort_reference import output_type, run_onnx_node, run_vinify_node

RNG = np.random.default_rng(3)
X = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
AXES = np.array([1, -1], np.int64)


@pytest.mark.parametrize("ours, onnx_name, version", [
    ("ReduceSum", "ReduceSum", 1), ("ReduceMean", "ReduceMean", 1),
    ("ReduceMax", "ReduceMax", 1), ("ReduceMin", "ReduceMin", 1),
    ("ReduceProd", "ReduceProd", 1), ("ReduceL1", "ReduceL1", 4), ("ReduceL2", "ReduceL2", 4),
])
@pytest.mark.parametrize("keep_dims", [True, False])
def test_reductions_match_onnxruntime(ours, onnx_name, version, keep_dims):
    expected = run_onnx_node(onnx_name, {"x": X}, initializers={"axes": AXES},
                             keepdims=int(keep_dims))[0]
    actual = run_vinify_node(ours, version, [X, AXES], constant_inputs=(1,),
                             keep_dims=keep_dims)[0]
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_logical_reductions_match_numpy():
    x = RNG.random((3, 4, 2)) > 0.3
    assert run_vinify_node("ReduceLogicalAnd", 1, [x, np.array([1], np.int32)])[0].tolist() == \
        x.all(axis=1).tolist()
    actual = run_vinify_node("ReduceLogicalOr", 1, [x, np.array([0, 2], np.int32)],
                             keep_dims=True)[0]
    np.testing.assert_array_equal(actual, x.any(axis=(0, 2), keepdims=True))


def test_reduce_over_no_axes_is_identity_and_f16_sums_wide():
    np.testing.assert_array_equal(run_vinify_node("ReduceMax", 1, [X, np.zeros(0, np.int64)],
                                                  constant_inputs=(1,))[0], X)
    x = np.full((4096,), 1.0, np.float16)
    total = run_vinify_node("ReduceSum", 1, [x, np.array([0], np.int64)])[0]
    assert total.dtype == np.float16 and float(total) == 4096.0


@pytest.mark.parametrize("exclusive", [0, 1])
@pytest.mark.parametrize("reverse", [0, 1])
def test_cumsum_matches_onnxruntime(exclusive, reverse):
    axis = np.array(2, np.int64)
    expected = run_onnx_node("CumSum", {"x": X}, initializers={"axis": axis},
                             exclusive=exclusive, reverse=reverse)[0]
    actual = run_vinify_node("CumSum", 3, [X, axis], constant_inputs=(1,),
                             exclusive=bool(exclusive), reverse=bool(reverse))[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)
    default_axis = run_vinify_node("CumSum", 3, [X])[0]
    np.testing.assert_allclose(default_axis, np.cumsum(X, axis=0), rtol=1e-6)


@pytest.mark.parametrize("data, axes, keep, expected", [
    ("[2,?,4..8,5]", [1, 2], False, "f32[2,5]"),
    ("[2,?,4..8,5]", [1, 2], True, "f32[2,1,1,5]"),
    ("[...]", [0], False, "f32[...]"),
    ("[2,?,4..8,5]", None, True, "f32[1..2,?,1..8,1..5]"),
    ("[2,?,4..8,5]", None, False, "f32[?,?]"),
])
def test_reduction_shape_inference(data, axes, keep, expected):
    constants = {} if axes is None else {1: np.array(axes, np.int64)}
    assert output_type("ReduceMean", 1, [data, "[2]"], elements=["f32", "i64"],
                       constants=constants, keep_dims=keep) == expected


def test_reduction_axis_out_of_range_names_the_node():
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(ReduceSum<1>\).*axis 4"):
        output_type("ReduceSum", 1, ["[2,3,4,5]", "[1]"], elements=["f32", "i64"],
                    constants={1: np.array([4], np.int64)})


def test_logical_reduction_rejects_floats():
    with pytest.raises(TypeInferenceError, match=r"node 'op'.*does not accept element type f32"):
        output_type("ReduceLogicalAnd", 1, ["[2,3]", "[1]"], elements=["f32", "i64"],
                    constants={1: np.array([0], np.int64)})


def test_integer_mean_truncates_toward_zero():
    x = np.array([[-3, -4], [3, 4]], np.int32)
    actual = run_vinify_node("ReduceMean", 1, [x, np.array([1], np.int64)])[0]
    np.testing.assert_array_equal(actual, [-3, 3])
