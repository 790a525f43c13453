"""MatMul, Gemm and MatMulInteger."""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value
from vinify.types import i32


@converter("MatMul", since=1)
def matmul(ctx: NodeContext):
    return ctx.make("MatMul", 1, ctx.input(0), ctx.input(1))


@converter("Gemm", since=1)
def gemm(ctx: NodeContext):
    """alpha * A' @ B' + beta * C, with A' and B' optionally transposed (C optional from 11)."""
    a, b, c = ctx.input(0), ctx.input(1), ctx.optional_input(2)
    product = ctx.make("MatMul", 1, a, b, transpose_a=bool(ctx.attr("transA", 0)),
                       transpose_b=bool(ctx.attr("transB", 0))).outputs[0]
    dtype = product.element_type.dtype
    alpha, beta = ctx.attr("alpha", 1.0), ctx.attr("beta", 1.0)
    if alpha != 1.0:
        product = ctx.make("Multiply", 1, product, ctx.const(np.asarray(alpha, dtype))).outputs[0]
    if c is None or beta == 0.0:
        return product
    if beta != 1.0:
        c = ctx.make("Multiply", 1, c, ctx.const(np.asarray(beta, dtype))).outputs[0]
    return ctx.make("Add", 1, product, c)


def _shifted(ctx: NodeContext, x: Value, zero_point: Value | None, row_wise: bool) -> Value:
    """x - zero_point in i32; a per-row zero point of A ([M]) is aligned as [M, 1]."""
    wide = ctx.make("Convert", 1, x, destination_type=i32).outputs[0]
    if zero_point is None:
        return wide
    zero = ctx.make("Convert", 1, zero_point, destination_type=i32).outputs[0]
    if row_wise and zero.shape.rank_is_static and zero.shape.rank == 1:
        axes = ctx.const(np.array([1], np.int64))
        zero = ctx.make("Unsqueeze", 1, zero, axes).outputs[0]
    return ctx.make("Subtract", 1, wide, zero).outputs[0]


@converter("MatMulInteger", since=10)
def matmul_integer(ctx: NodeContext):
    a = _shifted(ctx, ctx.input(0), ctx.optional_input(2), row_wise=True)
    b = _shifted(ctx, ctx.input(1), ctx.optional_input(3), row_wise=False)
    return ctx.make("MatMul", 1, a, b)
