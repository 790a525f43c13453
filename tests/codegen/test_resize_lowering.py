"""CPU and GPU against TEMPLATE for Interpolate (versions 1, 4, 11) and OnnxResize
(codegen/lowering/resize.py): every mode, coordinate transformation, nearest rounding rule,
antialias, padding, axes subsets and orders, scales and sizes, on small tensors."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import resize
from vinify.codegen.lowering.context import LOWERINGS
from vinify.codegen.lowering.support import unsupported_reason
from vinify.errors import DeviceError
from vinify.runtime import Core

from tests.codegen import device_check

RNG = np.random.default_rng(41)
SHAPE = (1, 2, 5, 7)
COORDINATES = ["half_pixel", "pytorch_half_pixel", "asymmetric", "tf_half_pixel_for_nn",
               "align_corners"]
NEAREST = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"]


def floats(*shape):
    return RNG.uniform(-3, 3, shape).astype(np.float32)


def interpolate11(x, target, by_scales: bool, axes=None, **attrs):
    values = np.asarray(target, np.float32 if by_scales else np.int64)
    inputs = [x, ir.constant(values)]
    if axes is not None:
        inputs.append(ir.constant(np.asarray(axes, np.int64)))
    return ir.make("Interpolate", 11, inputs,
                   shape_calculation_mode="scales" if by_scales else "sizes", **attrs)


def check(graph, inputs, device="CPU"):
    device_check.check_against_template(graph, inputs, device, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("coordinates", COORDINATES)
@pytest.mark.parametrize("nearest_mode", NEAREST)
def test_nearest_every_rounding_and_coordinate_mode(coordinates, nearest_mode):
    x = ir.parameter("x", "f32", SHAPE)
    up = interpolate11(x, [1.0, 1.0, 1.6, 2.5], True, mode="nearest",
                       coordinate_transformation_mode=coordinates, nearest_mode=nearest_mode)
    down = interpolate11(x, [3, 4], False, axes=[2, 3], mode="nearest",
                         coordinate_transformation_mode=coordinates, nearest_mode=nearest_mode)
    check(ir.Graph([x], [up, down]), [floats(*SHAPE)])


@pytest.mark.parametrize("mode", ["linear", "linear_onnx", "cubic", "bilinear_pillow",
                                  "bicubic_pillow"])
@pytest.mark.parametrize("coordinates", ["half_pixel", "align_corners", "asymmetric"])
def test_filtered_modes_up_and_down(mode, coordinates):
    x = ir.parameter("x", "f32", SHAPE)
    up = interpolate11(x, [8, 11], False, axes=[2, 3], mode=mode,
                       coordinate_transformation_mode=coordinates, cube_coeff=-0.5)
    down = interpolate11(x, [0.6, 0.45], True, axes=[3, 2], mode=mode,
                         coordinate_transformation_mode=coordinates)
    check(ir.Graph([x], [up, down]), [floats(*SHAPE)])


@pytest.mark.parametrize("shape, scales", [
    ((1, 1, 4, 40), [1.0, 1.0, 0.5, 3 / 40]),  # last axis: 26 taps, a tap loop over lanes
    ((1, 2, 40, 20), [1.0, 1.0, 0.075, 1.0]),  # rows of 20 inner elements: tap loop, masked
    ((1, 3, 6, 18), [1.0, 1.0, 0.5, 1.0]),  # rows of 18: unrolled taps, a masked tail
    ((2, 3, 33, 1), [1.0, 1.0, 0.4, 1.0]),  # inner 1 on a middle axis, 33 outputs per row
], ids=["last-axis-loop", "row-loop", "row-unrolled", "middle-axis-lanes"])
def test_antialiased_downscales_in_every_pass_form(shape, scales):
    """Wide triangle filters (antialias) give long tap lists: unrolled up to UNROLL_TAPS, a
    loop past it; rows vectorize along inner elements, the last axis along outputs."""
    x = ir.parameter("x", "f32", shape)
    node = interpolate11(x, scales, True, mode="linear", antialias=True)
    check(ir.Graph([x], [node]), [floats(*shape)])
    check(ir.Graph([x], [node]), [floats(*shape)], "GPU")


def test_padding_and_a_channel_axis():
    x = ir.parameter("x", "f32", SHAPE)
    padded = interpolate11(x, [3, 9], False, axes=[1, 3], mode="linear_onnx",
                           pads_begin=[0, 1, 2, 0], pads_end=[0, 0, 1, 2])
    only_padded = interpolate11(x, [1.0], True, axes=[3], mode="nearest", pads_begin=[0, 0, 1],
                                pads_end=[1, 0, 0, 1])
    nearest_rows = interpolate11(x, [2.0], True, axes=[2], mode="nearest",
                                 pads_begin=[0, 0, 0, 3])  # axis 3 shifted, axis 2 gathered
    nearest_lanes = interpolate11(x, [1.5, 2.0], True, axes=[2, 3], mode="nearest",
                                  pads_begin=[0, 0, 1])  # axis 3 gathered along lanes
    check(ir.Graph([x], [padded, only_padded, nearest_rows, nearest_lanes]), [floats(*SHAPE)])


def test_identity_resize_copies():
    x = ir.parameter("x", "f32", SHAPE)
    same = interpolate11(x, [1.0, 1.0], True, axes=[2, 3], mode="cubic")
    check(ir.Graph([x], [same]), [floats(*SHAPE)])


def test_interpolate_4_with_sizes_and_scales_inputs():
    x = ir.parameter("x", "f32", SHAPE)
    sizes = ir.constant(np.array([9, 4], np.int64))
    scales = ir.constant(np.array([1.8, 0.5], np.float32))
    axes = ir.constant(np.array([2, 3], np.int64))
    by_sizes = ir.make("Interpolate", 4, [x, sizes, scales, axes], mode="cubic",
                       shape_calculation_mode="sizes")
    by_scales = ir.make("Interpolate", 4, [x, sizes, scales, axes], mode="linear_onnx",
                        shape_calculation_mode="scales")
    check(ir.Graph([x], [by_sizes, by_scales]), [floats(*SHAPE)])


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_interpolate_1(mode, align_corners):
    x = ir.parameter("x", "f32", SHAPE)
    target = ir.constant(np.array([9, 4], np.int64))
    node = ir.make("Interpolate", 1, [x, target], axes=[2, 3], mode=mode,
                   align_corners=align_corners)
    check(ir.Graph([x], [node]), [floats(*SHAPE)])


def onnx_resize(x, sizes, scales, roi=None, **attrs):
    rank = len(sizes)
    roi = [0.0] * rank + [1.0] * rank if roi is None else roi
    return ir.make("OnnxResize", 1, [x, ir.constant(np.asarray(sizes, np.int64)),
                                     ir.constant(np.asarray(scales, np.float32)),
                                     ir.constant(np.asarray(roi, np.float32))], **attrs)


@pytest.mark.parametrize("attrs", [
    dict(mode="linear", coordinate_transformation_mode="align_corners"),
    dict(mode="cubic", cubic_coeff_a=-0.5, exclude_outside=True),
    dict(mode="linear", coordinate_transformation_mode="half_pixel_symmetric"),
    dict(mode="linear", antialias=True),
    dict(mode="cubic", antialias=True),
    dict(mode="nearest", nearest_mode="ceil", coordinate_transformation_mode="asymmetric"),
], ids=lambda a: "-".join(str(v) for v in a.values()))
def test_onnx_resize_modes(attrs):
    x = ir.parameter("x", "f32", SHAPE)
    up = onnx_resize(x, [1, 2, 8, 12], [1.0, 1.0, 1.6, 12 / 7], **attrs)
    down = onnx_resize(x, [1, 2, 3, 4], [1.0, 1.0, 0.6, 4 / 7], **attrs)
    check(ir.Graph([x], [up, down]), [floats(*SHAPE)])


def test_onnx_resize_crop_fills_the_extrapolation_value():
    x = ir.parameter("x", "f32", SHAPE)
    roi = [0, 0, -0.2, 0.3, 1, 1, 0.9, 1.4]
    node = onnx_resize(x, [1, 2, 6, 6], [1.0, 1.0, 6 / 5, 6 / 7], roi, mode="linear",
                       coordinate_transformation_mode="tf_crop_and_resize",
                       extrapolation_value=7.5)
    check(ir.Graph([x], [node]), [floats(*SHAPE)])


def test_gpu_renders_the_same_passes():
    """One graph holding every pass shape: gather, unrolled taps, tap loop, bias rows."""
    x = ir.parameter("x", "f32", SHAPE)
    outputs = [
        interpolate11(x, [8, 3], False, axes=[2, 3], mode="nearest"),
        interpolate11(x, [0.6, 1.5], True, axes=[3, 2], mode="cubic",
                      pads_begin=[0, 0, 1, 0]),
        interpolate11(x, [1.0, 1.0, 1.0, 0.14], True, mode="linear", antialias=True),
        onnx_resize(x, [1, 2, 6, 6], [1.0, 1.0, 1.2, 6 / 7], [0, 0, -0.2, 0.3, 1, 1, 0.9, 1.4],
                    mode="cubic", coordinate_transformation_mode="tf_crop_and_resize",
                    extrapolation_value=-2.0),
    ]
    check(ir.Graph([x], outputs), [floats(*SHAPE)], "GPU")


def test_runtime_scales_are_compiled_per_value():
    """Scales given at run time: the lowering names the input it needs at compile time, and the
    device compiles one copy per value (value specialization) that matches TEMPLATE."""
    x = ir.parameter("x", "f32", SHAPE)
    scales = ir.parameter("scales", "f32", (2,))
    node = ir.make("Interpolate", 11, [x, scales, ir.constant(np.array([2, 3], np.int64))],
                   mode="linear_onnx", shape_calculation_mode="scales")
    assert resize.unsupported_resize_reason(node, ir.constant_value) == \
        "the scales must be known at compile time (input 1 is computed at run time)"
    graph = ir.Graph([x, scales], [node])
    for values in ([2.0, 1.5], [0.5, 0.75]):
        check(graph, [floats(*SHAPE), np.array(values, np.float32)])


def test_interpolate_1_area_has_no_reference_and_is_refused():
    x = ir.parameter("x", "f32", SHAPE)
    node = ir.make("Interpolate", 1, [x, ir.constant(np.array([3, 4], np.int64))],
                   axes=[2, 3], mode="area")
    assert resize.unsupported_resize_reason(node, ir.constant_value) == \
        "Interpolate mode 'area' has no reference yet"
    assert unsupported_reason(node) == "Interpolate mode 'area' has no reference yet"
    with pytest.raises(DeviceError, match="Interpolate mode 'area' has no reference yet"):
        Core().compile_model(ir.Graph([x], [node]), "CPU")


def test_resize_ops_are_lowered_here():
    assert LOWERINGS["Interpolate"] is resize.lower_resize
    assert LOWERINGS["OnnxResize"] is resize.lower_resize


def typed_data(dtype: str, shape) -> np.ndarray:
    if dtype in ("u8", "i32", "i64"):
        low = 0 if dtype == "u8" else -50
        return RNG.integers(low, 100, shape).astype({"u8": np.uint8, "i32": np.int32,
                                                      "i64": np.int64}[dtype])
    return floats(*shape).astype({"f16": np.float16, "f64": np.float64}[dtype])


@pytest.mark.parametrize("dtype", ["u8", "i32", "i64", "f16", "f64"])
@pytest.mark.parametrize("device", ["CPU", "GPU"])
def test_element_types(dtype, device):
    """Nearest moves elements as they are; filters sum in f32 (f64 for f64) and an integer
    Interpolate rounds half to even after each axis, as the reference does (its f32 sums are
    added in another order: a sum near .5 may round the other way, hence atol 1 on integers)."""
    shape = (1, 2, 4, 5)
    x = ir.parameter("x", dtype, shape)
    outputs = [
        interpolate11(x, [2.0, 1.5], True, axes=[2, 3], mode="nearest"),
        interpolate11(x, [7, 3], False, axes=[2, 3], mode="linear_onnx"),
        interpolate11(x, [0.5, 2.0], True, axes=[3, 2], mode="cubic", pads_begin=[0, 0, 1]),
    ]
    tolerance = {"f64": 1e-6, "f16": 2e-3}.get(dtype, 1)
    feeds = [typed_data(dtype, shape)]
    device_check.check_against_template(ir.Graph([x], outputs[:1]), feeds, device, rtol=0,
                                        atol=0)
    device_check.check_against_template(ir.Graph([x], outputs[1:]), feeds, device,
                                        rtol=tolerance, atol=tolerance)


CROP_ROI = np.array([0, 0, -0.2, 0.3, 1, 1, 0.9, 1.4], np.float32)


@pytest.mark.parametrize("attrs", [
    dict(mode="linear"),
    dict(mode="linear", antialias=True),
    dict(mode="cubic", exclude_outside=True, cubic_coeff_a=-0.5),
    dict(mode="cubic", antialias=True),
    *[dict(mode="nearest", nearest_mode=rule)
      for rule in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")],
], ids=lambda a: "-".join(str(v) for v in a.values()))
@pytest.mark.filterwarnings("ignore:invalid value encountered in divide")  # the reference's
def test_crop_with_a_runtime_roi_computes_its_taps_at_run_time(attrs):
    """A crop's ROI decides no shape, so it stays a runtime input: a kernel per axis builds
    the tap tables from it (one output length 1, where the crop takes the ROI's centre)."""
    shape = (1, 2, 4, 7)
    x = ir.parameter("x", "f32", shape)
    roi = ir.parameter("roi", "f32", (8,))
    sizes = ir.constant(np.array([1, 2, 1, 6], np.int64))
    scales = ir.constant(np.array([1, 1, 0.25, 6 / 7], np.float32))
    node = ir.make("OnnxResize", 1, [x, sizes, scales, roi],
                   coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=3.5,
                   **attrs)
    graph = ir.Graph([x, roi], [node])
    feeds = [floats(*shape), CROP_ROI]
    assert resize.unsupported_resize_reason(node, ir.constant_value) is None
    check(graph, feeds)
    if attrs.get("exclude_outside") or attrs.get("nearest_mode") == "round_prefer_ceil":
        check(graph, feeds, "GPU")
