"""Resize and Upsample onto OpenVINO Interpolate-11.

Resize grew across opsets: 10 (scales input, asymmetric coordinates), 11 (roi, sizes,
coordinate transformation and nearest modes, cubic), 18 (axes, antialias, keep_aspect_ratio_policy),
19 (half_pixel_symmetric). Interpolate-11 has no ROI cropping, `exclude_outside` or
`extrapolation_value`; nodes that need them are refused with a clear error.
"""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import convert, i64_const
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


def _keep_aspect_ratio(ctx: NodeContext, data: Value, sizes: np.ndarray,
                       axes: list[int]) -> np.ndarray:
    """Resize-18 not_larger/not_smaller: one scale for all axes, sizes rounded from it."""
    policy = ctx.attr("keep_aspect_ratio_policy", "stretch")
    if policy == "stretch":
        return sizes
    dims = [data.shape[a] for a in axes]
    if not all(d.is_static for d in dims):
        raise ctx.error(f"keep_aspect_ratio_policy '{policy}' needs static resized dims")
    ratios = [int(s) / d.min for s, d in zip(sizes, dims)]
    scale = min(ratios) if policy == "not_larger" else max(ratios)
    return np.array([int(np.floor(d.min * scale + 0.5)) for d in dims], dtype=np.int64)


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


@converter("Resize", since=11)
def resize(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    attrs = _resize_attrs(ctx)
    axes = _full_axes(data, ctx.attr("axes", None))
    sizes, scales = _present(ctx, 3), _present(ctx, 2)
    if sizes is not None:
        known = ctx.const_value(sizes)
        if known is not None:
            full = axes if axes is not None else list(range(known.size))
            sizes = i64_const(ctx, _keep_aspect_ratio(ctx, data, known.reshape(-1), full))
        return _interpolate(ctx, data, convert(ctx, sizes, i64), "sizes", axes, **attrs)
    if scales is None:
        raise ctx.error("Resize needs scales or sizes")
    return _interpolate(ctx, data, convert(ctx, scales, f32), "scales", axes, **attrs)


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
