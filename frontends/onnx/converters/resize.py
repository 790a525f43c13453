"""Resize and Upsample onto OpenVINO Interpolate-11.

Resize grew across opsets: 10 (scales input, asymmetric coordinates), 11 (roi, sizes,
coordinate transformation and nearest modes, cubic), 18 (axes, antialias, keep_aspect_ratio_policy),
19 (half_pixel_symmetric). Interpolate-11 has no ROI cropping, `exclude_outside` or
`extrapolation_value`; nodes that need them are refused with a clear error.
"""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    convert,
    gather_dims,
    i64_const,
    shape_of,
    static_rank,
)
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import f32, i64

_MODES = {"nearest": "nearest", "linear": "linear_onnx", "bilinear": "linear_onnx",
          "cubic": "cubic"}
_COORDINATES = ("half_pixel", "pytorch_half_pixel", "asymmetric", "tf_half_pixel_for_nn",
                "align_corners")


def _present(ctx: NodeContext, index: int) -> Value | None:
    """Input `index` unless it is omitted or an empty tensor (ONNX's 'not given')."""
    value = ctx.optional_input(index)
    if value is None:
        return None
    if value.shape.is_static and 0 in value.shape.to_tuple():
        return None
    return value


def _interpolate(ctx: NodeContext, data: Value, target: Value, shape_mode: str,
                 axes: list[int] | None, **attrs) -> Value:
    inputs = [data, target]
    if axes is not None:
        inputs.append(i64_const(ctx, axes))
    return as_value(ctx.make("Interpolate", 11, *inputs, shape_calculation_mode=shape_mode,
                             **attrs))


def _resize_attrs(ctx: NodeContext) -> dict:
    mode = ctx.attr("mode", "nearest")
    coordinates = ctx.attr("coordinate_transformation_mode", "half_pixel")
    if mode not in _MODES:
        raise ctx.error(f"unknown resize mode '{mode}'")
    if coordinates not in _COORDINATES:
        raise ctx.error(f"coordinate_transformation_mode '{coordinates}' is not supported")
    if ctx.attr("exclude_outside", 0):
        raise ctx.error("exclude_outside=1 is not supported")
    return {"mode": _MODES[mode], "coordinate_transformation_mode": coordinates,
            "nearest_mode": ctx.attr("nearest_mode", "round_prefer_floor"),
            "cube_coeff": ctx.attr("cubic_coeff_a", -0.75),
            "antialias": bool(ctx.attr("antialias", 0))}


def _full_axes(data: Value, axes: list[int] | None) -> list[int] | None:
    if axes is None or not data.shape.rank_is_static:
        return axes
    rank = data.shape.rank
    return [a % rank for a in axes]


def _over_all_axes(ctx: NodeContext, values: Value, axes: list[int] | None,
                   fill: Value) -> Value:
    """Per-axis values given for `axes` spread over every axis, `fill` (a vector) elsewhere."""
    if axes is None:
        return values
    return as_value(ctx.make("ScatterElementsUpdate", 12, fill, i64_const(ctx, axes), values,
                             i64_const(ctx, 0)))


def _sizes_and_scales(ctx: NodeContext, data: Value, sizes: Value,
                      axes: list[int] | None) -> tuple[Value, Value]:
    """Output sizes and scales over every axis from the `sizes` input. Resize-18's not_larger /
    not_smaller use one scale (min or max of size / dim) for all listed axes, sizes rounded
    half up from it."""
    rank = static_rank(ctx, data)
    listed = list(range(rank)) if axes is None else axes
    dims = convert(ctx, gather_dims(ctx, shape_of(ctx, data), listed), f32)
    ratios = as_value(ctx.make("Divide", 1, convert(ctx, sizes, f32), dims))
    policy = ctx.attr("keep_aspect_ratio_policy", "stretch")
    if policy in ("not_larger", "not_smaller"):
        reduce = "ReduceMin" if policy == "not_larger" else "ReduceMax"
        shared = as_value(ctx.make(reduce, 1, ratios, i64_const(ctx, [0]), keep_dims=True))
        ratios = as_value(ctx.make("Broadcast", 3, shared, i64_const(ctx, [len(listed)])))
        scaled = as_value(ctx.make("Add", 1, as_value(ctx.make("Multiply", 1, dims, ratios)),
                                   ctx.const(np.float32(0.5))))
        sizes = convert(ctx, as_value(ctx.make("Floor", 1, scaled)), i64)
    elif policy != "stretch":
        raise ctx.error(f"unknown keep_aspect_ratio_policy '{policy}'")
    ones = ctx.const(np.ones(rank, np.float32))
    full_sizes = _over_all_axes(ctx, sizes, axes, shape_of(ctx, data))
    return full_sizes, _over_all_axes(ctx, ratios, axes, ones)


def _onnx_resize(ctx: NodeContext, data: Value, axes: list[int] | None) -> Value:
    """The vinify OnnxResize op: sizes, scales and roi spelled out for every axis."""
    rank = static_rank(ctx, data)
    dims = convert(ctx, shape_of(ctx, data), f32)
    ones = ctx.const(np.ones(rank, np.float32))
    sizes, scales = _present(ctx, 3), _present(ctx, 2)
    if sizes is not None:
        sizes, scales = _sizes_and_scales(ctx, data, convert(ctx, sizes, i64), axes)
    elif scales is not None:
        scales = _over_all_axes(ctx, convert(ctx, scales, f32), axes, ones)
        product = as_value(ctx.make("Multiply", 1, dims, scales))
        sizes = convert(ctx, as_value(ctx.make("Floor", 1, product)), i64)
    else:
        raise ctx.error("Resize needs scales or sizes")
    roi = _present(ctx, 1)
    if roi is None:
        roi = ctx.const(np.array([0.0] * rank + [1.0] * rank, np.float32))
    elif axes is not None:
        begin, end = (as_value(node) for node in ctx.make(
            "Split", 1, convert(ctx, roi, f32), i64_const(ctx, 0), num_splits=2).outputs)
        zeros = ctx.const(np.zeros(rank, np.float32))
        roi = as_value(ctx.make("Concat", 1, _over_all_axes(ctx, begin, axes, zeros),
                                _over_all_axes(ctx, end, axes, ones), axis=0))
    attrs = {"mode": ctx.attr("mode", "nearest"),
             "coordinate_transformation_mode": ctx.attr("coordinate_transformation_mode",
                                                        "half_pixel"),
             "nearest_mode": ctx.attr("nearest_mode", "round_prefer_floor"),
             "cubic_coeff_a": ctx.attr("cubic_coeff_a", -0.75),
             "exclude_outside": bool(ctx.attr("exclude_outside", 0)),
             "extrapolation_value": ctx.attr("extrapolation_value", 0.0),
             "antialias": bool(ctx.attr("antialias", 0))}
    return as_value(ctx.make("OnnxResize", 1, data, sizes, scales, convert(ctx, roi, f32),
                             **attrs))


@converter("Resize", since=11)
def resize(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    axes = _full_axes(data, ctx.attr("axes", None))
    if not _fits_interpolate(ctx):
        return _onnx_resize(ctx, data, axes)
    attrs = _resize_attrs(ctx)
    sizes, scales = _present(ctx, 3), _present(ctx, 2)
    if sizes is not None:
        return _interpolate(ctx, data, convert(ctx, sizes, i64), "sizes", axes, **attrs)
    if scales is None:
        raise ctx.error("Resize needs scales or sizes")
    return _interpolate(ctx, data, convert(ctx, scales, f32), "scales", axes, **attrs)


def _fits_interpolate(ctx: NodeContext) -> bool:
    """Whether OpenVINO's Interpolate-11 means the same as this Resize node. It lacks ROI
    crops, exclude_outside, half_pixel_symmetric and ONNX's antialias filter, and it stretches
    align_corners over the rounded output length where ONNX uses scale * input length."""
    coordinates = ctx.attr("coordinate_transformation_mode", "half_pixel")
    return (coordinates in _COORDINATES and coordinates != "align_corners"
            and not ctx.attr("exclude_outside", 0) and not ctx.attr("antialias", 0)
            and ctx.attr("keep_aspect_ratio_policy", "stretch") == "stretch")


def _legacy_attrs(ctx: NodeContext) -> dict:
    """Upsample and Resize-10: asymmetric coordinates, nearest rounds down."""
    mode = ctx.attr("mode", "nearest")
    if mode not in _MODES:
        raise ctx.error(f"unknown mode '{mode}'")
    return {"mode": _MODES[mode], "coordinate_transformation_mode": "asymmetric",
            "nearest_mode": "floor"}


@converter("Resize", since=10, until=10)
def resize_10(ctx: NodeContext) -> Value:
    return _interpolate(ctx, ctx.input(0), convert(ctx, ctx.input(1), f32), "scales", None,
                        **_legacy_attrs(ctx))


@converter("Upsample", since=7)
def upsample(ctx: NodeContext) -> Value:
    if ctx.opset < 9:
        scales = ctx.const(np.asarray(ctx.attr("scales"), dtype=np.float32))
    else:
        scales = convert(ctx, ctx.input(1), f32)
    return _interpolate(ctx, ctx.input(0), scales, "scales", None, **_legacy_attrs(ctx))
