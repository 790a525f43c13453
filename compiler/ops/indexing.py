"""Indexing ops: Gather (1, 7, 8), GatherND (5, 8), GatherElements, Select, OneHot (1, 16),
NonZero and GatherTree.

Gathers read elements at index tensors; the scatters that write them live in `scatter`.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.elementwise import AUTO_BROADCAST
from vinify.ops.shape_inputs import const_ints, intersect, require_integral
from vinify.ops.shape_rules import broadcast_shapes, normalize_axis, require_rank
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType
from vinify.types import boolean, i32, i64


def _gather_batch_dims(ctx: InferContext, indices: PartialShape) -> int:
    batch_dims = ctx.attrs.get("batch_dims", 0)
    if batch_dims >= 0:
        return batch_dims
    if not indices.rank_is_static:
        raise ctx.error(f"negative batch_dims {batch_dims} needs indices of a known rank")
    return batch_dims + indices.rank


def _gather_shape(ctx: InferContext, data: PartialShape, indices: PartialShape,
                  axis: int | None, batch_dims: int) -> PartialShape:
    if not data.rank_is_static or not indices.rank_is_static:
        return DYNAMIC_RANK
    if axis is None:
        return PartialShape((DYNAMIC,) * (data.rank + indices.rank - 1 - batch_dims))
    axis = normalize_axis(ctx, axis, data.rank)
    if not 0 <= batch_dims <= min(axis, indices.rank):
        raise ctx.error(f"batch_dims {batch_dims} must be in [0, min(axis {axis}, "
                        f"indices rank {indices.rank})]")
    batch = [intersect(ctx, data[i], indices[i], f"batch axis {i}") for i in range(batch_dims)]
    dims = batch + list(data[batch_dims:axis]) + list(indices[batch_dims:]) + \
        list(data[axis + 1:])
    return PartialShape(tuple(dims))


def _take_zero_fill(data: np.ndarray, indices: np.ndarray, axis: int) -> np.ndarray:
    """np.take where negative indices count from the end and out-of-range ones give 0."""
    size = data.shape[axis]
    wrapped = np.where(indices < 0, indices + size, indices)
    valid = (wrapped >= 0) & (wrapped < size)
    taken = np.take(data, np.where(valid, wrapped, 0), axis=axis)
    mask_shape = (1,) * axis + valid.shape + (1,) * (data.ndim - axis - 1)
    return np.where(valid.reshape(mask_shape), taken, np.zeros((), data.dtype))


def gather(data: np.ndarray, indices: np.ndarray, axis: int, batch_dims: int) -> np.ndarray:
    """Gather along `axis`, the first `batch_dims` axes of data and indices taken pairwise."""
    axis %= data.ndim
    if batch_dims < 0:
        batch_dims += indices.ndim
    if batch_dims == 0:
        return _take_zero_fill(data, indices, axis)
    batch_shape = data.shape[:batch_dims]
    flat_data = data.reshape((-1,) + data.shape[batch_dims:])
    flat_indices = indices.reshape((-1,) + indices.shape[batch_dims:])
    parts = [_take_zero_fill(d, i, axis - batch_dims) for d, i in zip(flat_data, flat_indices)]
    stacked = np.stack(parts) if parts else np.zeros((0,), data.dtype)
    tail = data.shape[batch_dims:axis] + indices.shape[batch_dims:] + data.shape[axis + 1:]
    return stacked.reshape(batch_shape + tail)


class GatherBase(Op):
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1, 2)
        if ctx.shape(2).rank_is_static and ctx.shape(2).rank > 1:
            raise ctx.error(f"axis must be a scalar, got shape {ctx.shape(2)}")
        axis = const_ints(ctx, 2)
        indices = ctx.shape(1)
        batch_dims = _gather_batch_dims(ctx, indices)
        shape = _gather_shape(ctx, ctx.shape(0), indices, None if axis is None else axis[0],
                              batch_dims)
        return [TensorType(ctx.element_type(0), shape)]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, indices: np.ndarray,
                 axis: np.ndarray) -> np.ndarray:
        return gather(data, indices, int(axis.reshape(-1)[0]), attrs.get("batch_dims", 0))


@register
class GatherV1(GatherBase):
    """Gathers slices along a scalar axis input at the given indices."""

    name, version = "Gather", 1


@register
class GatherV7(GatherBase):
    """Gather<1> with batch_dims: the first batch_dims axes of data and indices pair up."""

    name, version = "Gather", 7
    attributes = (Attr("batch_dims", "int", 0),)


@register
class GatherV8(GatherBase):
    """Gather<7> where negative indices count from the end of the axis."""

    name, version = "Gather", 8
    attributes = (Attr("batch_dims", "int", 0),)


def _gather_nd_parts(ctx: InferContext):
    """(data, indices, batch_dims, index depth or None) after checking ranks."""
    require_integral(ctx, 1)
    data, indices = ctx.shape(0), ctx.shape(1)
    batch_dims = ctx.attrs["batch_dims"]
    if not data.rank_is_static or not indices.rank_is_static:
        return data, indices, batch_dims, None
    if indices.rank < 1 or batch_dims >= min(data.rank, indices.rank):
        raise ctx.error(f"batch_dims {batch_dims} must be below the ranks of data {data} "
                        f"and indices {indices}")
    depth = indices[-1]
    if depth.is_static and depth.min > data.rank - batch_dims:
        raise ctx.error(f"index depth {depth.min} exceeds data rank {data.rank} minus batch_dims")
    for i in range(batch_dims):
        intersect(ctx, data[i], indices[i], f"batch axis {i}")
    return data, indices, batch_dims, depth.min if depth.is_static else None


def gather_nd(data: np.ndarray, indices: np.ndarray, batch_dims: int) -> np.ndarray:
    """Result with the batch axes kept (GatherND<8> layout)."""
    batch_shape = data.shape[:batch_dims]
    depth = indices.shape[-1]
    flat_data = data.reshape((-1,) + data.shape[batch_dims:])
    flat_indices = indices.reshape((len(flat_data), -1, depth))
    parts = []
    for d, idx in zip(flat_data, flat_indices):
        wrapped = np.where(idx < 0, idx + np.array(d.shape[:depth]), idx)
        parts.append(d[tuple(wrapped.T)] if depth else np.broadcast_to(d, (len(idx),) + d.shape))
    tail = indices.shape[batch_dims:-1] + data.shape[batch_dims + depth:]
    return np.stack(parts).reshape(batch_shape + tail)


@register
class GatherNDV5(Op):
    """Gathers slices at index tuples (last indices axis); batch axes flatten into one."""

    name, version = "GatherND", 5
    num_inputs = (2, 2)
    attributes = (Attr("batch_dims", "int", 0),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        data, indices, batch_dims, depth = _gather_nd_parts(ctx)
        if depth is None:
            return [TensorType(ctx.element_type(0), DYNAMIC_RANK)]
        dims = list(indices[batch_dims:-1]) + list(data[batch_dims + depth:])
        if batch_dims:
            batch = Dimension(1, 1)
            for i in range(batch_dims):
                batch = batch * intersect(ctx, data[i], indices[i], f"batch axis {i}")
            dims.insert(0, batch)
        return [TensorType(ctx.element_type(0), PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, indices: np.ndarray) -> np.ndarray:
        result = gather_nd(data, indices, attrs["batch_dims"])
        if attrs["batch_dims"] == 0:
            return result
        return result.reshape((-1,) + result.shape[attrs["batch_dims"]:])


@register
class GatherNDV8(Op):
    """GatherND<5> that keeps the batch axes as they are."""

    name, version = "GatherND", 8
    num_inputs = (2, 2)
    attributes = (Attr("batch_dims", "int", 0),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        data, indices, batch_dims, depth = _gather_nd_parts(ctx)
        if depth is None:
            return [TensorType(ctx.element_type(0), DYNAMIC_RANK)]
        batch = [intersect(ctx, data[i], indices[i], f"batch axis {i}") for i in range(batch_dims)]
        dims = batch + list(indices[batch_dims:-1]) + list(data[batch_dims + depth:])
        return [TensorType(ctx.element_type(0), PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, indices: np.ndarray) -> np.ndarray:
        return gather_nd(data, indices, attrs["batch_dims"])


@register
class GatherElements(Op):
    """out[i][j][k] = data[i][indices[i][j][k]][k] for axis 1 (and likewise for any axis)."""

    name, version = "GatherElements", 6
    num_inputs = (2, 2)
    attributes = (Attr("axis", "int"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1)
        data, indices = ctx.shape(0), ctx.shape(1)
        if not data.rank_is_static or not indices.rank_is_static:
            return [TensorType(ctx.element_type(0), indices)]
        if data.rank != indices.rank:
            raise ctx.error(f"data {data} and indices {indices} must have one rank")
        axis = normalize_axis(ctx, ctx.attrs["axis"], data.rank)
        dims = [d if i == axis else intersect(ctx, d, data[i], f"axis {i}")
                for i, d in enumerate(indices)]
        return [TensorType(ctx.element_type(0), PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, indices: np.ndarray) -> np.ndarray:
        axis = attrs["axis"] % data.ndim
        wrapped = np.where(indices < 0, indices + data.shape[axis], indices)
        return np.take_along_axis(data, wrapped.astype(np.int64), axis)


@register
class Select(Op):
    """Elementwise cond ? then : else with broadcasting of all three inputs."""

    name, version = "Select", 1
    num_inputs = (3, 3)
    attributes = (AUTO_BROADCAST,)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if ctx.element_type(0) != boolean:
            raise ctx.error(f"condition must be boolean, got {ctx.element_type(0)}")
        elem = ctx.same_element_type(1, 2)
        mode = ctx.attrs["auto_broadcast"]
        values = broadcast_shapes(ctx, ctx.shape(1), ctx.shape(2), mode)
        if mode == "pdpd":
            return [TensorType(elem, values)]
        return [TensorType(elem, broadcast_shapes(ctx, ctx.shape(0), values, mode))]

    @classmethod
    def evaluate(cls, attrs: dict, cond: np.ndarray, then: np.ndarray,
                 otherwise: np.ndarray) -> np.ndarray:
        return np.where(cond, then, otherwise)


@register
class OneHot(Op):
    """A new axis of length depth: on_value where it equals the index, off_value elsewhere."""

    name, version = "OneHot", 1
    num_inputs = (4, 4)
    attributes = (Attr("axis", "int"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 0, 1)
        elem = ctx.same_element_type(2, 3)
        shape = ctx.shape(0)
        depth = const_ints(ctx, 1)
        if depth is not None and (len(depth) != 1 or depth[0] < 0):
            raise ctx.error(f"depth must be one non-negative value, got {depth}")
        if not shape.rank_is_static:
            return [TensorType(elem, DYNAMIC_RANK)]
        axis = normalize_axis(ctx, ctx.attrs["axis"], shape.rank + 1)
        dims = list(shape)
        dims.insert(axis, DYNAMIC if depth is None else Dimension.of(depth[0]))
        return [TensorType(elem, PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, indices: np.ndarray, depth: np.ndarray, on: np.ndarray,
                 off: np.ndarray) -> np.ndarray:
        size = int(depth.reshape(-1)[0])
        axis = attrs["axis"] % (indices.ndim + 1)
        positions = np.arange(size).reshape((size,) + (1,) * indices.ndim)
        hot = np.moveaxis(positions == indices[np.newaxis], 0, axis)
        return np.where(hot, on.reshape(()), off.reshape(()))


@register
class NonZero(Op):
    """Indices of the non-zero elements, one row per input axis: shape [rank, count]."""

    name, version = "NonZero", 3
    attributes = (Attr("output_type", "type", i64, (i32, i64)),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        shape = ctx.shape(0)
        rank = Dimension.of(shape.rank) if shape.rank_is_static else DYNAMIC
        count = DYNAMIC
        if shape.rank_is_static and all(d.max is not None for d in shape):
            count = Dimension(0, int(np.prod([d.max for d in shape], dtype=np.int64)))
        return [TensorType(ctx.attrs["output_type"], PartialShape((rank, count)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray) -> np.ndarray:
        if data.ndim == 0:
            return np.zeros((0, int(data != 0)), dtype=np.int64)
        return np.array(np.nonzero(data), dtype=np.int64).reshape(data.ndim, -1)


@register
class OneHotV16(OneHot):
    """OneHot<1> with negative_indices_mode: 'normalize' counts indices in [-depth, -1] from
    the end; 'ignore_negative' (the default, as in OneHot<1>) leaves their rows off."""

    name, version = "OneHot", 16
    attributes = (Attr("axis", "int"),
                  Attr("negative_indices_mode", "str", "ignore_negative",
                       ("ignore_negative", "normalize")))

    @classmethod
    def evaluate(cls, attrs: dict, indices: np.ndarray, depth: np.ndarray, on: np.ndarray,
                 off: np.ndarray) -> np.ndarray:
        if attrs["negative_indices_mode"] == "normalize":
            size = int(depth.reshape(-1)[0])
            indices = np.where((indices < 0) & (indices >= -size), indices + size, indices)
        return super().evaluate(attrs, indices, depth, on, off)


@register
class GatherTree(Op):
    """Beam-search backtracking: the full id sequence of each beam, following parent indices
    backwards from max_seq_len; positions after the first end_token become end_token."""

    name, version = "GatherTree", 1
    num_inputs = (4, 4)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.same_element_type(0, 1, 2, 3)
        for index, rank in ((0, 3), (1, 3), (2, 1)):
            require_rank(ctx, index, rank)
        require_rank(ctx, 3, 0)
        steps, parents = ctx.shape(0), ctx.shape(1)
        if steps.rank_is_static and parents.rank_is_static:
            dims = [intersect(ctx, a, b, f"step_ids/parent_idx axis {i}")
                    for i, (a, b) in enumerate(zip(steps, parents))]
            return [TensorType(elem, PartialShape(tuple(dims)))]
        return [TensorType(elem, steps if steps.rank_is_static else parents)]

    @classmethod
    def evaluate(cls, attrs: dict, steps: np.ndarray, parents: np.ndarray, lengths: np.ndarray,
                 end_token: np.ndarray) -> np.ndarray:
        time, batch, beams = steps.shape
        end = end_token.reshape(())
        out = np.full(steps.shape, end, dtype=steps.dtype)
        for b in range(batch):
            length = min(int(lengths[b]), time)
            for w in range(beams):
                out[:length, b, w] = _backtrack(steps[:, b], parents[:, b], w, length)
                finished = np.cumsum(out[:length, b, w] == end) > 0
                after_end = np.concatenate([[False], finished[:-1]]) if length else finished
                out[:length, b, w][after_end] = end
        return out


def _backtrack(steps: np.ndarray, parents: np.ndarray, beam: int, length: int) -> np.ndarray:
    ids = np.empty(length, dtype=steps.dtype)
    parent = beam
    for t in range(length - 1, -1, -1):
        if not 0 <= parent < steps.shape[1]:
            raise ValueError(f"parent index {parent} at step {t} is out of range")
        ids[t] = steps[t, parent]
        parent = int(parents[t, parent])
    return ids
