"""Convolution ops: references against onnxruntime, shape inference, bad input."""

import numpy as np
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.ort_reference import output_type, run_onnx_node, run_vinify_node

RNG = np.random.default_rng(0)


def _rand(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def _explicit(strides, pads_begin, pads_end, dilations):
    return dict(strides=strides, pads_begin=pads_begin, pads_end=pads_end, dilations=dilations)


@pytest.mark.parametrize("spatial, kernel, strides, pads, dilations", [
    ((9,), (3,), (2,), (1, 2), (1,)),
    ((10, 9), (3, 3), (1, 2), (1, 1, 0, 2), (2, 1)),
    ((5, 6, 7), (2, 3, 2), (1, 1, 2), (0, 1, 1, 1, 0, 0), (1, 1, 1)),
])
def test_convolution_matches_onnxruntime(spatial, kernel, strides, pads, dilations):
    x, w = _rand(2, 4, *spatial), _rand(5, 4, *kernel)
    rank = len(spatial)
    expected = run_onnx_node("Conv", {"x": x, "w": w}, strides=strides, pads=pads,
                             dilations=dilations)[0]
    actual = run_vinify_node("Convolution", 1, [x, w], constant_inputs=(1,), **_explicit(
        strides, pads[:rank], pads[rank:], dilations))[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("auto_pad, onnx_pad", [("same_upper", "SAME_UPPER"),
                                                ("same_lower", "SAME_LOWER"),
                                                ("valid", "VALID")])
def test_convolution_auto_pad_matches_onnxruntime(auto_pad, onnx_pad):
    x, w = _rand(1, 3, 8, 7), _rand(2, 3, 4, 3)
    expected = run_onnx_node("Conv", {"x": x, "w": w}, strides=[2, 2], auto_pad=onnx_pad)[0]
    actual = run_vinify_node("Convolution", 1, [x, w], auto_pad=auto_pad,
                             **_explicit([2, 2], [0, 0], [0, 0], [1, 1]))[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("groups, channels, features", [(2, 6, 4), (6, 6, 6)])
def test_group_convolution_matches_onnxruntime(groups, channels, features):
    x, w = _rand(2, channels, 7, 6), _rand(features, channels // groups, 3, 3)
    expected = run_onnx_node("Conv", {"x": x, "w": w}, group=groups, strides=[2, 1],
                             pads=[1, 1, 1, 1])[0]
    grouped = w.reshape(groups, features // groups, channels // groups, 3, 3)
    actual = run_vinify_node("GroupConvolution", 1, [x, grouped],
                             **_explicit([2, 1], [1, 1], [1, 1], [1, 1]))[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


def test_f16_convolution_accumulates_in_f32():
    x, w = _rand(1, 8, 5, 5).astype(np.float16), _rand(3, 8, 3, 3).astype(np.float16)
    actual = run_vinify_node("Convolution", 1, [x, w], **_explicit([1, 1], [0, 0], [0, 0],
                                                                   [1, 1]))[0]
    expected = run_onnx_node("Conv", {"x": x.astype(np.float32), "w": w.astype(np.float32)})[0]
    assert actual.dtype == np.float16
    np.testing.assert_allclose(actual, expected, rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("strides, pads, dilations, output_padding", [
    ((2, 2), (0, 0, 0, 0), (1, 1), (0, 0)),
    ((2, 3), (1, 0, 1, 2), (1, 2), (1, 0)),
    ((1, 1), (1, 1, 1, 1), (1, 1), (0, 0)),
])
def test_convolution_backprop_data_matches_onnxruntime(strides, pads, dilations, output_padding):
    x, w = _rand(2, 4, 5, 4), _rand(4, 3, 3, 2)
    expected = run_onnx_node("ConvTranspose", {"x": x, "w": w}, strides=strides, pads=pads,
                             dilations=dilations, output_padding=output_padding)[0]
    actual = run_vinify_node("ConvolutionBackpropData", 1, [x, w], output_padding=output_padding,
                             **_explicit(strides, pads[:2], pads[2:], dilations))[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("auto_pad, offset", [("same_lower", 0), ("same_upper", 1)])
def test_convolution_backprop_data_with_output_shape_crops_as_openvino(auto_pad, offset):
    """OpenVINO's same_upper puts the odd padding first (as OpenVINO's CPU plugin does); this is
    the opposite of onnxruntime's SAME_UPPER, which equals OpenVINO's same_lower here."""
    x, w = _rand(1, 2, 4, 4), _rand(2, 3, 3, 3)
    full = run_onnx_node("ConvTranspose", {"x": x, "w": w}, strides=[2, 2])[0]
    actual = run_vinify_node("ConvolutionBackpropData", 1,
                             [x, w, np.array([8, 9], np.int64)], constant_inputs=(2,),
                             auto_pad=auto_pad, **_explicit([2, 2], [0, 0], [0, 0], [1, 1]))
    assert actual[0].shape == (1, 3, 8, 9)
    np.testing.assert_allclose(actual[0], full[:, :, offset:offset + 8], rtol=1e-4, atol=1e-4)


def test_group_convolution_backprop_data_matches_onnxruntime():
    x, w = _rand(1, 4, 5, 5), _rand(4, 3, 3, 3)
    expected = run_onnx_node("ConvTranspose", {"x": x, "w": w}, group=2, strides=[2, 2],
                             pads=[1, 1, 0, 0])[0]
    actual = run_vinify_node("GroupConvolutionBackpropData", 1, [x, w.reshape(2, 2, 3, 3, 3)],
                             **_explicit([2, 2], [1, 1], [0, 0], [1, 1]))[0]
    assert actual.shape == expected.shape == (1, 6, 10, 10)
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


CONV = _explicit([2, 2], [1, 1], [1, 1], [1, 1])


@pytest.mark.parametrize("data, attrs, expected", [
    ("[1,3,224,224]", CONV, "f32[1,8,112,112]"),
    ("[?,3,?,224]", CONV, "f32[?,8,?,112]"),
    ("[1..4,3,10..20,7]", CONV, "f32[1..4,8,5..10,4]"),
    ("[...]", CONV, "f32[?,8,?,?]"),
    ("[1,3,10..20,9]", dict(CONV, auto_pad="same_lower"), "f32[1,8,5..10,5]"),
    ("[1,3,10..,9]", dict(CONV, auto_pad="valid"), "f32[1,8,4..,4]"),
])
def test_convolution_shape_inference(data, attrs, expected):
    assert output_type("Convolution", 1, [data, "[8,3,3,3]"], **attrs) == expected


def test_backprop_and_group_shape_inference():
    assert output_type("ConvolutionBackpropData", 1, ["[1,4,?,3..5]", "[4,6,3,3]"],
                       **CONV) == "f32[1,6,?,5..9]"
    assert output_type("GroupConvolution", 1, ["[2,8,?,16]", "[4,3,2,3,3]"],
                       **CONV) == "f32[2,12,?,8]"
    assert output_type("GroupConvolutionBackpropData", 1, ["[1,8,4,4]", "[4,2,5,3,3]"],
                       **CONV) == "f32[1,20,7,7]"
    assert output_type("ConvolutionBackpropData", 1, ["[1,4,5,5]", "[4,6,3,3]", "[2]"],
                       elements=["f32", "f32", "i64"], **CONV) == "f32[1,6,?,?]"


def test_convolution_channel_mismatch_names_the_node():
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(Convolution<1>\).*channels"):
        output_type("Convolution", 1, ["[1,4,8,8]", "[8,3,3,3]"], **CONV)


def test_convolution_attribute_length_mismatch_names_the_node():
    with pytest.raises(TypeInferenceError, match=r"node 'op'.*'strides' has 1 values"):
        output_type("Convolution", 1, ["[1,3,8,8]", "[8,3,3,3]"], **dict(CONV, strides=[1]))


def test_kernel_larger_than_input_is_an_error():
    with pytest.raises(TypeInferenceError, match="no room"):
        output_type("Convolution", 1, ["[1,3,2,8]", "[8,3,5,3]"],
                    **_explicit([1, 1], [0, 0], [0, 0], [1, 1]))


def test_backprop_output_smaller_than_one_is_an_error():
    with pytest.raises(TypeInferenceError, match=r"node 'op'.*output size"):
        output_type("ConvolutionBackpropData", 1, ["[1,4,1,1]", "[4,6,1,1]"],
                    **_explicit([1, 1], [1, 1], [1, 1], [1, 1]))
