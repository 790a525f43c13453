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
