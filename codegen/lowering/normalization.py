"""BatchNormInference (not folded into a convolution) and LRN across channels.

Batch-norm parameters known at compile time become a folded scale and shift; parameters given
at run time get a small kernel that computes the same per-channel scale and shift first.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape
from vinify.codegen.lowering.elementwise import ElementwiseStep, lower_chain, step_builder
from vinify.errors import DeviceError


def batch_norm_parts(ctx: LoweringContext, node: Any) -> tuple[int, list]:
    """(index of the data input, [gamma, beta, mean, variance] constants or None) for both
    versions: v1 takes (gamma, beta, data, mean, variance), v5 (data, gamma, beta, mean, var)."""
    order = (2, 0, 1, 3, 4) if node.op.version == 1 else (0, 1, 2, 3, 4)
    return order[0], [ctx.constant(node.inputs[i]) for i in order[1:]]


def batch_norm_scale_shift(node: Any, params: list) -> tuple[np.ndarray, np.ndarray]:
    gamma, beta, mean, variance = (np.asarray(p, np.float64).reshape(-1) for p in params)
    scale = gamma / np.sqrt(variance + node.attrs["epsilon"])
    return scale, beta - mean * scale


@step_builder("BatchNormInference")
def batch_norm_step(ctx: LoweringContext, node: Any) -> ElementwiseStep:
    data_index, params = batch_norm_parts(ctx, node)
    data = node.inputs[data_index]
    if any(p is None for p in params):
        scale_buffer, shift_buffer = runtime_scale_shift(ctx, node)
    else:
        scale, shift = batch_norm_scale_shift(node, params)
        scale_buffer = ctx.add_weights("bn_scale", scale.astype(np.float32))
        shift_buffer = ctx.add_weights("bn_shift", shift.astype(np.float32))
    channel_shape = (scale_buffer.size,) + (1,) * (len(static_shape(data)) - 2)
    operands = [data, (scale_buffer, channel_shape), (shift_buffer, channel_shape)]
    return ElementwiseStep(node, operands, lambda xs: K.Fma(xs[0], xs[1], xs[2]))


def runtime_scale_shift(ctx: LoweringContext, node: Any) -> tuple[K.Buffer, K.Buffer]:
    """scale = gamma / sqrt(variance + epsilon), shift = beta - mean * scale, per channel, from
    parameters read at run time (any of them may still be a constant)."""
    order = (0, 1, 3, 4) if node.op.version == 1 else (1, 2, 3, 4)
    gamma, beta, mean, variance = (ctx.buffer(node.inputs[i]) for i in order)
    channels = int(np.prod(static_shape(node.inputs[order[0]]), dtype=np.int64))
    scale, shift = ctx.scratch("bn_scale", channels), ctx.scratch("bn_shift", channels)
    c, factor = K.Var("c"), K.Var("factor", "f32")
    root = K.Unary("sqrt", K.Binary("add", K.Load(variance, c),
                                    K.Const(float(node.attrs["epsilon"]), "f32")))
    body = (K.Let(factor, K.Binary("div", K.Load(gamma, c), root)),
            K.Store(scale, c, factor),
            K.Store(shift, c, K.Binary("sub", K.Load(beta, c),
                                       K.Binary("mul", K.Load(mean, c), factor))))
    ctx.emit("bn_params", [K.Loop(c, K.Const(0), K.Const(channels), body)], node.describe())
    return scale, shift


@lowers("BatchNormInference")
def lower_batch_norm(ctx: LoweringContext, node: Any) -> None:
    lower_chain(ctx, [node])


def lrn_power(base: K.Expr, beta: float, lanes: int) -> K.Expr:
    """base ** beta; the usual betas with vector square roots (pow is a libm call per lane:
    GoogLeNet's two LRN layers with beta 0.75 took 16 % of its CPU time)."""
    if beta == 0.75:
        root = K.Unary("sqrt", base)
        return K.Binary("mul", root, K.Unary("sqrt", root))
    if beta == 0.5:
        return K.Unary("sqrt", base)
    if beta == 1.0:
        return base
    return K.Binary("pow", base, K.Const(beta, "f32", lanes))


@lowers("LRN")
def lower_lrn(ctx: LoweringContext, node: Any) -> None:
    """x / (bias + alpha/size * sum of x^2 over the channel window) ** beta, axes = [1]."""
    axes = ctx.constant(node.inputs[1])
    shape = static_shape(node.inputs[0])
    if axes is None or [int(a) % len(shape) for a in np.asarray(axes).reshape(-1)] != [1]:
        raise DeviceError(f"CPU: {node.describe()}: only LRN across channels (axes=[1])")
    batch, channels = shape[0], shape[1]
    plane = int(np.prod(shape[2:], dtype=np.int64))
    lanes = ctx.target.vector_lanes
    x, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    half = (node.attrs["size"] - 1) // 2
    n, c, j, w = K.Var("n"), K.Var("c"), K.Var("j"), K.Var("w")
    mask = K.LaneMask(K.Binary("sub", K.Const(plane), j), lanes)

    def at(channel):
        base = K.Binary("mul", K.Binary("add", K.Binary("mul", n, K.Const(channels)), channel),
                        K.Const(plane))
        return K.Binary("add", base, j)

    total = K.Var("total", "f32", lanes)
    square = K.Load(x, at(w), lanes, mask)
    low = K.Binary("max", K.Binary("sub", c, K.Const(half)), K.Const(0))
    high = K.Binary("min", K.Binary("add", c, K.Const(half + 1)), K.Const(channels))
    window = K.Loop(w, low, high, (K.Let(total, K.Fma(square, square, total)),))
    scale = node.attrs["alpha"] / node.attrs["size"]
    base = K.Fma(total, K.Const(scale, "f32", lanes), K.Const(node.attrs["bias"], "f32", lanes))
    power = lrn_power(base, float(node.attrs["beta"]), lanes)
    result = K.Binary("div", K.Load(x, at(c), lanes, mask), power)
    row = K.Loop(j, K.Const(0), K.Const(plane), (
        K.Let(total, K.Const(0.0, "f32", lanes)), window, K.Store(out, at(c), result, mask)),
        step=lanes)
    body = [K.Loop(c, K.Const(0), K.Const(channels), (
        K.Loop(n, K.Const(0), K.Const(batch), (row,)),), parallel=True)]
    ctx.emit("lrn", body, node.describe())
