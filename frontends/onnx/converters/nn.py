"""Loss converters: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.

Both pick each sample's target-class value along axis 1 (GatherElements), weight it per class,
zero the `ignore_index` positions, and reduce ("none", "sum", or a weighted "mean" that divides
by the sum of the weights actually applied).
"""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    all_axes,
    convert,
    i64_const,
    scalar_like,
    unsqueeze,
)
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import i64


def _binary(ctx: NodeContext, op: str, a: Value, b: Value) -> Value:
    return as_value(ctx.make(op, 1, a, b))


def _reduce_all(ctx: NodeContext, op: str, value: Value) -> Value:
    return as_value(ctx.make(op, 1, value, all_axes(ctx, value), keep_dims=False))


def _class_weights(ctx: NodeContext, target: Value, like: Value,
                   ignored: Value | None) -> Value | None:
    """Per-position weights: weight[target] (or 1), 0 where the target is ignored."""
    weight = ctx.optional_input(2)
    if weight is None and ignored is None:
        return None
    if weight is None:
        weights = as_value(ctx.make("Broadcast", 3, scalar_like(ctx, 1, like),
                                    as_value(ctx.make("ShapeOf", 3, target,
                                                      output_type="i64"))))
    else:
        weights = as_value(ctx.make("Gather", 8, weight, target, i64_const(ctx, 0)))
    if ignored is None:
        return weights
    return as_value(ctx.make("Select", 1, ignored, scalar_like(ctx, 0, like), weights))


def negative_log_likelihood(ctx: NodeContext, log_prob: Value, target: Value) -> Value:
    """The NLL loss of `log_prob` [N, C, ...] against integer `target` [N, ...]."""
    target = convert(ctx, target, i64)
    ignored = None
    if ctx.has_attr("ignore_index"):
        ignored = _binary(ctx, "Equal", target, i64_const(ctx, ctx.attr("ignore_index")))
        target = as_value(ctx.make("Select", 1, ignored, i64_const(ctx, 0), target))
    picked = as_value(ctx.make("GatherElements", 6, log_prob, unsqueeze(ctx, target, [1]),
                               axis=1))
    picked = as_value(ctx.make("Squeeze", 1, picked, i64_const(ctx, [1])))
    loss = as_value(ctx.make("Negative", 1, picked))
    weights = _class_weights(ctx, target, log_prob, ignored)
    if weights is not None:
        loss = _binary(ctx, "Multiply", loss, weights)
    reduction = ctx.attr("reduction", "mean")
    if reduction == "none":
        return loss
    if reduction == "sum":
        return _reduce_all(ctx, "ReduceSum", loss)
    if reduction != "mean":
        raise ctx.error(f"unknown reduction '{reduction}'")
    if weights is None:
        return _reduce_all(ctx, "ReduceMean", loss)
    return _binary(ctx, "Divide", _reduce_all(ctx, "ReduceSum", loss),
                   _reduce_all(ctx, "ReduceSum", weights))


@converter("NegativeLogLikelihoodLoss", since=12)
def negative_log_likelihood_loss(ctx: NodeContext) -> Value:
    return negative_log_likelihood(ctx, ctx.input(0), ctx.input(1))


def log_softmax(ctx: NodeContext, scores: Value, axis: int) -> Value:
    """x - max - log(sum(exp(x - max))) along `axis`."""
    axes = i64_const(ctx, [axis])
    peak = as_value(ctx.make("ReduceMax", 1, scores, axes, keep_dims=True))
    shifted = _binary(ctx, "Subtract", scores, peak)
    total = as_value(ctx.make("ReduceSum", 1, as_value(ctx.make("Exp", 1, shifted)), axes,
                              keep_dims=True))
    return _binary(ctx, "Subtract", shifted, as_value(ctx.make("Log", 1, total)))


@converter("SoftmaxCrossEntropyLoss", since=12)
def softmax_cross_entropy_loss(ctx: NodeContext) -> list[Value]:
    log_prob = log_softmax(ctx, ctx.input(0), 1)
    return [negative_log_likelihood(ctx, log_prob, ctx.input(1)), log_prob]
