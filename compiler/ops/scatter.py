"""Scatter ops: copies of `data` with elements or slices at `indices` replaced by `updates`.

ScatterUpdate<3> writes whole slices along an axis, ScatterElementsUpdate<3>/<12> single
elements along an axis (12 adds reductions), ScatterNDUpdate<4>/<15> slices at index tuples
(15 adds reductions). The output always has the type and shape of `data`.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_inputs import const_ints, require_integral
from vinify.ops.shape_rules import normalize_axis
from vinify.shapes import PartialShape, TensorType


def _check_axis_input(ctx: InferContext, index: int) -> int | None:
    require_integral(ctx, index)
    shape = ctx.shape(index)
    if shape.rank_is_static and not (shape.rank == 0 or shape.to_tuple() == (1,)):
        raise ctx.error(f"axis must be a scalar, got shape {shape}")
    axis = const_ints(ctx, index)
    data = ctx.shape(0)
    if axis is None or not data.rank_is_static:
        return None
    return normalize_axis(ctx, axis[0], data.rank)


def _check_updates(ctx: InferContext, expected: PartialShape) -> None:
    updates = ctx.shape(2)
    if not updates.compatible(expected):
        raise ctx.error(f"updates of shape {updates} must have shape {expected}")


@register
class ScatterUpdate(Op):
    """data[..., indices[j], ...] = updates[..., j, ...] along a scalar axis input."""

    name, version = "ScatterUpdate", 3
    num_inputs = (4, 4)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1)
        ctx.same_element_type(0, 2)
        axis = _check_axis_input(ctx, 3)
        data, indices = ctx.shape(0), ctx.shape(1)
        if axis is not None and indices.rank_is_static:
            _check_updates(ctx, PartialShape(tuple(data[:axis]) + tuple(indices) +
                                             tuple(data[axis + 1:])))
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, indices: np.ndarray,
                 updates: np.ndarray, axis: np.ndarray) -> np.ndarray:
        axis_index = int(axis.reshape(-1)[0]) % data.ndim
        result = data.copy()
        moved = np.moveaxis(result, axis_index, 0)  # a view: writes land in result
        index_axes = list(range(axis_index, axis_index + indices.ndim))
        slices = np.moveaxis(updates, index_axes, list(range(indices.ndim)))
        slices = slices.reshape((indices.size,) + moved.shape[1:])
        for position, target in enumerate(indices.reshape(-1)):
            moved[int(target)] = slices[position]
        return result


def _full_index(indices: np.ndarray, axis: int, size: int) -> tuple:
    """Index arrays addressing data for every element of `indices` along `axis`."""
    grids = list(np.indices(indices.shape, sparse=True))
    grids[axis] = np.where(indices < 0, indices + size, indices)
    return tuple(grids)


_UFUNCS = {"sum": np.add, "prod": np.multiply, "min": np.minimum, "max": np.maximum,
           "mean": np.add, "sub": np.subtract}
_IDENTITY = {"sum": 0, "prod": 1, "mean": 0, "sub": 0}


def scatter_reduce(result: np.ndarray, index: tuple, updates: np.ndarray, reduction: str,
                   use_init_val: bool) -> np.ndarray:
    """Combines updates into result at index (repeated positions accumulate)."""
    if reduction == "none":
        result[index] = updates
        return result
    if not use_init_val:
        if reduction in ("min", "max"):
            flat = np.broadcast_arrays(*index)
            first = {}
            for position in zip(*(f.reshape(-1) for f in flat), updates.reshape(-1)):
                first.setdefault(position[:-1], position[-1])
            for position, value in first.items():
                result[position] = value
        else:
            result[index] = _IDENTITY[reduction]
    if reduction != "mean":
        _UFUNCS[reduction].at(result, index, updates)
        return result
    counts = np.zeros(result.shape, np.int64)
    np.add.at(counts, index, 1)
    total = result.astype(np.float64)
    np.add.at(total, index, updates.astype(np.float64))
    divisor = counts + (1 if use_init_val else 0)
    mean = np.where(counts > 0, total / np.maximum(divisor, 1), total)
    if result.dtype.kind in "iu":  # integer means truncate toward zero, as OpenVINO's do
        mean = np.trunc(mean)
    return mean.astype(result.dtype)


class ScatterElementsBase(Op):
    num_inputs = (4, 4)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1)
        ctx.same_element_type(0, 2)
        _check_axis_input(ctx, 3)
        data, indices, updates = ctx.shape(0), ctx.shape(1), ctx.shape(2)
        if not indices.compatible(updates):
            raise ctx.error(f"indices {indices} and updates {updates} must have one shape")
        if data.rank_is_static and indices.rank_is_static and data.rank != indices.rank:
            raise ctx.error(f"indices {indices} must have the rank of data {data}")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, indices: np.ndarray,
                 updates: np.ndarray, axis: np.ndarray) -> np.ndarray:
        axis_index = int(axis.reshape(-1)[0]) % data.ndim
        index = _full_index(indices.astype(np.int64), axis_index, data.shape[axis_index])
        return scatter_reduce(data.copy(), index, updates, attrs.get("reduction", "none"),
                              attrs.get("use_init_val", True))


@register
class ScatterElementsUpdateV3(ScatterElementsBase):
    """data[i][indices[i][j]][j] = updates[i][j] along the axis (for axis 1, rank 2)."""

    name, version = "ScatterElementsUpdate", 3


@register
class ScatterElementsUpdateV12(ScatterElementsBase):
    """ScatterElementsUpdate<3> with a reduction of updates (and optionally the old value)."""

    name, version = "ScatterElementsUpdate", 12
    attributes = (Attr("reduction", "str", "none",
                       ("none", "sum", "prod", "min", "max", "mean")),
                  Attr("use_init_val", "bool", True))


class ScatterNDBase(Op):
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1)
        ctx.same_element_type(0, 2)
        data, indices = ctx.shape(0), ctx.shape(1)
        if not data.rank_is_static or not indices.rank_is_static:
            return [ctx.input_types[0]]
        if indices.rank < 1:
            raise ctx.error(f"indices must have rank >= 1, got {indices}")
        depth = indices[-1]
        if not depth.is_static:
            return [ctx.input_types[0]]
        if depth.min > data.rank:
            raise ctx.error(f"index depth {depth.min} exceeds data rank {data.rank}")
        _check_updates(ctx, PartialShape(tuple(indices[:-1]) + tuple(data[depth.min:])))
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, indices: np.ndarray,
                 updates: np.ndarray) -> np.ndarray:
        depth = indices.shape[-1]
        flat = indices.reshape(-1, depth).astype(np.int64)
        flat = np.where(flat < 0, flat + np.array(data.shape[:depth]), flat)
        slices = updates.reshape((len(flat),) + data.shape[depth:])
        index = tuple(flat.T)
        return scatter_reduce(data.copy(), index, slices, attrs.get("reduction", "none"), True)


@register
class ScatterNDUpdateV4(ScatterNDBase):
    """data[indices[j]] = updates[j] where each indices row addresses a slice of data."""

    name, version = "ScatterNDUpdate", 4


@register
class ScatterNDUpdateV15(ScatterNDBase):
    """ScatterNDUpdate<4> combining updates with the old value by a reduction."""

    name, version = "ScatterNDUpdate", 15
    attributes = (Attr("reduction", "str", "none",
                       ("none", "sum", "sub", "prod", "min", "max")),)
