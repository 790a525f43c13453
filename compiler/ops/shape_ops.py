"""Shape manipulation ops: Reshape, Squeeze, Unsqueeze, ShapeOf, Broadcast, Tile.

Each keeps its data and changes only how it is laid out or typed. Shapes and axes arrive as
inputs; inference reads them with `ctx.const` so that static shapes stay static, and follows
shape subgraphs (`shape_entries`) so that dynamic dimensions pass through Reshape.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_inputs import (
    DimensionOf,
    ShapeEntry,
    const_ints,
    dynamic_shape,
    entry_dim,
    require_integral,
    shape_entries,
    vector_length,
)
from vinify.ops.shape_rules import broadcast_shapes, normalize_axes
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType
from vinify.types import i32, i64


def _reshape_entries(ctx: InferContext, data: PartialShape, target: list[ShapeEntry]) -> list:
    """Target entries as Dimension, DimensionOf (kept dynamic dimension) or None (the -1)."""
    special_zero = ctx.attrs["special_zero"]
    entries: list = []
    for axis, size in enumerate(target):
        if isinstance(size, (DimensionOf, Dimension)):
            entries.append(size)
        elif size == 0 and special_zero:
            if data.rank_is_static and axis >= data.rank:
                raise ctx.error(f"special zero at axis {axis} is beyond input rank {data.rank}")
            entries.append(DimensionOf(data[axis], ctx.node.inputs[0], axis))
        elif size == -1:
            entries.append(None)
        elif size < 0:
            raise ctx.error(f"target shape {_show(target)} has a negative dimension {size}")
        else:
            entries.append(Dimension(size, size))
    if entries.count(None) > 1:
        raise ctx.error(f"target shape {_show(target)} has more than one -1")
    return entries


def _show(target: list[ShapeEntry]) -> str:
    return "[" + ", ".join(str(entry_dim(e)) if isinstance(e, DimensionOf) else str(e)
                           for e in target) + "]"


def _as_dim(entry) -> Dimension:
    return entry.dim if isinstance(entry, DimensionOf) else entry


def _resolve_minus_one(ctx: InferContext, data: PartialShape, entries: list, target: list):
    """Output dimensions: the -1 is what remains of the input's element count once equal
    dimensions (the same input axis on both sides) cancel; `?` if that is not static."""
    if not data.rank_is_static:
        return [DYNAMIC if e is None else _as_dim(e) for e in entries]
    cancelled = {e.axis for e in entries if isinstance(e, DimensionOf)
                 and e.source is ctx.node.inputs[0]}
    rest_in = [d for axis, d in enumerate(data) if axis not in cancelled]
    rest_out = [_as_dim(e) for e in entries if e is not None and not (
        isinstance(e, DimensionOf) and e.source is ctx.node.inputs[0])]
    if not all(d.is_static for d in rest_in + rest_out):
        hole = _bounded_hole(rest_in, rest_out)
        return [hole if e is None else _as_dim(e) for e in entries]
    total = int(np.prod([d.min for d in rest_in], dtype=np.int64))
    part = int(np.prod([d.min for d in rest_out], dtype=np.int64))
    if None not in entries:
        if part != total:
            raise ctx.error(f"cannot reshape {data} to {_show(target)}: element counts differ")
        return [_as_dim(e) for e in entries]
    if part == 0 or total % part:
        raise ctx.error(f"cannot reshape {data} to {_show(target)}: element counts differ")
    return [Dimension.of(total // part) if e is None else _as_dim(e) for e in entries]


def _bounded_hole(rest_in: list[Dimension], rest_out: list[Dimension]) -> Dimension:
    """The -1 of a reshape whose other target entries are static: the input's element count
    bounds divided by theirs (`?` when an output entry is dynamic or zero)."""
    if not all(d.is_static for d in rest_out):
        return DYNAMIC
    part = int(np.prod([d.min for d in rest_out], dtype=np.int64))
    if part == 0:
        return DYNAMIC
    low = int(np.prod([d.min for d in rest_in], dtype=np.int64))
    highs = [d.max for d in rest_in]
    high = None if None in highs else int(np.prod(highs, dtype=np.int64)) // part
    return Dimension(-(-low // part) if high is None else min(-(-low // part), high), high)


@register
class Reshape(Op):
    """Reshape to a target shape input; 0 copies the input dimension when special_zero."""

    name, version = "Reshape", 1
    num_inputs = (2, 2)
    attributes = (Attr("special_zero", "bool"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1)
        elem = ctx.element_type(0)
        if ctx.shape(1).rank_is_static and ctx.shape(1).rank > 1:
            raise ctx.error(f"target shape must be 1-D, got {ctx.shape(1)}")
        target = shape_entries(ctx, 1)
        if target is None:
            return [TensorType(elem, dynamic_shape(vector_length(ctx, 1)))]
        entries = _reshape_entries(ctx, ctx.shape(0), target)
        dims = _resolve_minus_one(ctx, ctx.shape(0), entries, target)
        return [TensorType(elem, PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, shape: np.ndarray) -> np.ndarray:
        target = [int(v) for v in shape.reshape(-1)]
        if attrs["special_zero"]:
            target = [data.shape[i] if v == 0 else v for i, v in enumerate(target)]
        return data.reshape(target)


class SqueezeBase(Op):
    num_inputs = (1, 2)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem, shape = ctx.element_type(0), ctx.shape(0)
        if len(ctx.input_types) == 2:
            require_integral(ctx, 1)
        axes = const_ints(ctx, 1) if len(ctx.input_types) == 2 else []
        if axes is None or not shape.rank_is_static:
            return [TensorType(elem, DYNAMIC_RANK)]
        if not axes:
            return [TensorType(elem, _squeeze_all(shape))]
        axes = normalize_axes(ctx, axes, shape.rank) if shape.rank else []
        keep = []
        for axis, dim in enumerate(shape):
            if axis not in axes:
                keep.append(dim)
            elif not dim.contains(1):
                keep.append(cls.not_one(ctx, axis, dim))
            elif dim.is_dynamic and cls.skip_maybe_one(ctx):
                return [TensorType(elem, DYNAMIC_RANK)]
        return [TensorType(elem, PartialShape(tuple(d for d in keep if d is not None)))]

    @classmethod
    def not_one(cls, ctx: InferContext, axis: int, dim: Dimension) -> Dimension | None:
        raise ctx.error(f"cannot squeeze axis {axis} of length {dim} (must be 1)")

    @classmethod
    def skip_maybe_one(cls, ctx: InferContext) -> bool:
        return False

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, axes: np.ndarray | None = None):
        if data.ndim == 0:  # a scalar's axis 0 / -1 names the scalar itself
            return data.copy()
        if axes is None or axes.size == 0:
            return np.squeeze(data)
        normalized = {int(a) % data.ndim for a in axes.reshape(-1)}
        return np.squeeze(data, tuple(a for a in normalized if data.shape[a] == 1))


def _squeeze_all(shape: PartialShape) -> PartialShape:
    """Without axes every 1 goes; a dimension that might be 1 makes the rank unknown."""
    dims = []
    for dim in shape:
        if dim.is_static and dim.min == 1:
            continue
        if dim.contains(1):
            return DYNAMIC_RANK
        dims.append(dim)
    return PartialShape(tuple(dims))


@register
class SqueezeV1(SqueezeBase):
    """Removes axes of length 1 (all of them, or the listed ones, which must be 1)."""

    name, version = "Squeeze", 1


@register
class SqueezeV15(SqueezeBase):
    """As Squeeze<1>, but listed axes that are not 1 are kept instead of rejected."""

    name, version = "Squeeze", 15
    attributes = (Attr("allow_axis_skip", "bool", False),)

    @classmethod
    def not_one(cls, ctx: InferContext, axis: int, dim: Dimension) -> Dimension | None:
        return dim

    @classmethod
    def skip_maybe_one(cls, ctx: InferContext) -> bool:
        return ctx.attrs["allow_axis_skip"]


@register
class Unsqueeze(Op):
    """Inserts axes of length 1 at the given positions of the output."""

    name, version = "Unsqueeze", 1
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1)
        elem, shape = ctx.element_type(0), ctx.shape(0)
        axes = const_ints(ctx, 1)
        if axes is None or not shape.rank_is_static:
            return [TensorType(elem, DYNAMIC_RANK)]
        rank = shape.rank + len(set(axes))
        normalized = set(normalize_axes(ctx, sorted(set(axes)), rank))
        rest = iter(shape)
        dims = [Dimension(1, 1) if i in normalized else next(rest) for i in range(rank)]
        return [TensorType(elem, PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, axes: np.ndarray) -> np.ndarray:
        unique = sorted(set(int(a) for a in axes.reshape(-1)))
        rank = data.ndim + len(unique)
        return np.expand_dims(data, tuple(sorted(a % rank for a in unique)))


class ShapeOfBase(Op):
    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        shape = ctx.shape(0)
        length = Dimension.of(shape.rank) if shape.rank_is_static else DYNAMIC
        return [TensorType(cls.output_type(ctx), PartialShape((length,)))]

    @classmethod
    def output_type(cls, ctx: InferContext):
        return i64

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray) -> np.ndarray:
        return np.array(data.shape, dtype=np.int64)


@register
class ShapeOfV1(ShapeOfBase):
    """The input's shape as an i64 vector."""

    name, version = "ShapeOf", 1


@register
class ShapeOfV3(ShapeOfBase):
    """The input's shape as an i32 or i64 vector."""

    name, version = "ShapeOf", 3
    attributes = (Attr("output_type", "type", i64, (i32, i64)),)

    @classmethod
    def output_type(cls, ctx: InferContext):
        return ctx.attrs["output_type"]


@register
class Tile(Op):
    """Repeats the input along each axis; repeats and data rank are aligned at the right."""

    name, version = "Tile", 1
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1)
        elem, shape = ctx.element_type(0), ctx.shape(0)
        repeats = shape_entries(ctx, 1)
        count = len(repeats) if repeats is not None else vector_length(ctx, 1)
        if not shape.rank_is_static or count is None:
            return [TensorType(elem, DYNAMIC_RANK)]
        rank = max(shape.rank, count)
        if repeats is None:
            return [TensorType(elem, dynamic_shape(rank))]
        if any(isinstance(r, int) and r < 0 for r in repeats):
            raise ctx.error(f"repeats {_show(repeats)} must not be negative")
        dims = (Dimension(1, 1),) * (rank - shape.rank) + tuple(shape)
        full = [1] * (rank - len(repeats)) + repeats
        return [TensorType(elem, PartialShape(tuple(d * entry_dim(r)
                                                    for d, r in zip(dims, full))))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, repeats: np.ndarray) -> np.ndarray:
        return np.tile(data, [int(r) for r in repeats.reshape(-1)])


def _numpy_target(ctx: InferContext, data: PartialShape, target: PartialShape) -> PartialShape:
    """Broadcast of data to exactly the target shape (right-aligned, data dims 1 or equal)."""
    if not data.rank_is_static:
        return target
    if data.rank > target.rank:
        raise ctx.error(f"cannot broadcast {data} to the lower-rank target {target}")
    for dim, size in zip(reversed(tuple(data)), reversed(tuple(target))):
        if not (dim.compatible(size) or dim.contains(1)):
            raise ctx.error(f"cannot broadcast {data} to {target}")
    return target


def _explicit_target(ctx: InferContext, data: PartialShape, target: PartialShape) -> PartialShape:
    mapping = const_ints(ctx, 2) if len(ctx.input_types) == 3 else None
    if mapping is None:
        raise ctx.error("mode 'explicit' needs a constant axes_mapping input")
    if data.rank_is_static and len(mapping) != data.rank:
        raise ctx.error(f"axes_mapping {mapping} must have one axis per input dimension of {data}")
    if mapping != sorted(mapping) or any(not 0 <= a < target.rank for a in mapping):
        raise ctx.error(f"axes_mapping {mapping} must be increasing axes of the target {target}")
    for dim, axis in zip(data, mapping):
        if not (dim.compatible(target[axis]) or dim.contains(1)):
            raise ctx.error(f"input {data} does not fit target {target} through {mapping}")
    return target


class BroadcastBase(Op):
    num_inputs = (2, 3)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1)
        elem, data, mode = ctx.element_type(0), ctx.shape(0), ctx.attrs["mode"]
        entries = shape_entries(ctx, 1)
        if entries is None:
            return [TensorType(elem, cls._unknown_target(ctx, data, mode))]
        if any(isinstance(e, int) and e < 0 for e in entries):
            raise ctx.error(f"target shape {_show(entries)} has a negative dimension")
        target = PartialShape(tuple(entry_dim(e) for e in entries))
        if mode == "explicit":
            return [TensorType(elem, _explicit_target(ctx, data, target))]
        if mode == "bidirectional":
            return [TensorType(elem, broadcast_shapes(ctx, data, target))]
        return [TensorType(elem, _numpy_target(ctx, data, target))]

    @classmethod
    def _unknown_target(cls, ctx: InferContext, data: PartialShape, mode: str) -> PartialShape:
        length = vector_length(ctx, 1)
        if mode != "bidirectional" or length is None or not data.rank_is_static:
            return dynamic_shape(length)
        return dynamic_shape(max(length, data.rank))

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, target: np.ndarray,
                 mapping: np.ndarray | None = None) -> np.ndarray:
        shape = [int(v) for v in target.reshape(-1)]
        if attrs["mode"] == "bidirectional":
            return np.broadcast_to(data, np.broadcast_shapes(data.shape, tuple(shape))).copy()
        if attrs["mode"] == "explicit":
            expanded = [1] * len(shape)
            for size, axis in zip(data.shape, mapping.reshape(-1)):
                expanded[int(axis)] = size
            data = data.reshape(expanded)
        return np.broadcast_to(data, shape).copy()


@register
class BroadcastV1(BroadcastBase):
    """Broadcast to a target shape: numpy (right-aligned) or explicit (axes_mapping)."""

    name, version = "Broadcast", 1
    attributes = (Attr("mode", "str", "numpy", ("numpy", "explicit", "pdpd")),)


@register
class BroadcastV3(BroadcastBase):
    """Broadcast<1> plus bidirectional mode (the output is the numpy broadcast of both)."""

    name, version = "Broadcast", 3
    attributes = (Attr("mode", "str", "numpy", ("numpy", "explicit", "bidirectional", "pdpd")),)

