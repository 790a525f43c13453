"""Activations: Relu, LeakyRelu, PRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Elu, Selu, Celu,
Gelu, Mish, Softplus, Softsign, ThresholdedRelu, Shrink, and Softmax/LogSoftmax/Hardmax.

Before opset 13 Softmax, LogSoftmax and Hardmax coerce the input to 2-D ([prod(dims[:axis]),
prod(dims[axis:])]) and normalize over the whole second dimension; from 13 on they work over one
axis (default -1). The old form is converted as reshape -> op over axis 1 -> reshape back.
"""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value


def _scalar(ctx: NodeContext, like: Value, number: float) -> Value:
    return ctx.const(np.asarray(number, like.element_type.dtype))


def _negative_part_select(ctx: NodeContext, x: Value, negative: Value) -> Value:
    """x where x >= 0, `negative` elsewhere."""
    is_negative = ctx.make("Less", 1, x, _scalar(ctx, x, 0))
    return ctx.make("Select", 1, is_negative, negative, x).outputs[0]


@converter("Relu", since=1)
def relu(ctx: NodeContext):
    return ctx.make("Relu", 1, ctx.input(0))


@converter("LeakyRelu", since=1)
def leaky_relu(ctx: NodeContext):
    x = ctx.input(0)
    scaled = ctx.make("Multiply", 1, x, _scalar(ctx, x, ctx.attr("alpha", 0.01)))
    return _negative_part_select(ctx, x, scaled.outputs[0])


@converter("PRelu", since=1)
def prelu(ctx: NodeContext):
    """The slope broadcasts to x unidirectionally (numpy rules), so Multiply covers it; before
    opset 7 a 1-D slope ran along the channel axis 1."""
    x, slope = ctx.input(0), ctx.input(1)
    if ctx.opset < 7 and slope.shape.rank_is_static and slope.shape.rank == 1 \
            and x.shape.rank_is_static and x.shape.rank > 2:
        axes = np.arange(1, x.shape.rank - 1, dtype=np.int64)
        slope = ctx.make("Unsqueeze", 1, slope, ctx.const(axes)).outputs[0]
    scaled = ctx.make("Multiply", 1, x, slope).outputs[0]
    if scaled.shape.rank_is_static and x.shape.rank_is_static \
            and scaled.shape.rank != x.shape.rank:
        raise ctx.error(f"slope {slope.shape} does not broadcast to the input {x.shape}")
    return _negative_part_select(ctx, x, scaled)


@converter("ThresholdedRelu", since=10)
def thresholded_relu(ctx: NodeContext):
    x = ctx.input(0)
    above = ctx.make("Greater", 1, x, _scalar(ctx, x, ctx.attr("alpha", 1.0)))
    return ctx.make("Select", 1, above, x, _scalar(ctx, x, 0))


@converter("Sigmoid", since=1)
def sigmoid(ctx: NodeContext):
    return ctx.make("Sigmoid", 1, ctx.input(0))


@converter("Tanh", since=1)
def tanh(ctx: NodeContext):
    return ctx.make("Tanh", 1, ctx.input(0))


@converter("HardSigmoid", since=1)
def hard_sigmoid(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make("HardSigmoid", 1, x, _scalar(ctx, x, ctx.attr("alpha", 0.2)),
                    _scalar(ctx, x, ctx.attr("beta", 0.5)))


@converter("HardSwish", since=14)
def hard_swish(ctx: NodeContext):
    return ctx.make("HSwish", 4, ctx.input(0))


@converter("Elu", since=1)
def elu(ctx: NodeContext):
    return ctx.make("Elu", 1, ctx.input(0), alpha=ctx.attr("alpha", 1.0))


@converter("Selu", since=1)
def selu(ctx: NodeContext):
    x = ctx.input(0)
    alpha = _scalar(ctx, x, ctx.attr("alpha", 1.67326319217681884765625))
    gamma = _scalar(ctx, x, ctx.attr("gamma", 1.05070102214813232421875))
    return ctx.make("Selu", 1, x, alpha, gamma)


@converter("Celu", since=12)
def celu(ctx: NodeContext):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), in f32 for narrower float inputs."""
    x = ctx.input(0)
    narrow = x.element_type.bitwidth < 32
    if narrow:
        x = ctx.make("Convert", 1, x, destination_type="f32").outputs[0]
    alpha = _scalar(ctx, x, ctx.attr("alpha", 1.0))
    exp = ctx.make("Exp", 1, ctx.make("Divide", 1, x, alpha))
    negative = ctx.make("Multiply", 1, alpha, ctx.make("Subtract", 1, exp, _scalar(ctx, x, 1)))
    zero = _scalar(ctx, x, 0)
    result = ctx.make("Add", 1, ctx.make("Maximum", 1, x, zero),
                      ctx.make("Minimum", 1, negative, zero)).outputs[0]
    if narrow:
        return ctx.make("Convert", 1, result, destination_type=ctx.input(0).element_type)
    return result


@converter("Gelu", since=20)
def gelu(ctx: NodeContext):
    mode = ctx.attr("approximate", "none")
    if mode not in ("none", "tanh"):
        raise ctx.error(f"approximate must be 'none' or 'tanh', got {mode!r}")
    return ctx.make("Gelu", 7, ctx.input(0), approximation_mode="ERF" if mode == "none" else "TANH")


@converter("Mish", since=18)
def mish(ctx: NodeContext):
    return ctx.make("Mish", 4, ctx.input(0))


@converter("Softplus", since=1)
def softplus(ctx: NodeContext):
    return ctx.make("SoftPlus", 4, ctx.input(0))


@converter("Softsign", since=1)
def softsign(ctx: NodeContext):
    return ctx.make("SoftSign", 9, ctx.input(0))


@converter("Shrink", since=9)
def shrink(ctx: NodeContext):
    """x + bias below -lambd, x - bias above lambd, 0 between."""
    x = ctx.input(0)
    lambd, bias = ctx.attr("lambd", 0.5), ctx.attr("bias", 0.0)
    below = ctx.make("Less", 1, x, _scalar(ctx, x, -lambd))
    above = ctx.make("Greater", 1, x, _scalar(ctx, x, lambd))
    raised = ctx.make("Add", 1, x, _scalar(ctx, x, bias))
    lowered = ctx.make("Subtract", 1, x, _scalar(ctx, x, bias))
    inner = ctx.make("Select", 1, above, lowered, _scalar(ctx, x, 0))
    return ctx.make("Select", 1, below, raised, inner)


# ---------------------------------------------------------------- softmax family
def _coerced_2d(ctx: NodeContext, build) -> Value:
    """Opsets < 13: apply `build` over axis 1 of x reshaped to 2-D at `axis`, then reshape back."""
    x = ctx.input(0)
    axis = ctx.attr("axis", 1)
    if not x.shape.rank_is_static:
        raise ctx.error("needs an input of known rank (opset < 13 flattens at 'axis')")
    rank = x.shape.rank
    axis = axis + rank if axis < 0 else axis
    if axis == rank - 1 or rank <= 1:
        return build(x, -1)
    shape = ctx.make("ShapeOf", 3, x, output_type="i64").outputs[0]
    flat = ctx.make("Reshape", 1, x, _two_d_pattern(ctx, x, shape, axis), special_zero=False)
    result = build(flat.outputs[0], 1)
    return ctx.make("Reshape", 1, result, shape, special_zero=False).outputs[0]


def _two_d_pattern(ctx: NodeContext, x: Value, shape: Value, axis: int) -> Value:
    """[prod(dims[:axis]), prod(dims[axis:])] as a Reshape pattern, computed at run time when
    the dimensions are not all known."""
    tail = [d.min if d.is_static else None for d in x.shape.dims[axis:]]
    if None not in tail:
        return ctx.const(np.array([-1, int(np.prod(tail))], np.int64))
    if axis == 0:
        return ctx.const(np.array([1, -1], np.int64))
    i64 = np.int64
    head = ctx.make("Slice", 8, shape, ctx.const(np.array([0], i64)),
                    ctx.const(np.array([axis], i64)), ctx.const(np.array([1], i64)))
    rows = ctx.make("ReduceProd", 1, head, ctx.const(np.array([0], i64)), keep_dims=True)
    return ctx.make("Concat", 1, rows, ctx.const(np.array([-1], i64)), axis=0).outputs[0]


def _softmax_family(ctx: NodeContext, build) -> Value:
    if ctx.opset < 13:
        return _coerced_2d(ctx, build)
    return build(ctx.input(0), ctx.attr("axis", -1))


@converter("Softmax", since=1)
def softmax(ctx: NodeContext):
    return _softmax_family(ctx, lambda x, axis: ctx.make("Softmax", 8, x, axis=axis).outputs[0])


@converter("LogSoftmax", since=1)
def log_softmax(ctx: NodeContext):
    return _softmax_family(ctx, lambda x, axis: ctx.make("LogSoftmax", 5, x, axis=axis).outputs[0])


@converter("Hardmax", since=1)
def hardmax(ctx: NodeContext):
    return _softmax_family(ctx, lambda x, axis: ctx.make("Hardmax", 1, x, axis=axis).outputs[0])
