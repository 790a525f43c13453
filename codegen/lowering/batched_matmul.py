"""MatMul of any ranks and element types, lowered directly to kernel IR loops.

The register-blocked GEMM (gemm.py) is the fast path for what most models hold: f32, a 2-D right
operand, transposes only where it packs or reads them cheaply. Everything else comes here: N-D
right operands with numpy broadcasting of the batch axes, 1-D operands (promoted as numpy does),
transpose_a/transpose_b of runtime operands, and integer or narrow-float element types.

One parallel loop runs over the rows of every batch (batch * M); each row walks N in vectors of
`lanes` columns and accumulates over K (FMA for floats; f16/bf16 are widened to f32 and rounded
once at the store, as the reference accumulates them). Broadcast batch axes read with stride 0.
Nodes a GEMM epilogue absorbed (bias, residual, activation) are lowered after the product, each
by its own lowering: this path favours correctness over fusion.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    INTEGER_ELEMENT_TYPES,
    LOWERINGS,
    LoweringContext,
    accept_element_types,
    static_shape,
)

PARALLEL_MIN_WORK = 16384  # multiply-adds below which a waking thread costs more than it saves


@dataclass(frozen=True)
class MatrixLayout:
    """Where element (batch coordinates, row, column) of one logical operand lives."""

    batch: tuple[int, ...]  # the operand's own batch dims (may be shorter than the output's)
    matrix_size: int  # elements per matrix
    row_stride: int
    column_stride: int


@dataclass(frozen=True)
class ProductShape:
    batch: tuple[int, ...]
    m: int
    n: int
    k: int
    a: MatrixLayout  # rows m, columns k
    b: MatrixLayout  # rows k, columns n


def fast_gemm_handles(ctx: LoweringContext, node: Any) -> bool:
    """Whether gemm.lower_matmul's register-blocked path takes this MatMul."""
    a_shape, b_shape = static_shape(node.inputs[0]), static_shape(node.inputs[1])
    if node.outputs[0].element_type.name != "f32" or len(b_shape) != 2 or not a_shape:
        return False
    if node.attrs["transpose_a"] and len(a_shape) != 2:
        return False
    return not node.attrs["transpose_b"] or ctx.constant(node.inputs[1]) is not None


def _layout(shape: tuple, transposed: bool, is_left: bool) -> tuple[MatrixLayout, int, int]:
    """(layout, rows, columns) of one operand after 1-D promotion and its transpose."""
    if len(shape) == 1:  # numpy: [K] is a row vector on the left, a column on the right
        rows, columns = (1, shape[0]) if is_left else (shape[0], 1)
        return MatrixLayout((), shape[0], columns if is_left else 1, 1), rows, columns
    stored_rows, stored_columns = shape[-2], shape[-1]
    size = stored_rows * stored_columns
    if transposed:
        return MatrixLayout(tuple(shape[:-2]), size, 1, stored_columns), stored_columns, \
            stored_rows
    return MatrixLayout(tuple(shape[:-2]), size, stored_columns, 1), stored_rows, stored_columns


def product_shape(node: Any) -> ProductShape:
    a_shape, b_shape = static_shape(node.inputs[0]), static_shape(node.inputs[1])
    a, m, k = _layout(a_shape, node.attrs["transpose_a"], True)
    b, _, n = _layout(b_shape, node.attrs["transpose_b"], False)
    batch = tuple(np.broadcast_shapes(a.batch, b.batch))
    return ProductShape(batch, m, n, k, a, b)


def _batch_offset(batch_index: K.Expr, out_batch: tuple, layout: MatrixLayout) -> K.Expr:
    """The first element of an operand's matrix for a flat output batch index (numpy
    broadcasting: missing or size-1 axes of the operand do not move it)."""
    offset: K.Expr = K.Const(0)
    own = (1,) * (len(out_batch) - len(layout.batch)) + layout.batch
    stride = layout.matrix_size
    for axis in range(len(out_batch) - 1, -1, -1):
        if own[axis] != 1:
            inner = int(np.prod(out_batch[axis + 1:], dtype=np.int64))
            coordinate = K.Binary("rem", K.Binary("div", batch_index, K.Const(inner)),
                                  K.Const(out_batch[axis]))
            offset = K.Binary("add", offset, K.Binary("mul", coordinate, K.Const(stride)))
        stride *= own[axis]
    return offset


def _b_vector(b: K.Buffer, shape: ProductShape, base: K.Expr, k: K.Expr, n0: K.Expr,
              mask: K.Expr, lanes: int) -> K.Expr:
    """`lanes` columns of B's row k from column n0: a masked load when the columns are
    adjacent (or N is 1), a gather otherwise (B transposed)."""
    start = K.Binary("add", base, K.Binary("mul", k, K.Const(shape.b.row_stride)))
    step = shape.b.column_stride
    if shape.n == 1 or step == 1:
        return K.Load(b, K.Binary("add", start, n0), lanes, mask)
    first = K.Binary("add", start, K.Binary("mul", n0, K.Const(step)))
    if lanes == 1:
        return K.Load(b, first)
    index = K.Binary("add", K.Splat(first, lanes),
                     K.Binary("mul", K.Iota(lanes), K.Const(step, "i64", lanes)))
    return K.Load(b, index, lanes, mask)


def _row_statements(a: K.Buffer, b: K.Buffer, c: K.Buffer, shape: ProductShape, row: K.Var,
                    lanes: int) -> list[K.Stmt]:
    """C[row, :] for one flat row (batch * M + m) of the output."""
    batch, m = K.Var("batch"), K.Var("m")
    a_base, b_base, n0 = K.Var("a_base"), K.Var("b_base"), K.Var("n0")
    acc_type = K.compute_dtype(c.dtype)
    acc = K.Var("acc", acc_type, lanes)
    k = K.Var("k")
    mask = K.LaneMask(K.Binary("sub", K.Const(shape.n), n0), lanes) if lanes > 1 else None
    a_index = K.Binary("add", a_base, K.Binary("mul", k, K.Const(shape.a.column_stride)))
    a_value = K.widen(K.Load(a, a_index))
    a_value = K.Splat(a_value, lanes) if lanes > 1 else a_value
    b_value = K.widen(_b_vector(b, shape, b_base, k, n0, mask, lanes))
    if K.is_float(acc_type):
        update = K.Fma(a_value, b_value, acc)
    else:
        update = K.Binary("add", acc, K.Binary("mul", a_value, b_value))
    zero = K.Const(0.0 if K.is_float(acc_type) else 0, acc_type, lanes)
    columns = K.Loop(n0, K.Const(0), K.Const(shape.n), (
        K.Let(acc, zero),
        K.Loop(k, K.Const(0), K.Const(shape.k), (K.Let(acc, update),)),
        K.Store(c, K.Binary("add", K.Binary("mul", row, K.Const(shape.n)), n0),
                K.narrow(acc, c.dtype), mask),
    ), step=lanes)
    a_row = K.Binary("mul", m, K.Const(shape.a.row_stride))
    return [K.Let(batch, K.Binary("div", row, K.Const(shape.m))),
            K.Let(m, K.Binary("rem", row, K.Const(shape.m))),
            K.Let(a_base, K.Binary("add", _batch_offset(batch, shape.batch, shape.a), a_row)),
            K.Let(b_base, _batch_offset(batch, shape.batch, shape.b)),
            columns]


def lower_batched_matmul(ctx: LoweringContext, node: Any, epilogue: Any = None) -> None:
    """The product into the MatMul's own output, then any absorbed epilogue nodes in order."""
    shape = product_shape(node)
    a, b = ctx.buffer(node.inputs[0]), ctx.buffer(node.inputs[1])
    c = ctx.output(node.outputs[0])
    # f16/bf16 buffers are read one element at a time (OpenCL C has no vector load of half
    # without cl_khr_fp16), as the elementwise maps do
    narrow = any(buffer.dtype in K.NARROW_FLOAT_TYPES for buffer in (a, b, c))
    lanes = 1 if narrow else ctx.target.vector_lanes
    rows = int(np.prod(shape.batch, dtype=np.int64)) * shape.m
    row = K.Var("row")
    body = _row_statements(a, b, c, shape, row, lanes)
    parallel = rows > 1 and rows * shape.n * shape.k >= PARALLEL_MIN_WORK
    ctx.emit("batched_matmul", [K.Loop(row, K.Const(0), K.Const(rows), tuple(body),
                                       parallel=parallel)], node.describe())
    for absorbed in (epilogue.nodes[1:] if epilogue is not None else []):
        LOWERINGS[absorbed.op.name](ctx, absorbed)


# the fast path takes f32 only; every other element type comes here
accept_element_types(FLOAT_ELEMENT_TYPES | INTEGER_ELEMENT_TYPES, "MatMul")
