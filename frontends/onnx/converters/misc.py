"""Converters for ONNX ops built from several OpenVINO ops: CenterCropPad."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    convert,
    gather_dims,
    i64_const,
    scalar_like,
    shape_of,
    static_rank,
)
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import i64


def _binary(ctx: NodeContext, op: str, a: Value, b: Value) -> Value:
    return as_value(ctx.make(op, 1, a, b))


@converter("CenterCropPad", since=18)
def center_crop_pad(ctx: NodeContext) -> Value:
    """Crops (start (dim - size) // 2) or zero-pads (before: (size - dim) // 2) each axis."""
    data = ctx.input(0)
    rank = static_rank(ctx, data)
    axes = [a % rank for a in ctx.attr("axes", list(range(rank)))]
    sizes = convert(ctx, ctx.input(1), i64)
    dims = gather_dims(ctx, shape_of(ctx, data), axes)
    excess = _binary(ctx, "Subtract", dims, sizes)
    zero, two = i64_const(ctx, 0), i64_const(ctx, 2)
    start = _binary(ctx, "Divide", _binary(ctx, "Maximum", excess, zero), two)
    stop = _binary(ctx, "Add", start, _binary(ctx, "Minimum", dims, sizes))
    axes_value = i64_const(ctx, axes)
    cropped = as_value(ctx.make("Slice", 8, data, start, stop, i64_const(ctx, [1] * len(axes)),
                                axes_value))
    missing = _binary(ctx, "Maximum", as_value(ctx.make("Negative", 1, excess)), zero)
    before = _binary(ctx, "Divide", missing, two)
    after = _binary(ctx, "Subtract", missing, before)
    zeros = i64_const(ctx, [0] * rank)
    begins, ends = (as_value(ctx.make("ScatterElementsUpdate", 12, zeros, axes_value, part,
                                      i64_const(ctx, 0))) for part in (before, after))
    return as_value(ctx.make("Pad", 12, cropped, begins, ends, scalar_like(ctx, 0, data),
                             pad_mode="constant"))


_GRID_MODES = {"linear": "bilinear", "bilinear": "bilinear", "cubic": "bicubic",
               "bicubic": "bicubic", "nearest": "nearest"}


@converter("GridSample", since=16)
def grid_sample(ctx: NodeContext) -> Value:
    mode = ctx.attr("mode", "linear" if ctx.opset >= 20 else "bilinear")
    if mode not in _GRID_MODES:
        raise ctx.error(f"unknown GridSample mode '{mode}'")
    grid = ctx.input(1)
    data = ctx.input(0)
    if grid.element_type != data.element_type:
        grid = convert(ctx, grid, data.element_type)
    return as_value(ctx.make("GridSample", 9, data, grid,
                             align_corners=bool(ctx.attr("align_corners", 0)),
                             mode=_GRID_MODES[mode],
                             padding_mode=ctx.attr("padding_mode", "zeros")))


@converter("Col2Im", since=18)
def col2im(ctx: NodeContext) -> Value:
    pads = ctx.attr("pads", [0, 0, 0, 0])
    return as_value(ctx.make("Col2Im", 15, ctx.input(0), convert(ctx, ctx.input(1), i64),
                             convert(ctx, ctx.input(2), i64),
                             strides=ctx.attr("strides", [1, 1]),
                             dilations=ctx.attr("dilations", [1, 1]),
                             pads_begin=pads[:2], pads_end=pads[2:]))
