"""Det (ONNX Det): determinants of [..., M, M] matrices by LU elimination with partial pivoting.

Each matrix is copied into f64 scratch (the reference computes in f64) and eliminated in place:
per column, the row with the largest magnitude becomes the pivot row (swapping two rows flips
the sign), the determinant takes the pivot as a factor, and the rows below lose their multiple
of it. A zero pivot makes the determinant 0; the elimination then divides by 1 instead, so
nothing becomes NaN. One matrix per iteration of the parallel loop.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    LoweringContext,
    lowers,
    static_shape,
)

WIDE = "f64"


def _f(value: float) -> K.Const:
    return K.Const(float(value), WIDE)


def _b(op: str, a: K.Expr, b: K.Expr | int) -> K.Expr:
    return K.Binary(op, a, b if isinstance(b, K.Expr) else K.Const(b))


def _pivot_search(matrix, k: K.Var, size: int) -> tuple[list[K.Stmt], K.Var]:
    """Statements finding the row (from k down) with the largest |a[row, k]|."""
    i = K.Var("i")
    best, pivot = K.Var("best", WIDE), K.Var("pivot")
    magnitude = K.Unary("abs", matrix(i, k))
    better = _b("gt", magnitude, best)
    search = K.Loop(i, k, K.Const(size), (K.Let(pivot, K.Select(better, i, pivot)),
                                         K.Let(best, K.Select(better, magnitude, best))))
    return [K.Let(best, _f(-1.0)), K.Let(pivot, k), search], pivot


def _swap_rows(scratch: K.Buffer, matrix_index, k: K.Var, pivot: K.Var, size: int) -> K.Loop:
    j = K.Var("j")
    top, other = K.Var("top", WIDE), K.Var("other", WIDE)
    return K.Loop(j, K.Const(0), K.Const(size), (
        K.Let(top, K.Load(scratch, matrix_index(k, j))),
        K.Let(other, K.Load(scratch, matrix_index(pivot, j))),
        K.Store(scratch, matrix_index(k, j), other),
        K.Store(scratch, matrix_index(pivot, j), top)))


def _eliminate_below(scratch: K.Buffer, matrix_index, k: K.Var, divisor: K.Var, size: int
                     ) -> K.Loop:
    i, j, factor = K.Var("i"), K.Var("j"), K.Var("factor", WIDE)
    update = K.Store(scratch, matrix_index(i, j), _b("sub", K.Load(scratch, matrix_index(i, j)),
                     _b("mul", factor, K.Load(scratch, matrix_index(k, j)))))
    return K.Loop(i, _b("add", k, 1), K.Const(size), (
        K.Let(factor, _b("div", K.Load(scratch, matrix_index(i, k)), divisor)),
        K.Loop(j, _b("add", k, 1), K.Const(size), (update,))))


@lowers("Det", dtypes=FLOAT_ELEMENT_TYPES)
def lower_det(ctx: LoweringContext, node: Any) -> None:
    shape = static_shape(node.inputs[0])
    size, count = shape[-1], int(np.prod(shape[:-2], dtype=np.int64))
    source, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    scratch = ctx.scratch("det_lu", count * size * size, WIDE)
    b, e, k = K.Var("b"), K.Var("e"), K.Var("k")
    base = _b("mul", b, size * size)

    def matrix_index(row: K.Expr, col: K.Expr) -> K.Expr:
        return _b("add", base, _b("add", _b("mul", row, size), col))

    def matrix(row: K.Expr, col: K.Expr) -> K.Expr:
        return K.Load(scratch, matrix_index(row, col))

    det, diagonal, divisor = K.Var("det", WIDE), K.Var("diagonal", WIDE), K.Var("divisor", WIDE)
    search, pivot = _pivot_search(matrix, k, size)
    swapped = _b("ne", pivot, k)
    column_step = (
        *search,
        _swap_rows(scratch, matrix_index, k, pivot, size),
        K.Let(diagonal, matrix(k, k)),
        K.Let(det, K.Select(swapped, _b("mul", _b("mul", det, diagonal), _f(-1.0)),
                            _b("mul", det, diagonal))),
        K.Let(divisor, K.Select(_b("eq", diagonal, _f(0.0)), _f(1.0), diagonal)),
        _eliminate_below(scratch, matrix_index, k, divisor, size))
    copy = K.Loop(e, K.Const(0), K.Const(size * size), (K.Store(
        scratch, _b("add", base, e), K.Cast(K.Load(source, _b("add", base, e)), WIDE)),))
    body = (copy, K.Let(det, _f(1.0)), K.Loop(k, K.Const(0), K.Const(size), column_step),
            K.Store(out, b, K.Cast(det, out.dtype)))
    ctx.emit("det", [K.Loop(b, K.Const(0), K.Const(count), body, parallel=count > 1)],
             node.describe())
