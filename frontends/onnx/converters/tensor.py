"""Tensor-layout converters: Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split,
Slice, Expand, Tile, Range, DepthToSpace, SpaceToDepth, Einsum, Trilu, EyeLike, CumSum.

Where ONNX moved an attribute to an input (Reshape-5, Slice-10, Split-13, Squeeze-13), one
converter reads whichever form the node's opset uses.
"""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    axes_argument,
    axes_value,
    concat,
    convert,
    dim_value,
    gather_dims,
    i64_const,
    int_list,
    normalize_axis,
    reshape,
    scalar_like,
    shape_of,
    slice_dims,
    static_rank,
    to_scalar,
    unsqueeze,
)
from vinify.frontends.onnx.registry import converter
from vinify.frontends.onnx.types import element_type_of
from vinify.ir import Value, as_value
from vinify.types import i64


@converter("Reshape", since=1)
def reshape_node(ctx: NodeContext) -> Value:
    """Reshape-14 `allowzero=1` makes a 0 in the target a real zero-length dimension."""
    data = ctx.input(0)
    if ctx.opset < 5:
        target = i64_const(ctx, ctx.attr("shape"))
    else:
        target = convert(ctx, ctx.input(1), i64)
    special_zero = not ctx.attr("allowzero", 0)
    return as_value(ctx.make("Reshape", 1, data, target, special_zero=special_zero))


@converter("Flatten", since=1)
def flatten(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    rank = static_rank(ctx, data)
    axis = ctx.attr("axis", 1)
    if not -rank <= axis <= rank:
        raise ctx.error(f"axis {axis} is out of range for rank {rank}")
    axis = axis + rank if axis < 0 else axis
    if data.shape.is_static:
        dims = data.shape.to_tuple()
        outer = int(np.prod(dims[:axis], dtype=np.int64))
        return reshape(ctx, data, [outer, int(np.prod(dims[axis:], dtype=np.int64))])
    if axis == 0:
        return reshape(ctx, data, [1, -1])
    tail = data.shape.dims[axis:]
    if all(d.is_static for d in tail) and int(np.prod([d.min for d in tail])) > 0:
        return reshape(ctx, data, [-1, int(np.prod([d.min for d in tail], dtype=np.int64))])
    outer = as_value(ctx.make("ReduceProd", 1, slice_dims(ctx, shape_of(ctx, data), 0, axis),
                              i64_const(ctx, [0]), keep_dims=True))
    return reshape(ctx, data, concat(ctx, [outer, i64_const(ctx, [-1])]))


@converter("Transpose", since=1)
def transpose(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    perm = ctx.attr("perm", None)
    if perm is None:
        perm = list(reversed(range(static_rank(ctx, data))))
    return as_value(ctx.make("Transpose", 1, data, i64_const(ctx, perm)))


@converter("Squeeze", since=1)
def squeeze(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    axes = axes_argument(ctx, input_since=13)
    if axes is None or (isinstance(axes, list) and not axes):
        return as_value(ctx.make("Squeeze", 1, data))
    return as_value(ctx.make("Squeeze", 1, data, axes_value(ctx, axes)))


@converter("Unsqueeze", since=1)
def unsqueeze_node(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    axes = axes_argument(ctx, input_since=13)
    if axes is None:
        raise ctx.error("Unsqueeze needs axes")
    return as_value(ctx.make("Unsqueeze", 1, data, axes_value(ctx, axes)))


@converter("Concat", since=1)
def concat_node(ctx: NodeContext) -> Value:
    parts = [v for v in ctx.inputs() if v is not None]
    return as_value(ctx.make("Concat", 1, *parts, axis=ctx.attr("axis", 1)))


def _split_lengths(ctx: NodeContext) -> list[int] | Value | None:
    if ctx.opset < 13:
        split = ctx.attr("split", None)
        if split is None and ctx.opset < 2 and ctx.optional_input(1) is not None:
            return int_list(ctx, 1, "split")
        return split
    value = ctx.optional_input(1)
    if value is None:
        return None
    known = ctx.const_value(value)
    return value if known is None else [int(v) for v in known.reshape(-1)]


def _even_lengths(ctx: NodeContext, data: Value, axis: int, count: int) -> list[int] | None:
    """Split-18 `num_outputs` with a remainder: equal chunks of ceil(n/count), the last smaller."""
    dim = data.shape[axis]
    if not dim.is_static or dim.min % count == 0:
        return None
    chunk = -(-dim.min // count)
    return [chunk] * (count - 1) + [dim.min - chunk * (count - 1)]


@converter("Split", since=1)
def split(ctx: NodeContext) -> list[Value]:
    data = ctx.input(0)
    axis_attr = ctx.attr("axis", 0)
    axis_value = i64_const(ctx, axis_attr)
    count = len(ctx.node.output)
    lengths = _split_lengths(ctx)
    if lengths is None and data.shape.rank_is_static:
        lengths = _even_lengths(ctx, data, normalize_axis(ctx, axis_attr, data.shape.rank), count)
    if lengths is None:
        node = ctx.make("Split", 1, data, axis_value, num_splits=count)
    else:
        length_value = lengths if isinstance(lengths, Value) else i64_const(ctx, lengths)
        node = ctx.make("VariadicSplit", 1, data, axis_value, convert(ctx, length_value, i64))
    return list(node.outputs)


def _slice_inputs(ctx: NodeContext) -> tuple[Value, Value, Value | None, Value | None]:
    if ctx.opset < 10:
        starts, ends = ctx.attr("starts"), ctx.attr("ends")
        axes = ctx.attr("axes", None)
        return (i64_const(ctx, starts), i64_const(ctx, ends),
                None if axes is None else i64_const(ctx, axes), None)
    return ctx.input(1), ctx.input(2), ctx.optional_input(3), ctx.optional_input(4)


def _ones_like_vector(ctx: NodeContext, vector: Value) -> Value:
    known = ctx.const_value(vector)
    if known is not None:
        return i64_const(ctx, np.ones(known.size, np.int64))
    return as_value(ctx.make("Broadcast", 3, i64_const(ctx, 1), shape_of(ctx, vector)))


@converter("Slice", since=1)
def slice_node(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    starts, ends, axes, steps = _slice_inputs(ctx)
    if steps is None:
        steps = _ones_like_vector(ctx, starts)
    pieces = [convert(ctx, v, i64) for v in (starts, ends, steps)]
    if axes is not None:
        pieces.append(convert(ctx, axes, i64))
    return as_value(ctx.make("Slice", 8, data, *pieces))


@converter("Expand", since=8)
def expand(ctx: NodeContext) -> Value:
    target = convert(ctx, ctx.input(1), i64)
    return as_value(ctx.make("Broadcast", 3, ctx.input(0), target, mode="bidirectional"))


@converter("Tile", since=1)
def tile(ctx: NodeContext) -> Value:
    if ctx.opset < 6:
        raise ctx.error("Tile before opset 6 (tiles/axis inputs) is not supported")
    return as_value(ctx.make("Tile", 1, ctx.input(0), convert(ctx, ctx.input(1), i64)))


@converter("Range", since=11)
def range_node(ctx: NodeContext) -> Value:
    start, limit, delta = (to_scalar(ctx, ctx.input(i)) for i in range(3))
    return as_value(ctx.make("Range", 4, start, limit, delta,
                             output_type=str(start.element_type)))


@converter("DepthToSpace", since=1)
def depth_to_space(ctx: NodeContext) -> Value:
    mode = "depth_first" if ctx.attr("mode", "DCR") == "CRD" else "blocks_first"
    return as_value(ctx.make("DepthToSpace", 1, ctx.input(0), mode=mode,
                             block_size=ctx.attr("blocksize")))


@converter("SpaceToDepth", since=1)
def space_to_depth(ctx: NodeContext) -> Value:
    mode = "depth_first" if ctx.attr("mode", "DCR") == "CRD" else "blocks_first"
    return as_value(ctx.make("SpaceToDepth", 1, ctx.input(0), mode=mode,
                             block_size=ctx.attr("blocksize")))


@converter("Einsum", since=12)
def einsum(ctx: NodeContext) -> Value:
    equation = "".join(ctx.attr("equation").split())
    return as_value(ctx.make("Einsum", 7, *ctx.inputs(), equation=equation))


@converter("CumSum", since=11)
def cumsum(ctx: NodeContext) -> Value:
    axis = convert(ctx, to_scalar(ctx, ctx.input(1)), i64)
    return as_value(ctx.make("CumSum", 3, ctx.input(0), axis,
                             exclusive=bool(ctx.attr("exclusive", 0)),
                             reverse=bool(ctx.attr("reverse", 0))))


def _index_grid(ctx: NodeContext, data: Value) -> tuple[Value, Value]:
    """Row indices as [H, 1] and column indices as [W] over the last two axes of `data`."""
    rank = static_rank(ctx, data)
    rows = as_value(ctx.make("Range", 4, i64_const(ctx, 0), dim_value(ctx, data, rank - 2),
                             i64_const(ctx, 1), output_type="i64"))
    cols = as_value(ctx.make("Range", 4, i64_const(ctx, 0), dim_value(ctx, data, rank - 1),
                             i64_const(ctx, 1), output_type="i64"))
    return unsqueeze(ctx, rows, [1]), cols


@converter("Trilu", since=14)
def trilu(ctx: NodeContext) -> Value:
    """Keeps the upper (col - row >= k) or lower (col - row <= k) triangle; zeros elsewhere."""
    data = ctx.input(0)
    k_input = ctx.optional_input(1)
    k = i64_const(ctx, 0) if k_input is None else convert(ctx, to_scalar(ctx, k_input), i64)
    rows, cols = _index_grid(ctx, data)
    offset = as_value(ctx.make("Subtract", 1, cols, rows))
    compare = "GreaterEqual" if ctx.attr("upper", 1) else "LessEqual"
    mask = as_value(ctx.make(compare, 1, offset, k))
    return as_value(ctx.make("Select", 1, mask, data, scalar_like(ctx, 0, data)))


@converter("EyeLike", since=9)
def eye_like(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    if static_rank(ctx, data) != 2:
        raise ctx.error(f"EyeLike takes a 2-D input, got {data.type}")
    dtype = ctx.attr("dtype", None)
    elem = data.element_type if dtype is None else element_type_of(dtype, ctx.name)
    return as_value(ctx.make("Eye", 9, dim_value(ctx, data, 0), dim_value(ctx, data, 1),
                             i64_const(ctx, ctx.attr("k", 0)), output_type=str(elem)))


def _pad_amounts(ctx: NodeContext, rank: int | None) -> tuple[Value, Value]:
    """(begins, ends) as i64 vectors over all axes, from the attribute or the `pads` input."""
    if ctx.opset < 11:
        pads = ctx.attr("pads", None) or ctx.attr("paddings")
        half = len(pads) // 2
        return i64_const(ctx, pads[:half]), i64_const(ctx, pads[half:])
    halves = ctx.make("Split", 1, convert(ctx, ctx.input(1), i64), i64_const(ctx, 0),
                      num_splits=2)
    begins, ends = halves.outputs
    axes = ctx.optional_input(3) if ctx.opset >= 18 else None
    if axes is None:
        return begins, ends
    if rank is None:
        raise ctx.error("Pad with axes needs a static input rank")
    axes = as_value(ctx.make("FloorMod", 1, convert(ctx, axes, i64), i64_const(ctx, rank)))
    zeros = i64_const(ctx, [0] * rank)
    return tuple(as_value(ctx.make("ScatterElementsUpdate", 12, zeros, axes, part,
                                   i64_const(ctx, 0))) for part in (begins, ends))


def _wrap_pad(ctx: NodeContext, data: Value, begins: Value, ends: Value) -> Value:
    """Pad-19 `wrap`: along each axis, gather positions -begin .. n+end modulo n."""
    for axis in range(static_rank(ctx, data)):
        length = dim_value(ctx, data, axis)
        start = as_value(ctx.make("Negative", 1, gather_dims(ctx, begins, axis)))
        stop = as_value(ctx.make("Add", 1, length, gather_dims(ctx, ends, axis)))
        positions = as_value(ctx.make("Range", 4, start, stop, i64_const(ctx, 1),
                                      output_type="i64"))
        positions = as_value(ctx.make("FloorMod", 1, positions, length))
        data = as_value(ctx.make("Gather", 8, data, positions, i64_const(ctx, axis)))
    return data


@converter("Pad", since=1)
def pad(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    rank = data.shape.rank if data.shape.rank_is_static else None
    mode = ctx.attr("mode", "constant")
    begins, ends = _pad_amounts(ctx, rank)
    if mode == "wrap":
        return _wrap_pad(ctx, data, begins, ends)
    if mode not in ("constant", "reflect", "edge"):
        raise ctx.error(f"unknown pad mode '{mode}'")
    inputs = [data, begins, ends]
    if mode == "constant":
        fill = ctx.optional_input(2) if ctx.opset >= 11 else None
        if fill is None:
            fill = scalar_like(ctx, ctx.attr("value", 0.0) if ctx.opset < 11 else 0, data)
        inputs.append(to_scalar(ctx, fill))
    return as_value(ctx.make("Pad", 12, *inputs, pad_mode=mode))
