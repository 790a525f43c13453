"""Scatter converters: ScatterElements (and its deprecated alias Scatter), ScatterND and
TensorScatter (KV-cache writes)."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    convert,
    dim_value,
    i64_const,
    normalize_axis,
    reshape,
    shape_of,
    static_rank,
)
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import i64

# ONNX reduction attribute -> OpenVINO ScatterElementsUpdate-12 / ScatterNDUpdate-15 reduction
_REDUCTIONS = {"none": "none", "add": "sum", "mul": "prod", "max": "max", "min": "min"}


def _reduction(ctx: NodeContext) -> str:
    reduction = ctx.attr("reduction", "none")
    if reduction not in _REDUCTIONS:
        raise ctx.error(f"unknown reduction '{reduction}'")
    return _REDUCTIONS[reduction]


@converter("ScatterElements", since=11)
def scatter_elements(ctx: NodeContext) -> Value:
    return as_value(ctx.make("ScatterElementsUpdate", 12, ctx.input(0), ctx.input(1),
                             ctx.input(2), i64_const(ctx, ctx.attr("axis", 0)),
                             reduction=_reduction(ctx), use_init_val=True))


@converter("Scatter", since=9)
def scatter(ctx: NodeContext) -> Value:
    """Scatter-9 is ScatterElements without reductions (deprecated in opset 11)."""
    return as_value(ctx.make("ScatterElementsUpdate", 12, ctx.input(0), ctx.input(1),
                             ctx.input(2), i64_const(ctx, ctx.attr("axis", 0)),
                             reduction="none", use_init_val=True))


@converter("ScatterND", since=11)
def scatter_nd(ctx: NodeContext) -> Value:
    reduction = _reduction(ctx)
    data, indices, updates = ctx.input(0), ctx.input(1), ctx.input(2)
    return as_value(ctx.make("ScatterNDUpdate", 15, data, indices, updates, reduction=reduction))


@converter("TensorScatter", since=24)
def tensor_scatter(ctx: NodeContext) -> Value:
    """Writes `update` into the cache at write_indices[batch] + 0..seq-1 along `axis`
    (modulo the cache length in circular mode), as one ScatterElementsUpdate."""
    cache, update = ctx.input(0), ctx.input(1)
    rank = static_rank(ctx, cache)
    axis = normalize_axis(ctx, ctx.attr("axis", -2), rank)
    steps = as_value(ctx.make("Range", 4, i64_const(ctx, 0), dim_value(ctx, update, axis),
                              i64_const(ctx, 1), output_type="i64"))
    positions = reshape(ctx, steps, [-1 if a == axis else 1 for a in range(rank)])
    starts = ctx.optional_input(2)
    if starts is not None:
        starts = reshape(ctx, convert(ctx, starts, i64), [-1] + [1] * (rank - 1))
        positions = as_value(ctx.make("Add", 1, positions, starts))
    mode = ctx.attr("mode", "linear")
    if mode == "circular":
        positions = as_value(ctx.make("FloorMod", 1, positions, dim_value(ctx, cache, axis)))
    elif mode != "linear":
        raise ctx.error(f"unknown mode '{mode}'")
    positions = as_value(ctx.make("Broadcast", 3, positions, shape_of(ctx, update)))
    return as_value(ctx.make("ScatterElementsUpdate", 12, cache, positions, update,
                             i64_const(ctx, axis), reduction="none", use_init_val=True))
