"""Normalization converters: BatchNormalization, InstanceNormalization, LayerNormalization,
GroupNormalization, RMSNormalization, MeanVarianceNormalization, LpNormalization, LRN.

Layer/instance/group normalization are written out as mean and variance reductions, not MVN:
ONNX also exposes the mean and inverse standard deviation as outputs, and computes them in the
`stash_type` precision (f32) even for f16 inputs.
"""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    convert,
    convert_like,
    i64_const,
    normalize_axis,
    reshape,
    scalar_like,
    shape_of,
    static_rank,
    unsqueeze,
)
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import f32


def _binary(ctx: NodeContext, op: str, a: Value, b: Value) -> Value:
    return as_value(ctx.make(op, 1, a, b))


def _mean(ctx: NodeContext, value: Value, axes: list[int]) -> Value:
    return as_value(ctx.make("ReduceMean", 1, value, i64_const(ctx, axes), keep_dims=True))


def standardize(ctx: NodeContext, data: Value, axes: list[int],
                epsilon: float) -> tuple[Value, Value, Value]:
    """(data - mean) / sqrt(var + epsilon) over `axes`, with the mean and 1/sqrt(var + eps)."""
    mean = _mean(ctx, data, axes)
    centered = _binary(ctx, "Subtract", data, mean)
    variance = _mean(ctx, _binary(ctx, "Multiply", centered, centered), axes)
    shifted = _binary(ctx, "Add", variance, scalar_like(ctx, epsilon, variance))
    inverse_std = _binary(ctx, "Divide", scalar_like(ctx, 1.0, shifted),
                          as_value(ctx.make("Sqrt", 1, shifted)))
    return _binary(ctx, "Multiply", centered, inverse_std), mean, inverse_std


def _channel_shaped(ctx: NodeContext, vector: Value, rank: int) -> Value:
    """A [C] vector as [C, 1, ..., 1] so it broadcasts over an [N, C, ...] tensor."""
    return unsqueeze(ctx, vector, list(range(1, rank - 1)))


def _scale_shift(ctx: NodeContext, data: Value, scale: Value | None,
                 bias: Value | None) -> Value:
    if scale is not None:
        data = _binary(ctx, "Multiply", data, convert_like(ctx, scale, data))
    if bias is not None:
        data = _binary(ctx, "Add", data, convert_like(ctx, bias, data))
    return data


@converter("BatchNormalization", since=1)
def batch_normalization(ctx: NodeContext) -> list[Value | None]:
    data = ctx.input(0)
    epsilon = ctx.attr("epsilon", 1e-5)
    if ctx.attr("training_mode", 0):
        return _batch_norm_training(ctx, data, epsilon)
    gamma, beta, mean, variance = (ctx.input(i) for i in range(1, 5))
    node = ctx.make("BatchNormInference", 5, data, gamma, beta, mean, variance, epsilon=epsilon)
    return [node.outputs[0]] + [None] * (len(ctx.node.output) - 1)


def _batch_norm_training(ctx: NodeContext, data: Value, epsilon: float) -> list[Value]:
    """Batch statistics; running stats blend with `momentum` (the variance is biased)."""
    rank = static_rank(ctx, data)
    axes = [0] + list(range(2, rank))
    normalized, mean, _ = standardize(ctx, data, axes, epsilon)
    centered = _binary(ctx, "Subtract", data, mean)
    variance = _mean(ctx, _binary(ctx, "Multiply", centered, centered), axes)
    scale, bias = (_channel_shaped(ctx, ctx.input(i), rank) for i in (1, 2))
    output = _scale_shift(ctx, normalized, scale, bias)
    momentum = ctx.attr("momentum", 0.9)
    running = []
    for index, batch in ((3, mean), (4, variance)):
        batch = reshape(ctx, batch, [-1])
        kept = _binary(ctx, "Multiply", ctx.input(index), scalar_like(ctx, momentum, batch))
        fresh = _binary(ctx, "Multiply", batch, scalar_like(ctx, 1.0 - momentum, batch))
        running.append(_binary(ctx, "Add", kept, fresh))
    return [output] + running


@converter("InstanceNormalization", since=1)
def instance_normalization(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    rank = static_rank(ctx, data)
    normalized, _, _ = standardize(ctx, data, list(range(2, rank)), ctx.attr("epsilon", 1e-5))
    scale, bias = (_channel_shaped(ctx, ctx.input(i), rank) for i in (1, 2))
    return _scale_shift(ctx, normalized, scale, bias)


def _stash(ctx: NodeContext, data: Value) -> Value:
    """The input in the stash precision: f32 for narrower floats unless stash_type says not."""
    if ctx.attr("stash_type", 1) == 1 and data.element_type.bitwidth < 32:
        return convert(ctx, data, f32)
    return data


@converter("LayerNormalization", since=17)
def layer_normalization(ctx: NodeContext) -> list[Value]:
    data = ctx.input(0)
    rank = static_rank(ctx, data)
    axis = normalize_axis(ctx, ctx.attr("axis", -1), rank)
    wide = _stash(ctx, data)
    normalized, mean, inverse_std = standardize(ctx, wide, list(range(axis, rank)),
                                                ctx.attr("epsilon", 1e-5))
    output = _scale_shift(ctx, convert_like(ctx, normalized, data), ctx.input(1),
                          ctx.optional_input(2))
    return [output, mean, inverse_std]


@converter("RMSNormalization", since=23)
def rms_normalization(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    rank = static_rank(ctx, data)
    axis = normalize_axis(ctx, ctx.attr("axis", -1), rank)
    wide = _stash(ctx, data)
    mean_square = _mean(ctx, _binary(ctx, "Multiply", wide, wide), list(range(axis, rank)))
    shifted = _binary(ctx, "Add", mean_square, scalar_like(ctx, ctx.attr("epsilon", 1e-5),
                                                           mean_square))
    normalized = _binary(ctx, "Divide", wide, as_value(ctx.make("Sqrt", 1, shifted)))
    return _scale_shift(ctx, convert_like(ctx, normalized, data), ctx.input(1), None)


@converter("GroupNormalization", since=18)
def group_normalization(ctx: NodeContext) -> Value:
    """Opset 18 scales per group (scale/bias [G]); opset 21 per channel ([C])."""
    data = ctx.input(0)
    rank = static_rank(ctx, data)
    groups = ctx.attr("num_groups")
    grouped = reshape(ctx, _stash(ctx, data), [0, groups, -1], special_zero=True)
    normalized, _, _ = standardize(ctx, grouped, [2], ctx.attr("epsilon", 1e-5))
    scale, bias = ctx.input(1), ctx.input(2)
    if ctx.opset < 21:
        normalized = _scale_shift(ctx, normalized, unsqueeze(ctx, scale, [1]),
                                  unsqueeze(ctx, bias, [1]))
        return convert_like(ctx, reshape(ctx, normalized, shape_of(ctx, data)), data)
    restored = convert_like(ctx, reshape(ctx, normalized, shape_of(ctx, data)), data)
    return _scale_shift(ctx, restored, _channel_shaped(ctx, scale, rank),
                        _channel_shaped(ctx, bias, rank))


@converter("MeanVarianceNormalization", since=9)
def mean_variance_normalization(ctx: NodeContext) -> Value:
    """(x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9), as the ONNX function body defines it."""
    data = ctx.input(0)
    axes = ctx.attr("axes", [0, 2, 3])
    mean = _mean(ctx, data, axes)
    mean_square = _mean(ctx, _binary(ctx, "Multiply", data, data), axes)
    variance = _binary(ctx, "Subtract", mean_square, _binary(ctx, "Multiply", mean, mean))
    std = _binary(ctx, "Add", as_value(ctx.make("Sqrt", 1, variance)),
                  scalar_like(ctx, 1e-9, variance))
    return _binary(ctx, "Divide", _binary(ctx, "Subtract", data, mean), std)


@converter("LpNormalization", since=1)
def lp_normalization(ctx: NodeContext) -> Value:
    """x / ||x||_p along one axis; a zero norm gives zeros."""
    data = ctx.input(0)
    axis = i64_const(ctx, [ctx.attr("axis", -1)])
    p = ctx.attr("p", 2)
    if p == 1:
        norm = as_value(ctx.make("ReduceSum", 1, as_value(ctx.make("Abs", 1, data)), axis,
                                 keep_dims=True))
    elif p == 2:
        squares = _binary(ctx, "Multiply", data, data)
        norm = as_value(ctx.make("Sqrt", 1, as_value(ctx.make("ReduceSum", 1, squares, axis,
                                                                keep_dims=True))))
    else:
        raise ctx.error(f"LpNormalization supports p=1 or p=2, got {p}")
    is_zero = _binary(ctx, "Equal", norm, scalar_like(ctx, 0, norm))
    safe = as_value(ctx.make("Select", 1, is_zero, scalar_like(ctx, 1, norm), norm))
    return _binary(ctx, "Divide", data, safe)


@converter("LRN", since=1)
def lrn(ctx: NodeContext) -> Value:
    return as_value(ctx.make("LRN", 1, ctx.input(0), i64_const(ctx, [1]),
                             alpha=ctx.attr("alpha", 1e-4), beta=ctx.attr("beta", 0.75),
                             bias=ctx.attr("bias", 1.0), size=ctx.attr("size")))
