"""Reductions (ReduceMean/Sum/Max) and Softmax/LogSoftmax.

A tensor is viewed as [outer, reduced, inner]. With inner == 1 the reduced axis is contiguous and
read as vectors folded at the end; otherwise the inner axis is vectorized and the reduced axis
looped over. Axes that are not one contiguous block are first gathered to the end by a copy
(kept axes in order, then the reduced ones), which makes them one block. Softmax makes three
passes: max, sum of exp(x - max) (written out), scale.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    NUMPY_DTYPES,
    LoweringContext,
    accept_element_types,
    lowers,
    static_shape,
)
from vinify.errors import DeviceError

REDUCE = {"ReduceMean": "add", "ReduceSum": "add", "ReduceMax": "max"}
INTEGER_TYPES = {"i64", "i32", "i16", "i8", "u64", "u32", "u16", "u8"}
VECTOR_TYPES = ("f32", "f64")  # lane folds exist for these; others reduce one lane at a time


def split_axes(shape: tuple, axes: list[int]) -> tuple[int, int, int]:
    """(outer, reduced, inner) sizes when `axes` are one contiguous block."""
    axes = sorted(set(axes))
    if axes and axes != list(range(axes[0], axes[-1] + 1)):
        raise ValueError("reduced axes are not contiguous")
    first, last = (axes[0], axes[-1] + 1) if axes else (0, 0)
    size = lambda dims: int(np.prod(dims, dtype=np.int64))  # noqa: E731
    return size(shape[:first]), size(shape[first:last]), size(shape[last:])


def _identity(op: str, lanes: int, dtype: str = "f32") -> K.Const:
    if op == "add":
        return K.Const(0.0 if K.is_float(dtype) else 0, dtype, lanes)
    if K.is_float(dtype):
        return K.Const(float("-inf"), dtype, lanes)
    return K.Const(int(np.iinfo(NUMPY_DTYPES[dtype]).min), dtype, lanes)


@lowers("ReduceMean", "ReduceSum", "ReduceMax", dtypes=FLOAT_ELEMENT_TYPES)
def lower_reduce(ctx: LoweringContext, node: Any) -> None:
    """Accumulates in the compute type (f32 for f16/bf16), one rounding at the store."""
    shape = static_shape(node.inputs[0])
    axes = ctx.constant(node.inputs[1])
    if axes is None:
        raise DeviceError(f"CPU: {node.describe()}: reduction axes must be constant")
    axes = sorted({int(a) % max(len(shape), 1) for a in np.asarray(axes).reshape(-1)})
    x = ctx.buffer(node.inputs[0])
    try:
        outer, reduced, inner = split_axes(shape, axes)
    except ValueError:
        x, shape, axes = axes_to_end(ctx, node, x, shape, axes)
        outer, reduced, inner = split_axes(shape, axes)
    op = REDUCE[node.op.name]
    scale = 1.0 / reduced if node.op.name == "ReduceMean" and reduced else 1.0
    out = ctx.output(node.outputs[0])
    dtype = K.compute_dtype(out.dtype)
    lanes = ctx.target.vector_lanes if out.dtype in VECTOR_TYPES else 1
    o, r, i = K.Var("o"), K.Var("r"), K.Var("i")
    if inner == 1:
        acc = K.Var("acc", dtype, lanes)
        mask = K.LaneMask(K.Binary("sub", K.Const(reduced), r), lanes) if lanes > 1 else None
        value = K.widen(K.Load(x, K.Binary("add", K.Binary("mul", o, K.Const(reduced)), r),
                               lanes, mask))
        if mask is not None:
            value = K.Select(mask, value, _identity(op, lanes, dtype))
        folded = K.ReduceLanes(op, acc) if lanes > 1 else acc
        result = K.Binary("mul", folded, K.Const(scale, dtype)) if K.is_float(dtype) else folded
        body = (K.Let(acc, _identity(op, lanes, dtype)),
                K.Loop(r, K.Const(0), K.Const(reduced), (K.Let(acc, K.Binary(op, acc, value)),),
                       step=lanes),
                K.Store(out, o, K.narrow(result, out.dtype)))
    else:
        acc = K.Var("acc", dtype, lanes)
        mask = K.LaneMask(K.Binary("sub", K.Const(inner), i), lanes) if lanes > 1 else None
        index = K.Binary("add", K.Binary("mul", K.Binary(
            "add", K.Binary("mul", o, K.Const(reduced)), r), K.Const(inner)), i)
        value = K.widen(K.Load(x, index, lanes, mask))
        target = K.Binary("add", K.Binary("mul", o, K.Const(inner)), i)
        result = K.Binary("mul", acc, K.Const(scale, dtype, lanes)) if K.is_float(dtype) else acc
        body = (K.Loop(i, K.Const(0), K.Const(inner), (
            K.Let(acc, _identity(op, lanes, dtype)),
            K.Loop(r, K.Const(0), K.Const(reduced), (K.Let(acc, K.Binary(op, acc, value)),)),
            K.Store(out, target, K.narrow(result, out.dtype), mask)),
            step=lanes),)
    ctx.emit("reduce", [K.Loop(o, K.Const(0), K.Const(outer), body, parallel=outer > 1)],
             node.describe())


accept_element_types(INTEGER_TYPES, "ReduceSum", "ReduceMax")


def axes_to_end(ctx: LoweringContext, node: Any, x: K.Buffer, shape: tuple,
                axes: list[int]) -> tuple[K.Buffer, tuple, list[int]]:
    """A copy of `x` with the kept axes first and the reduced ones last: (copy, its shape, its
    reduced axes), the reduced axes now one trailing block."""
    order = [a for a in range(len(shape)) if a not in axes] + list(axes)
    moved = tuple(shape[a] for a in order)
    strides = [int(np.prod(shape[a + 1:], dtype=np.int64)) for a in range(len(shape))]
    variables = [K.Var(f"d{depth}") for depth in range(len(moved))]
    contiguous = [int(np.prod(moved[depth + 1:], dtype=np.int64)) for depth in range(len(moved))]
    copy = ctx.scratch("reduce_moved", int(np.prod(moved, dtype=np.int64)), x.dtype)
    store = K.Store(copy, K.index_of(variables, contiguous),
                    K.Load(x, K.index_of(variables, [strides[a] for a in order])))
    ctx.emit("reduce_moved", K.loop_nest(variables, list(moved), [store],
                                         parallel_outer=moved[0] > 1), node.describe())
    return copy, moved, list(range(len(shape) - len(axes), len(shape)))


@lowers("Softmax", "LogSoftmax", dtypes=FLOAT_ELEMENT_TYPES)
def lower_softmax(ctx: LoweringContext, node: Any) -> None:
    """f16/bf16 are computed in f32 and rounded once: the exponentials are recomputed in the
    last pass instead of being stored in the (narrow) output and read back."""
    shape = static_shape(node.inputs[0])
    axis = node.attrs["axis"] % max(len(shape), 1)
    outer, reduced, inner = split_axes(shape, [axis])
    x, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    dtype = K.compute_dtype(out.dtype)
    narrow = dtype != out.dtype
    lanes = ctx.target.vector_lanes if inner == 1 and out.dtype in VECTOR_TYPES else 1
    o, i, r = K.Var("o"), K.Var("i"), K.Var("r")
    mask = K.LaneMask(K.Binary("sub", K.Const(reduced), r), lanes) if lanes > 1 else None

    def at(position):
        row = K.Binary("add", K.Binary("mul", o, K.Const(reduced)), position)
        return K.Binary("add", K.Binary("mul", row, K.Const(inner)), i)

    low = _identity("max", lanes, dtype)
    value = K.widen(K.Load(x, at(r), lanes, mask))
    if mask is not None:
        value = K.Select(mask, value, low)
    peak, total = K.Var("peak", dtype, lanes), K.Var("total", dtype, lanes)
    fold = (lambda v, op: K.ReduceLanes(op, v)) if lanes > 1 else (lambda v, op: v)
    top = K.Var("top", dtype)
    shifted = K.Binary("sub", value, K.Splat(top, lanes) if lanes > 1 else top)
    exp = K.Unary("exp", shifted)
    if mask is not None:
        exp = K.Select(mask, exp, K.Const(0.0, dtype, lanes))
    log_mode = node.op.name == "LogSoftmax"
    sum_var = K.Var("sum", dtype)
    norm = K.Splat(sum_var, lanes) if lanes > 1 else sum_var
    stored = exp if narrow else K.Load(out, at(r), lanes, mask)
    final = (K.Binary("sub", shifted, K.Unary("log", norm)) if log_mode
             else K.Binary("div", stored, norm))
    accumulate = (K.Let(total, K.Binary("add", total, exp)),)
    if not narrow:
        accumulate = (K.Store(out, at(r), exp, mask),) + accumulate
    body = (
        K.Let(peak, low),
        K.Loop(r, K.Const(0), K.Const(reduced), (K.Let(peak, K.Binary("max", peak, value)),),
               step=lanes),
        K.Let(top, fold(peak, "max")),
        K.Let(total, K.Const(0.0, dtype, lanes)),
        K.Loop(r, K.Const(0), K.Const(reduced), accumulate, step=lanes),
        K.Let(sum_var, fold(total, "add")),
        K.Loop(r, K.Const(0), K.Const(reduced), (K.Store(out, at(r), K.narrow(final, out.dtype),
                                                         mask),), step=lanes),
    )
    nest = K.Loop(o, K.Const(0), K.Const(outer), (
        K.Loop(i, K.Const(0), K.Const(inner), body),), parallel=outer > 1)
    ctx.emit("softmax", [nest], node.describe())
