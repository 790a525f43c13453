"""Pooling ops: references against onnxruntime and OpenVINO, shape inference, bad input."""

import numpy as np
import openvino.opset1 as ov1
import openvino.opset8 as ov8
import openvino.opset14 as ov14
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.ort_reference import (
    output_type,
    run_onnx_node,
    run_openvino,
    run_vinify_node,
)

RNG = np.random.default_rng(1)
X = RNG.standard_normal((2, 3, 7, 8)).astype(np.float32)
WINDOW = dict(strides=[2, 3], pads_begin=[1, 1], pads_end=[1, 2], kernel=[3, 3])


@pytest.mark.parametrize("ceil", [0, 1])
def test_max_pool_v8_values_and_indices_match_onnxruntime(ceil):
    expected = run_onnx_node("MaxPool", {"x": X}, num_outputs=2, kernel_shape=[3, 3],
                             strides=[2, 3], pads=[1, 1, 1, 2], dilations=[1, 2], ceil_mode=ceil)
    actual = run_vinify_node("MaxPool", 8, [X], dilations=[1, 2],
                             rounding_type="ceil" if ceil else "floor", **WINDOW)
    np.testing.assert_array_equal(actual[0], expected[0])
    np.testing.assert_array_equal(actual[1], expected[1])
    assert actual[1].dtype == np.int64


def test_max_pool_indices_count_from_axis():
    values, indices = run_vinify_node("MaxPool", 8, [X], axis=2, index_element_type="i32",
                                      **WINDOW)
    full = run_vinify_node("MaxPool", 8, [X], **WINDOW)[1]
    np.testing.assert_array_equal(indices, full % (7 * 8))
    assert indices.dtype == np.int32
    picked = np.take_along_axis(X.reshape(2, 3, -1), indices.reshape(2, 3, -1), axis=2)
    np.testing.assert_array_equal(picked.reshape(values.shape), values)


@pytest.mark.parametrize("rounding", ["floor", "ceil", "ceil_torch"])
def test_max_pool_v14_matches_openvino(rounding):
    expected = run_openvino(lambda p: ov14.max_pool(p, [2, 2], [1, 1], [1, 0], [1, 0], [3, 3],
                                                    rounding), [X])
    actual = run_vinify_node("MaxPool", 14, [X], strides=[2, 2], pads_begin=[1, 0],
                             pads_end=[1, 0], kernel=[3, 3], rounding_type=rounding)
    assert actual[0].shape == expected[0].shape
    np.testing.assert_array_equal(actual[0], expected[0])
    np.testing.assert_array_equal(actual[1], expected[1])


@pytest.mark.parametrize("rounding", ["floor", "ceil"])
def test_max_pool_v1_matches_openvino(rounding):
    """A window wholly in the padding gives -inf per the spec (OpenVINO's CPU plugin gives the
    lowest finite float), so this geometry has none."""
    expected = run_openvino(lambda p: ov1.max_pool(p, [2, 3], [1, 1], [1, 0], [3, 3], rounding),
                            [X])[0]
    actual = run_vinify_node("MaxPool", 1, [X], rounding_type=rounding,
                             **dict(WINDOW, pads_end=[1, 0]))[0]
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("rounding", ["floor", "ceil", "ceil_torch"])
@pytest.mark.parametrize("exclude_pad", [True, False])
def test_avg_pool_v14_matches_openvino(rounding, exclude_pad):
    expected = run_openvino(lambda p: ov14.avg_pool(p, [2, 3], [1, 1], [1, 2], [3, 3],
                                                    exclude_pad, rounding), [X])[0]
    actual = run_vinify_node("AvgPool", 14, [X], rounding_type=rounding,
                             **{"exclude-pad": exclude_pad}, **WINDOW)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)  # nan where all padding


@pytest.mark.parametrize("include_pad", [0, 1])
def test_avg_pool_v1_matches_onnxruntime(include_pad):
    x = RNG.standard_normal((1, 2, 6, 5, 4)).astype(np.float32)
    expected = run_onnx_node("AveragePool", {"x": x}, kernel_shape=[3, 2, 2], strides=[1, 2, 1],
                             pads=[1, 0, 1, 1, 1, 0], count_include_pad=include_pad)[0]
    actual = run_vinify_node("AvgPool", 1, [x], strides=[1, 2, 1], pads_begin=[1, 0, 1],
                             pads_end=[1, 1, 0], kernel=[3, 2, 2],
                             **{"exclude-pad": not include_pad})[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("auto_pad", ["same_upper", "same_lower"])
def test_pool_auto_pad_matches_onnxruntime(auto_pad):
    expected = run_onnx_node("MaxPool", {"x": X}, kernel_shape=[3, 2], strides=[2, 2],
                             auto_pad=auto_pad.upper())[0]
    actual = run_vinify_node("MaxPool", 1, [X], strides=[2, 2], pads_begin=[0, 0],
                             pads_end=[0, 0], kernel=[3, 2], auto_pad=auto_pad)[0]
    np.testing.assert_array_equal(actual, expected)


def test_integer_max_pool_pads_with_the_lowest_integer():
    x = -np.arange(16, dtype=np.int32).reshape(1, 1, 4, 4) - 5
    actual = run_vinify_node("MaxPool", 1, [x], strides=[2, 2], pads_begin=[1, 1],
                             pads_end=[0, 0], kernel=[2, 2])[0]
    np.testing.assert_array_equal(actual, x[:, :, :2, :2])  # the values decrease


@pytest.mark.parametrize("spatial, target", [((7, 9), (3, 4)), ((6,), (4,)),
                                             ((4, 5, 6), (2, 2, 3))])
def test_adaptive_pools_match_openvino(spatial, target):
    x = RNG.standard_normal((2, 3) + spatial).astype(np.float32)
    shape = np.array(target, np.int64)
    expected_avg = run_openvino(lambda p: ov8.adaptive_avg_pool(p, ov8.constant(shape)), [x])[0]
    expected_max = run_openvino(lambda p: ov8.adaptive_max_pool(p, ov8.constant(shape), "i32"),
                                [x])
    actual_avg = run_vinify_node("AdaptiveAvgPool", 8, [x, shape], constant_inputs=(1,))[0]
    actual_max = run_vinify_node("AdaptiveMaxPool", 8, [x, shape], constant_inputs=(1,),
                                 index_element_type="i32")
    np.testing.assert_allclose(actual_avg, expected_avg, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(actual_max[0], expected_max[0])
    np.testing.assert_array_equal(actual_max[1], expected_max[1])


def test_global_average_equals_adaptive_one_by_one():
    expected = run_onnx_node("GlobalAveragePool", {"x": X})[0]
    actual = run_vinify_node("AdaptiveAvgPool", 8, [X, np.array([1, 1], np.int32)],
                             constant_inputs=(1,))[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("data, attrs, expected", [
    ("[1,64,112,112]", dict(WINDOW, strides=[2, 2], pads_end=[1, 1]), "f32[1,64,56,56]"),
    ("[?,3,?,8]", WINDOW, "f32[?,3,?,3]"),
    ("[1,3,7..15,8]", WINDOW, "f32[1,3,4..8,3]"),
    ("[1,3,7..15,8]", dict(WINDOW, rounding_type="ceil"), "f32[1,3,4..8,4]"),
    ("[...]", WINDOW, "f32[?,?,?,?]"),
])
def test_max_pool_shape_inference(data, attrs, expected):
    assert output_type("MaxPool", 1, [data], **attrs) == expected
    assert output_type("MaxPool", 8, [data], index=1, index_element_type="i32",
                       **attrs) == "i32" + expected[3:]


def test_adaptive_shape_inference():
    assert output_type("AdaptiveAvgPool", 8, ["[?,3,2..9,9]", "[2]"], elements=["f32", "i64"],
                       constants={1: np.array([3, 3], np.int64)}) == "f32[?,3,3,3]"
    assert output_type("AdaptiveMaxPool", 8, ["[1,3,9,9]", "[2]"], elements=["f32", "i64"],
                       index=1) == "i64[1,3,?,?]"


def test_pool_attribute_mismatch_names_the_node():
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(AvgPool<1>\).*'kernel'"):
        output_type("AvgPool", 1, ["[1,3,8,8]"], **dict(WINDOW, kernel=[3]),
                    **{"exclude-pad": True})


def test_window_larger_than_input_is_an_error():
    with pytest.raises(TypeInferenceError, match=r"node 'op'.*no room"):
        output_type("MaxPool", 1, ["[1,3,2,8]"], strides=[1, 1], pads_begin=[0, 0],
                    pads_end=[0, 0], kernel=[3, 3])
