"""Random window geometries (kernel, stride, dilation, pads, rounding) for the convolution and
pooling references, each checked against onnxruntime."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from tests.compiler.ops.ort_reference import run_onnx_node, run_vinify_node


@st.composite
def geometries(draw, rank: int = 2):
    kernel = draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank))
    strides = draw(st.lists(st.integers(1, 3), min_size=rank, max_size=rank))
    dilations = draw(st.lists(st.integers(1, 2), min_size=rank, max_size=rank))
    pads_begin = [draw(st.integers(0, k - 1)) for k in kernel]
    pads_end = [draw(st.integers(0, k - 1)) for k in kernel]
    extents = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    # inputs at least as wide as a window: no window then lies wholly in the padding, where
    # max pooling is -inf by the spec but the lowest finite float in onnxruntime
    spatial = [draw(st.integers(e, 9)) for e in extents]
    return dict(kernel=kernel, strides=strides, dilations=dilations, pads_begin=pads_begin,
                pads_end=pads_end, spatial=spatial)


@given(geometries(), st.integers(1, 2), st.integers(0, 2**31 - 1))
def test_random_convolutions_match_onnxruntime(geometry, groups, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal([1, 2 * groups] + geometry["spatial"]).astype(np.float32)
    w = rng.standard_normal([2 * groups, 2] + geometry["kernel"]).astype(np.float32)
    expected = run_onnx_node("Conv", {"x": x, "w": w}, group=groups, strides=geometry["strides"],
                             dilations=geometry["dilations"],
                             pads=geometry["pads_begin"] + geometry["pads_end"])[0]
    attrs = {k: geometry[k] for k in ("strides", "dilations", "pads_begin", "pads_end")}
    grouped = w.reshape([groups, 2, 2] + geometry["kernel"])
    actual = run_vinify_node("GroupConvolution", 1, [x, grouped], **attrs)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)


@given(geometries(), st.booleans(), st.integers(0, 2**31 - 1))
def test_random_max_pools_match_onnxruntime(geometry, ceil, seed):
    x = np.random.default_rng(seed).standard_normal([1, 2] + geometry["spatial"]).astype(
        np.float32)
    expected = run_onnx_node("MaxPool", {"x": x}, num_outputs=2,
                             kernel_shape=geometry["kernel"], strides=geometry["strides"],
                             dilations=geometry["dilations"], ceil_mode=int(ceil),
                             pads=geometry["pads_begin"] + geometry["pads_end"])
    actual = run_vinify_node("MaxPool", 14, [x], rounding_type="ceil_torch" if ceil else "floor",
                             **{k: v for k, v in geometry.items() if k != "spatial"})
    np.testing.assert_array_equal(actual[0], expected[0])
    np.testing.assert_array_equal(actual[1], expected[1])


@given(geometries(), st.booleans(), st.booleans(), st.integers(0, 2**31 - 1))
def test_random_avg_pools_match_onnxruntime(geometry, ceil, include_pad, seed):
    x = np.random.default_rng(seed).standard_normal([1, 2] + geometry["spatial"]).astype(
        np.float32)
    expected = run_onnx_node("AveragePool", {"x": x}, kernel_shape=geometry["kernel"],
                             strides=geometry["strides"], ceil_mode=int(ceil),
                             count_include_pad=int(include_pad),
                             pads=geometry["pads_begin"] + geometry["pads_end"])[0]
    actual = run_vinify_node("AvgPool", 14, [x], rounding_type="ceil_torch" if ceil else "floor",
                             strides=geometry["strides"], kernel=geometry["kernel"],
                             pads_begin=geometry["pads_begin"], pads_end=geometry["pads_end"],
                             **{"exclude-pad": not include_pad})[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@given(geometries(), st.integers(1, 2), st.integers(0, 2**31 - 1))
def test_random_transposed_convolutions_match_onnxruntime(geometry, groups, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal([1, 2 * groups] + geometry["spatial"]).astype(np.float32)
    w = rng.standard_normal([2 * groups, 3] + geometry["kernel"]).astype(np.float32)
    output_padding = [min(s, d) - 1 for s, d in zip(geometry["strides"], geometry["dilations"])]
    expected = run_onnx_node("ConvTranspose", {"x": x, "w": w}, group=groups,
                             strides=geometry["strides"], dilations=geometry["dilations"],
                             pads=geometry["pads_begin"] + geometry["pads_end"],
                             output_padding=output_padding)[0]
    attrs = {k: geometry[k] for k in ("strides", "dilations", "pads_begin", "pads_end")}
    grouped = w.reshape([groups, 2, 3] + geometry["kernel"])
    actual = run_vinify_node("GroupConvolutionBackpropData", 1, [x, grouped],
                             output_padding=output_padding, **attrs)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4)
