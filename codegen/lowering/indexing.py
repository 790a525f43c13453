"""Gather, GatherElements and GatherND with indices read at run time, on any element type.

Each output element loads its index, wraps a negative one by the axis size, and reads the data
element it names; an index still out of range reads nothing and gives 0, as the Gather<8>
reference does (the element is never read, so a bad index cannot touch foreign memory).
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    ALL_ELEMENT_TYPES,
    LoweringContext,
    accept_element_types,
    lowers,
    static_shape,
)
from vinify.errors import DeviceError

GATHER_OPS = ("Gather", "GatherElements", "GatherND")
PARALLEL_MIN_ELEMENTS = 16384


def _size(dims) -> int:
    return int(np.prod(dims, dtype=np.int64))


def _strides(shape: tuple) -> list[int]:
    return [_size(shape[d + 1:]) for d in range(len(shape))]


def _zero(buffer: K.Buffer) -> K.Const:
    return K.Const(0.0 if K.is_float(buffer.dtype) else 0, buffer.dtype)


def wrapped_index(raw: K.Expr, extent: int) -> tuple[K.Expr, K.Expr]:
    """(index made non-negative and safe to read, whether it was in range)."""
    index = K.Cast(raw, "i64")
    index = K.Select(K.Binary("lt", index, K.Const(0)), K.Binary("add", index, K.Const(extent)),
                     index)
    valid = K.Binary("and", K.Binary("ge", index, K.Const(0)),
                     K.Binary("lt", index, K.Const(extent)))
    return K.Select(valid, index, K.Const(0)), valid


def _emit_nest(ctx: LoweringContext, stem: str, extents: list[int], body_of, source: str
               ) -> None:
    """A loop nest over `extents`; `body_of(vars)` gives the innermost statements."""
    variables = [K.Var(f"i{d}") for d in range(len(extents))]
    parallel = len(extents) > 1 and extents[0] > 1 and _size(extents) >= PARALLEL_MIN_ELEMENTS
    ctx.emit(stem, K.loop_nest(variables, extents, body_of(variables), parallel), source)


def _constant_axis(ctx: LoweringContext, node: Any, rank: int) -> int:
    axis = ctx.constant(node.inputs[2])
    if axis is None:
        raise DeviceError(f"CPU: {node.describe()}: the axis must be constant")
    return int(np.asarray(axis).reshape(-1)[0]) % rank


@lowers("Gather")
def lower_gather(ctx: LoweringContext, node: Any) -> None:
    """data viewed as [batch, outer, axis, inner] and indices as [batch, count]."""
    data_shape, index_shape = static_shape(node.inputs[0]), static_shape(node.inputs[1])
    axis = _constant_axis(ctx, node, len(data_shape))
    batch_dims = node.attrs.get("batch_dims", 0)
    batch_dims += len(index_shape) if batch_dims < 0 else 0
    batch, outer = _size(data_shape[:batch_dims]), _size(data_shape[batch_dims:axis])
    extent, inner = data_shape[axis], _size(data_shape[axis + 1:])
    count = _size(index_shape[batch_dims:])
    data, indices = ctx.buffer(node.inputs[0]), ctx.buffer(node.inputs[1])
    out = ctx.output(node.outputs[0])

    def body(v):
        b, o, j, i = v
        index, valid = wrapped_index(
            K.Load(indices, K.Binary("add", K.Binary("mul", b, K.Const(count)), j)), extent)
        row = K.Binary("add", K.Binary("mul", b, K.Const(outer)), o)
        source = K.Binary("add", K.Binary("mul", K.Binary("add", K.Binary(
            "mul", row, K.Const(extent)), index), K.Const(inner)), i)
        target = K.Binary("add", K.Binary("mul", K.Binary("add", K.Binary(
            "mul", row, K.Const(count)), j), K.Const(inner)), i)
        return [K.Store(out, target, K.Select(valid, K.Load(data, source), _zero(out)))]

    _emit_nest(ctx, "gather", [batch, outer, count, inner], body, node.describe())


@lowers("GatherElements")
def lower_gather_elements(ctx: LoweringContext, node: Any) -> None:
    data_shape, index_shape = static_shape(node.inputs[0]), static_shape(node.inputs[1])
    axis = node.attrs["axis"] % len(data_shape)
    data_strides, index_strides = _strides(data_shape), _strides(index_shape)
    data, indices = ctx.buffer(node.inputs[0]), ctx.buffer(node.inputs[1])
    out = ctx.output(node.outputs[0])

    def body(v):
        position = K.index_of(v, index_strides)
        index, valid = wrapped_index(K.Load(indices, position), data_shape[axis])
        others = [c if d != axis else K.Const(0) for d, c in enumerate(v)]
        source = K.Binary("add", K.index_of(others, data_strides),
                          K.Binary("mul", index, K.Const(data_strides[axis])))
        return [K.Store(out, position, K.Select(valid, K.Load(data, source), _zero(out)))]

    _emit_nest(ctx, "gather_elements", list(index_shape) or [1], body, node.describe())


@lowers("GatherND")
def lower_gather_nd(ctx: LoweringContext, node: Any) -> None:
    """data as [batch, rest] and indices as [batch, count, depth]; each tuple picks a slice."""
    data_shape, index_shape = static_shape(node.inputs[0]), static_shape(node.inputs[1])
    batch_dims = node.attrs["batch_dims"]
    depth = index_shape[-1]
    batch, count = _size(data_shape[:batch_dims]), _size(index_shape[batch_dims:-1])
    piece = _size(data_shape[batch_dims + depth:])
    batch_stride = _size(data_shape[batch_dims:])
    data_strides = _strides(data_shape[batch_dims:])
    data, indices = ctx.buffer(node.inputs[0]), ctx.buffer(node.inputs[1])
    out = ctx.output(node.outputs[0])

    def body(v):
        b, n, s = v
        tuple_start = K.Binary("mul", K.Binary("add", K.Binary("mul", b, K.Const(count)), n),
                               K.Const(depth))
        source: K.Expr = K.Binary("add", K.Binary("mul", b, K.Const(batch_stride)), s)
        all_valid: K.Expr = K.Binary("eq", K.Const(0), K.Const(0))
        for k in range(depth):
            raw = K.Load(indices, K.Binary("add", tuple_start, K.Const(k)))
            index, valid = wrapped_index(raw, data_shape[batch_dims + k])
            source = K.Binary("add", source, K.Binary("mul", index, K.Const(data_strides[k])))
            all_valid = K.Binary("and", all_valid, valid)
        safe = K.Select(all_valid, source, K.Const(0))
        target = K.Binary("add", K.Binary("mul", K.Binary(
            "add", K.Binary("mul", b, K.Const(count)), n), K.Const(piece)), s)
        return [K.Store(out, target, K.Select(all_valid, K.Load(data, safe), _zero(out)))]

    _emit_nest(ctx, "gather_nd", [batch, count, piece], body, node.describe())


accept_element_types(ALL_ELEMENT_TYPES, *GATHER_OPS)
