"""Data movement whose parameters are known at compile time (Split, VariadicSplit, Slice,
StridedSlice, Tile, Broadcast, Pad, Reverse, Roll, DepthToSpace, SpaceToDepth, ShuffleChannels,
BatchToSpace, SpaceToBatch; ReverseSequence with constant lengths through
reverse_sequence.py), plus Identity, ConvertLike and BitCast.

Such an op only moves elements, so its own numpy reference applied to the element numbers
1..n of its input says, for every output element, which input element it holds (0: none, the
pad value). When that map is affine in the output coordinates, which covers slices, splits,
reversals and broadcasts, it becomes a strided copy; otherwise the map is stored as an i64
weight table and read by a gather loop. No per-op index arithmetic is written twice.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering import movement
from vinify.codegen.lowering.context import (
    ALL_ELEMENT_TYPES,
    LoweringContext,
    accept_element_types,
    kernel_dtype,
    lowers,
    static_shape,
)
from vinify.errors import DeviceError

MAPPED_OPS = ("Split", "VariadicSplit", "Slice", "StridedSlice", "Tile", "Broadcast", "Pad",
              "Reverse", "Roll", "DepthToSpace", "SpaceToDepth", "ShuffleChannels",
              "BatchToSpace", "SpaceToBatch")
PAD_VALUE_INPUT = 3
PARALLEL_MIN_ELEMENTS = 16384


@lowers("Identity")
def lower_identity(ctx: LoweringContext, node: Any) -> None:
    static_shape(node.outputs[0])
    ctx.alias(node.outputs[0], node.inputs[0])


@lowers("BitCast")
def lower_bitcast(ctx: LoweringContext, node: Any) -> None:
    """The input's bytes read through a buffer view of the new type, copied out, so no kernel
    ever sees the same bytes under two types."""
    source, target = kernel_dtype(node.inputs[0]), kernel_dtype(node.outputs[0])
    data = ctx.buffer(node.inputs[0])
    if source == target:
        ctx.alias(node.outputs[0], node.inputs[0])
        return
    view = K.Buffer(data.name, target, data.size)
    out = ctx.output(node.outputs[0])
    i = K.Var("i")
    ctx.emit("bitcast", [K.Loop(i, K.Const(0), K.Const(out.size), (
        K.Store(out, i, K.Load(view, i)),))], node.describe())


@lowers("ConvertLike")
def lower_convert_like(ctx: LoweringContext, node: Any) -> None:
    movement.lower_convert(ctx, node)


def source_maps(ctx: LoweringContext, node: Any) -> list[np.ndarray]:
    """Per output, the 1-based number of the input element each output element holds."""
    shape = static_shape(node.inputs[0])
    numbers = np.arange(1, int(np.prod(shape, dtype=np.int64)) + 1, dtype=np.int64)
    arguments = [numbers.reshape(shape)]
    for index, value in enumerate(node.inputs[1:], start=1):
        if node.op.name == "Pad" and index == PAD_VALUE_INPUT:
            arguments.append(np.zeros((), np.int64))
            continue
        array = ctx.constant(value)
        if array is None:
            raise DeviceError(f"CPU: {node.describe()}: input {index} must be constant")
        arguments.append(np.asarray(array))
    result = node.op.evaluate(node.attrs, *arguments)
    maps = list(result) if isinstance(result, (tuple, list)) else [result]
    return [np.asarray(m, np.int64) for m in maps]


def affine_form(source: np.ndarray) -> tuple[int, list[int]] | None:
    """(offset, strides) with source - 1 == offset + sum(coord * stride), or None."""
    if source.size == 0 or source.min() < 1:
        return None
    zeros = (0,) * source.ndim
    offset = int(source[zeros]) - 1
    strides = []
    for d, extent in enumerate(source.shape):
        step = (0,) * d + (1,) + (0,) * (source.ndim - d - 1)
        strides.append(int(source[step]) - 1 - offset if extent > 1 else 0)
    grid = np.indices(source.shape, dtype=np.int64) if source.ndim else np.zeros((0,), np.int64)
    predicted = offset + sum(g * s for g, s in zip(grid, strides))
    return (offset, strides) if np.array_equal(predicted, source - 1) else None


def _fill_value(ctx: LoweringContext, node: Any, out: K.Buffer) -> K.Expr:
    if node.op.name == "Pad" and len(node.inputs) > PAD_VALUE_INPUT:
        return K.Load(ctx.buffer(node.inputs[PAD_VALUE_INPUT]), K.Const(0))
    return K.Const(0.0 if K.is_float(out.dtype) else 0, out.dtype)


def emit_strided_copy(ctx: LoweringContext, data: K.Buffer, out: K.Buffer, shape: tuple,
                      offset: int, strides: list[int], source: str) -> None:
    variables = [K.Var(f"i{d}") for d in range(len(shape))]
    out_strides = [int(np.prod(shape[d + 1:], dtype=np.int64)) for d in range(len(shape))]
    read = K.Binary("add", K.Const(offset), K.index_of(variables, strides))
    body = [K.Store(out, K.index_of(variables, out_strides), K.Load(data, read))]
    extents = list(shape) or [1]
    variables = variables or [K.Var("i0")]
    parallel = len(extents) > 1 and extents[0] > 1 and out.size >= PARALLEL_MIN_ELEMENTS
    ctx.emit("copy", K.loop_nest(variables, extents, body, parallel), source)


def emit_table_copy(ctx: LoweringContext, data: K.Buffer, out: K.Buffer, table: np.ndarray,
                    fill: K.Expr, source: str) -> None:
    weights = ctx.add_weights("map", table.reshape(-1), "i64")
    i = K.Var("i")
    number = K.Load(weights, i)
    present = K.Binary("gt", number, K.Const(0))
    read = K.Select(present, K.Binary("sub", number, K.Const(1)), K.Const(0))
    body = [K.Store(out, i, K.Select(present, K.Load(data, read), fill))]
    ctx.emit("gather_map", [K.Loop(i, K.Const(0), K.Const(int(table.size)), tuple(body),
                                   parallel=table.size >= PARALLEL_MIN_ELEMENTS)], source)


@lowers(*MAPPED_OPS)
def lower_mapped(ctx: LoweringContext, node: Any) -> None:
    maps = source_maps(ctx, node)
    data = ctx.buffer(node.inputs[0])
    for value, source in zip(node.outputs, maps):
        shape = static_shape(value)
        if tuple(source.shape) != shape:
            raise DeviceError(f"CPU: {node.describe()}: internal error: map shape "
                              f"{source.shape} differs from {shape}")
        out = ctx.output(value)
        if source.size == 0:
            continue
        affine = affine_form(source)
        if affine is not None:
            emit_strided_copy(ctx, data, out, shape, affine[0], affine[1], node.describe())
        else:
            emit_table_copy(ctx, data, out, source, _fill_value(ctx, node, out),
                            node.describe())


accept_element_types(ALL_ELEMENT_TYPES, *MAPPED_OPS, "Identity", "ConvertLike", "BitCast")
