"""MaxPool and AvgPool of any spatial rank, MaxPool's indices output, and integer MaxPool.

The 2-D f32 pools without indices keep their own lowering (pooling.py); the rest comes here. One
parallel loop over planes (image, channel), then output positions with the last spatial axis in
vectors, folding every kernel tap (addressing shared with conv_nd.WindowWalk). Taps in the
padding count as the lowest value (max) or 0 (average); average divisors, which depend on
exclude-pad and the ceil-mode tail, are a compile-time table of reciprocals per output position.

The indices output follows the reference: the flat index of the first maximum over the whole
input (planes included), taken modulo the size of the dimensions from `axis` on.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    INTEGER_ELEMENT_TYPES,
    LoweringContext,
    accept_element_types,
    static_shape,
)
from vinify.codegen.lowering.conv_nd import WindowWalk, window_lanes

PARALLEL_MIN_WORK = 16384
LOWEST = {"f32": float("-inf"), "f64": float("-inf"), "i64": -(2 ** 63), "i32": -(2 ** 31),
          "i16": -(2 ** 15), "i8": -128, "u64": 0, "u32": 0, "u16": 0, "u8": 0}


def _product(dims) -> int:
    return int(np.prod(dims, dtype=np.int64))


def pool_walk(node: Any, lanes: int) -> WindowWalk:
    from vinify.ops.pooling import pool_geometry

    attrs = node.attrs
    spatial = tuple(static_shape(node.inputs[0])[2:])
    geometry = pool_geometry(attrs, spatial)
    dilations = tuple(attrs.get("dilations") or (1,) * len(spatial))
    return WindowWalk(spatial, tuple(out for _, _, out in geometry), tuple(attrs["kernel"]),
                      tuple(attrs["strides"]), dilations,
                      tuple(begin for begin, _, _ in geometry), lanes)


def average_reciprocals(node: Any, walk: WindowWalk) -> np.ndarray:
    """1 / (window positions counted) per output position, flattened row-major."""
    from vinify.ops.convolution import window_pads

    attrs = node.attrs
    total = np.ones((), np.float64)
    for axis, size in enumerate(walk.spatial):
        kernel, stride, begin = walk.kernel[axis], walk.strides[axis], walk.pads_begin[axis]
        explicit_end = window_pads(size, kernel, stride, attrs["auto_pad"],
                                   attrs["pads_begin"][axis], attrs["pads_end"][axis])[1]
        low, high = (begin, begin + size) if attrs["exclude-pad"] else (
            0, begin + size + explicit_end)
        positions = np.arange(walk.out[axis])[:, None] * stride + np.arange(kernel)[None, :]
        total = np.multiply.outer(total, ((positions >= low) & (positions < high)).sum(axis=1))
    with np.errstate(divide="ignore"):
        return (1.0 / total).reshape(-1)


def _indices_wanted(node: Any) -> bool:
    return len(node.outputs) > 1 and bool(node.outputs[1].uses)


def takes_pool(node: Any) -> bool:
    """Whether this lowering (not pooling.py's 2-D one) compiles the pool."""
    return (len(static_shape(node.inputs[0])) != 4 or _indices_wanted(node)
            or node.outputs[0].element_type.name != "f32")


def lower_pool_nd(ctx: LoweringContext, node: Any) -> None:
    walk = pool_walk(node, window_lanes(ctx, node))
    x_shape = static_shape(node.inputs[0])
    x, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    plane, outer, last, tap = K.Var("plane"), K.Var("outer"), K.Var("last"), K.Var("tap")
    plane_offset = K.Binary("mul", plane, K.Const(_product(walk.spatial)))
    values, mask = walk.load(x, plane_offset, outer, last, tap)
    is_max = node.op.name == "MaxPool"
    if is_max:
        fold, store = _max_fold(ctx, node, out, walk, (values, mask), plane_offset,
                                (outer, last, tap))
    else:
        fold, store = _average_fold(ctx, node, out, walk, values, outer, last)
    position_mask = walk.last_axis_lanes(last)
    stores = tuple(K.Store(buffer, walk.output_index(plane, outer, last),
                           K.narrow(value, buffer.dtype), position_mask)
                   for buffer, value in store)
    vectors = K.Loop(last, K.Const(0), K.Const(walk.out[-1]), fold[0] + (
        K.Loop(tap, K.Const(0), K.Const(walk.taps), fold[1]),) + stores, step=walk.lanes)
    planes = x_shape[0] * x_shape[1]
    work = planes * _product(walk.out) * walk.taps
    ctx.emit("maxpool_nd" if is_max else "avgpool_nd", [K.Loop(
        plane, K.Const(0), K.Const(planes),
        (K.Loop(outer, K.Const(0), K.Const(walk.outer_positions), (vectors,)),),
        parallel=planes > 1 and work >= PARALLEL_MIN_WORK)], node.describe())


def _max_fold(ctx: LoweringContext, node: Any, out: K.Buffer, walk: WindowWalk, read: tuple,
              plane_offset: K.Expr, loop_vars: tuple) -> tuple[tuple, list]:
    """((initial statements, per-tap statements), [(buffer, value to store)])."""
    (values, mask), (outer, last, tap) = read, loop_vars
    lanes, dtype = walk.lanes, values.dtype
    best = K.Var("best", dtype, lanes)
    lowest = K.Const(LOWEST[dtype], dtype, lanes)
    candidate = K.Select(mask, values, lowest)
    if not _indices_wanted(node):
        return ((K.Let(best, lowest),), (K.Let(best, K.Binary("max", best, candidate)),)), \
            [(out, best)]
    where = K.Var("where", "i64", lanes)
    _, lane_offsets, _, _ = walk.tap_read(outer, last, tap)
    flat = K.Binary("add", walk.splat(plane_offset), lane_offsets)
    x_shape = static_shape(node.inputs[0])
    axis = node.attrs["axis"] % len(x_shape)
    wrapped = K.Binary("rem", flat, K.Const(_product(x_shape[axis:]), "i64", lanes))
    better = K.Binary("and", mask, K.Binary("gt", values, best))
    # the first tap of a window always counts, so a window of only lowest values (or only
    # padding) still names its first position, as the reference's argmax does
    first = walk.splat(K.Binary("eq", tap, K.Const(0)))
    take = K.Binary("or", better, first)
    indices = ctx.output(node.outputs[1])
    index_value = K.narrow(where, indices.dtype)
    return ((K.Let(best, lowest), K.Let(where, K.Const(0, "i64", lanes))), (
        K.Let(where, K.Select(take, wrapped, where)),
        K.Let(best, K.Select(take, candidate, best)))), \
        [(out, best), (indices, index_value)]


def _average_fold(ctx: LoweringContext, node: Any, out: K.Buffer, walk: WindowWalk, values,
                  outer, last) -> tuple[tuple, list]:
    lanes = walk.lanes
    total = K.Var("total", values.dtype, lanes)
    reciprocals = ctx.add_weights((node.name or "avgpool") + "_recip",
                                  average_reciprocals(node, walk), values.dtype)
    position = K.Binary("add", K.Binary("mul", outer, K.Const(walk.out[-1])), last)
    scale = K.Load(reciprocals, position, lanes, walk.last_axis_lanes(last))
    return ((K.Let(total, K.Const(0.0, values.dtype, lanes)),),
            (K.Let(total, K.Binary("add", total, values)),)), \
        [(out, K.Binary("mul", total, scale))]


# pooling.py computes f32; every other element type comes here
accept_element_types(FLOAT_ELEMENT_TYPES | INTEGER_ELEMENT_TYPES, "MaxPool")
accept_element_types(FLOAT_ELEMENT_TYPES, "AvgPool")
