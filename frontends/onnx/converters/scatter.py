"""Scatter converters: ScatterElements (and its deprecated alias Scatter) and ScatterND."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import i64_const
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value

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
