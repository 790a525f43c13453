"""Interpolate 1/4/11: references against onnxruntime Resize and OpenVINO, shapes, bad input."""

import numpy as np
import openvino.opset1 as ov1
import openvino.opset11 as ov11
import pytest
from hypothesis import given
from hypothesis import strategies as st
from vinify.errors import TypeInferenceError
from vinify.ops.interpolate import source_coordinates, triangle_weights

from tests.compiler.ops.ort_reference import (
    output_type,
    run_onnx_node,
    run_openvino,
    run_vinify_node,
)

RNG = np.random.default_rng(4)
X = RNG.standard_normal((1, 2, 5, 6)).astype(np.float32)
AXES = np.array([2, 3], np.int64)
EMPTY = np.zeros(0, np.float32)


def _onnx_resize(x, sizes=None, scales=None, **attrs):
    initializers = {"roi": EMPTY, "scales": np.asarray(scales or [], np.float32)}
    if sizes is not None:
        initializers["sizes"] = np.array(sizes, np.int64)
    return run_onnx_node("Resize", {"x": x}, initializers=initializers, **attrs)[0]


@pytest.mark.parametrize("coordinates", ["half_pixel", "asymmetric", "align_corners",
                                         "tf_half_pixel_for_nn", "pytorch_half_pixel"])
@pytest.mark.parametrize("nearest", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])
def test_nearest_v11_matches_onnxruntime(coordinates, nearest):
    sizes = [1, 2, 9, 4]
    expected = _onnx_resize(X, sizes=sizes, mode="nearest", nearest_mode=nearest,
                            coordinate_transformation_mode=coordinates)
    actual = run_vinify_node("Interpolate", 11, [X, np.array(sizes[2:], np.int64), AXES],
                             constant_inputs=(1, 2), mode="nearest", nearest_mode=nearest,
                             shape_calculation_mode="sizes",
                             coordinate_transformation_mode=coordinates)[0]
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("coordinates", ["half_pixel", "asymmetric", "align_corners",
                                         "pytorch_half_pixel"])
@pytest.mark.parametrize("mode, onnx_mode", [("linear_onnx", "linear"), ("cubic", "cubic")])
def test_linear_onnx_and_cubic_by_scales_match_onnxruntime(coordinates, mode, onnx_mode):
    scales = [1.0, 1.0, 1.6, 0.5]
    expected = _onnx_resize(X, scales=scales, mode=onnx_mode,
                            coordinate_transformation_mode=coordinates, cubic_coeff_a=-0.75)
    actual = run_vinify_node("Interpolate", 11, [X, np.array(scales[2:], np.float32), AXES],
                             constant_inputs=(1, 2), mode=mode, shape_calculation_mode="scales",
                             coordinate_transformation_mode=coordinates)[0]
    assert actual.shape == expected.shape == (1, 2, 8, 3)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_v4_uses_sizes_or_scales_by_mode_and_default_axes():
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    expected = _onnx_resize(x, sizes=[2, 3, 7], mode="linear")
    sizes, scales = np.array([2, 3, 7], np.int64), np.array([1, 1, 1.75], np.float32)
    by_sizes = run_vinify_node("Interpolate", 4, [x, sizes, scales], constant_inputs=(1, 2),
                               mode="linear_onnx", shape_calculation_mode="sizes")[0]
    by_scales = run_vinify_node("Interpolate", 4, [x, sizes, scales], constant_inputs=(1, 2),
                                mode="linear_onnx", shape_calculation_mode="scales")[0]
    np.testing.assert_allclose(by_sizes, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(by_scales, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["nearest", "linear"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_v1_matches_openvino(mode, align_corners):
    attrs = dict(axes=[2, 3], mode=mode, align_corners=align_corners, antialias=False,
                 pads_begin=[0], pads_end=[0])
    target = np.array([8, 4], np.int64)
    expected = run_openvino(lambda p: ov1.interpolate(p, ov1.constant(target), attrs), [X])[0]
    actual = run_vinify_node("Interpolate", 1, [X, target], constant_inputs=(1,), **attrs)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sizes", [(8, 4), (3, 2)])
def test_linear_mode_without_antialias_matches_openvino(sizes):
    target = np.array(sizes, np.int64)
    expected = run_openvino(lambda p: ov11.interpolate(p, target, "linear", "sizes", axes=AXES),
                            [X])[0]
    actual = run_vinify_node("Interpolate", 11, [X, target, AXES], constant_inputs=(1, 2),
                             mode="linear", shape_calculation_mode="sizes")[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_linear_antialias_widens_the_triangle_on_downscale():
    """Downscaling 8 -> 4 with antialias: a triangle of half-width 2 around each source point,
    taps outside the input dropped and the rest renormalized (the spec's linear mode)."""
    weights = triangle_weights(source_coordinates("half_pixel", 4, 8, 0.5), 8, 0.5, True)
    np.testing.assert_allclose(weights[1], [0, 1 / 8, 3 / 8, 3 / 8, 1 / 8, 0, 0, 0])
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    x = RNG.standard_normal((1, 1, 8)).astype(np.float32)
    actual = run_vinify_node("Interpolate", 11, [x, np.array([4], np.int64),
                             np.array([2], np.int64)], mode="linear", antialias=True,
                             shape_calculation_mode="sizes")[0]
    np.testing.assert_allclose(actual[0, 0], weights @ x[0, 0], rtol=1e-5)


def test_pads_are_applied_before_resizing():
    x = np.arange(4, dtype=np.float32).reshape(1, 1, 4)
    actual = run_vinify_node("Interpolate", 11, [x, np.array([2.0], np.float32),
                             np.array([2], np.int64)], mode="nearest", pads_begin=[0, 0, 1],
                             pads_end=[0, 0, 1], shape_calculation_mode="scales",
                             coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    np.testing.assert_array_equal(actual[0][0, 0], np.repeat([0, 0, 1, 2, 3, 0], 2))


@pytest.mark.parametrize("data, value, mode, expected", [
    ("[1,3,?,10..20]", [2.0, 0.5], "scales", "f32[1,3,?,5..10]"),
    ("[1,3,?,10..20]", [32, 64], "sizes", "f32[1,3,32,64]"),
    ("[1,3,224,224]", None, "sizes", "f32[1,3,?,?]"),
    ("[...]", [2.0, 2.0], "scales", "f32[...]"),
])
def test_interpolate_v11_shape_inference(data, value, mode, expected):
    element = "f32" if mode == "scales" else "i64"
    dtype = np.float32 if mode == "scales" else np.int64
    constants = {2: AXES} if value is None else {1: np.array(value, dtype), 2: AXES}
    assert output_type("Interpolate", 11, [data, "[2]", "[2]"], elements=["f32", element, "i64"],
                       constants=constants, mode="nearest",
                       shape_calculation_mode=mode) == expected


def test_unknown_axes_leave_every_dimension_dynamic():
    assert output_type("Interpolate", 4, ["[1,3,8,8]", "[2]", "[2]", "[2]"],
                       elements=["f32", "i64", "f32", "i64"], mode="nearest",
                       shape_calculation_mode="sizes") == "f32[?,?,?,?]"


def test_wrong_scales_type_names_the_node():
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(Interpolate<11>\).*scales"):
        output_type("Interpolate", 11, ["[1,3,8,8]", "[2]"], elements=["f32", "i64"],
                    mode="nearest", shape_calculation_mode="scales")


@pytest.mark.parametrize("mode", ["bilinear_pillow", "bicubic_pillow"])
@pytest.mark.parametrize("sizes", [(12, 5), (4, 20)])
def test_pillow_modes_match_openvino(mode, sizes):
    x = RNG.standard_normal((1, 2, 9, 10)).astype(np.float32)
    target = np.array(sizes, np.int64)
    expected = run_openvino(lambda p: ov11.interpolate(p, target, mode, "sizes", axes=AXES,
                                                       cube_coeff=-0.5), [x])[0]
    actual = run_vinify_node("Interpolate", 11, [x, target, AXES], constant_inputs=(1, 2),
                             mode=mode, shape_calculation_mode="sizes", cube_coeff=-0.5)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


@given(st.lists(st.integers(1, 7), min_size=2, max_size=2),
       st.lists(st.integers(1, 12), min_size=2, max_size=2),
       st.sampled_from(["nearest", "linear_onnx", "cubic"]),
       st.sampled_from(["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"]),
       st.sampled_from(["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]))
def test_random_resizes_match_onnxruntime(spatial, sizes, mode, coordinates, nearest):
    x = RNG.standard_normal([1, 1] + spatial).astype(np.float32)
    expected = _onnx_resize(x, sizes=[1, 1] + sizes, mode=mode.replace("_onnx", ""),
                            coordinate_transformation_mode=coordinates, nearest_mode=nearest)
    actual = run_vinify_node("Interpolate", 11, [x, np.array(sizes, np.int64), AXES],
                             constant_inputs=(1, 2), mode=mode, nearest_mode=nearest,
                             shape_calculation_mode="sizes",
                             coordinate_transformation_mode=coordinates)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)
