"""Data movement ops: Transpose, Concat, Split, VariadicSplit, Reverse, Roll, ReverseSequence,
Identity.

They move elements without computing on them; the output element type is the input's.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_inputs import (
    const_ints,
    divide_dim,
    dynamic_shape,
    intersect,
    require_integral,
    vector_length,
)
from vinify.ops.shape_rules import normalize_axis, require_rank
from vinify.shapes import DYNAMIC_RANK, Dimension, PartialShape, TensorType


@register
class Transpose(Op):
    """Permutes the axes by input_order; an empty order reverses them."""

    name, version = "Transpose", 1
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1)
        elem, shape = ctx.element_type(0), ctx.shape(0)
        order = const_ints(ctx, 1)
        if order is None:
            rank = shape.rank if shape.rank_is_static else vector_length(ctx, 1)
            return [TensorType(elem, dynamic_shape(rank))]
        if not shape.rank_is_static:
            return [TensorType(elem, dynamic_shape(len(order) if order else None))]
        if not order:
            order = list(range(shape.rank))[::-1]
        if sorted(order) != list(range(shape.rank)):
            raise ctx.error(f"input_order {order} is not a permutation of the axes of {shape}")
        return [TensorType(elem, PartialShape(tuple(shape[i] for i in order)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, order: np.ndarray) -> np.ndarray:
        axes = [int(a) for a in order.reshape(-1)]
        return np.transpose(data, axes or None)


@register
class Concat(Op):
    """Joins the inputs along `axis`; every other dimension must agree."""

    name, version = "Concat", 1
    num_inputs = (1, None)
    attributes = (Attr("axis", "int"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        count = len(ctx.input_types)
        elem = ctx.same_element_type(*range(count))
        ranked = [ctx.shape(i) for i in range(count) if ctx.shape(i).rank_is_static]
        if not ranked:
            return [TensorType(elem, DYNAMIC_RANK)]
        rank = ranked[0].rank
        if any(s.rank != rank for s in ranked):
            raise ctx.error(f"inputs differ in rank: {[str(s) for s in ranked]}")
        axis = normalize_axis(ctx, ctx.attrs["axis"], rank)
        dims = list(ranked[0])
        for shape in ranked[1:]:
            for i, dim in enumerate(shape):
                if i != axis:
                    dims[i] = intersect(ctx, dims[i], dim, f"Concat axis {i}")
        joined = Dimension(0, 0)
        for i in range(count):
            joined = joined + ctx.shape(i)[axis]
        dims[axis] = joined
        return [TensorType(elem, PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, *arrays: np.ndarray) -> np.ndarray:
        return np.concatenate(arrays, axis=attrs["axis"])


def _split_axis(ctx: InferContext, shape: PartialShape) -> int | None:
    """The normalized constant axis of a split, or None when it is unknown at compile time."""
    require_integral(ctx, 1)
    if ctx.shape(1).rank_is_static and ctx.shape(1).rank != 0:
        raise ctx.error(f"axis must be a scalar, got shape {ctx.shape(1)}")
    axis = const_ints(ctx, 1)
    if axis is None or not shape.rank_is_static:
        return None
    return normalize_axis(ctx, axis[0], shape.rank)


def _with_dim(shape: PartialShape, axis: int, dim: Dimension) -> PartialShape:
    return PartialShape(tuple(dim if i == axis else d for i, d in enumerate(shape)))


@register
class Split(Op):
    """Splits along a scalar axis input into num_splits equal parts."""

    name, version = "Split", 1
    num_inputs = (2, 2)
    attributes = (Attr("num_splits", "int"),)

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return attrs["num_splits"]

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem, shape, parts = ctx.element_type(0), ctx.shape(0), ctx.attrs["num_splits"]
        if parts < 1:
            raise ctx.error(f"num_splits must be positive, got {parts}")
        axis = _split_axis(ctx, shape)
        if axis is None:
            return [TensorType(elem, dynamic_shape(_rank(shape)))] * parts
        dim = shape[axis]
        if dim.is_static and dim.min % parts:
            raise ctx.error(f"axis {axis} of length {dim.min} does not split into {parts} parts")
        return [TensorType(elem, _with_dim(shape, axis, divide_dim(dim, parts)))] * parts

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, axis: np.ndarray) -> tuple:
        return tuple(np.split(data, attrs["num_splits"], axis=int(axis)))


def _rank(shape: PartialShape) -> int | None:
    return shape.rank if shape.rank_is_static else None


@register
class VariadicSplit(Op):
    """Splits along a scalar axis into parts of split_lengths (one entry may be -1)."""

    name, version = "VariadicSplit", 1
    num_inputs = (3, 3)

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> None:
        return None  # as many as split_lengths has values: `infer` decides

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 2)
        elem, shape = ctx.element_type(0), ctx.shape(0)
        count = vector_length(ctx, 2)
        if count is None:
            raise ctx.error("split_lengths must have a static length (it sets the output count)")
        lengths = const_ints(ctx, 2)
        axis = _split_axis(ctx, shape)
        if axis is None or lengths is None:
            return [TensorType(elem, dynamic_shape(_rank(shape)))] * count
        dims = _split_lengths(ctx, shape[axis], lengths)
        return [TensorType(elem, _with_dim(shape, axis, dim)) for dim in dims]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, axis: np.ndarray,
                 lengths: np.ndarray) -> tuple:
        axis_index = int(axis) % data.ndim
        sizes = [int(v) for v in lengths.reshape(-1)]
        if -1 in sizes:
            sizes[sizes.index(-1)] = data.shape[axis_index] - (sum(sizes) + 1)
        return tuple(np.split(data, np.cumsum(sizes)[:-1], axis=axis_index))


def _split_lengths(ctx: InferContext, dim: Dimension, lengths: list[int]) -> list[Dimension]:
    if lengths.count(-1) > 1 or any(n < -1 for n in lengths):
        raise ctx.error(f"split_lengths {lengths} may hold a single -1 and no other negative")
    known = sum(n for n in lengths if n != -1)
    if -1 not in lengths:
        if dim.is_static and known != dim.min or not dim.contains(known):
            raise ctx.error(f"split_lengths {lengths} do not sum to the axis length {dim}")
        return [Dimension(n, n) for n in lengths]
    if dim.max is not None and known > dim.max:
        raise ctx.error(f"split_lengths {lengths} exceed the axis length {dim}")
    rest = Dimension(max(dim.min - known, 0), None if dim.max is None else dim.max - known)
    return [rest if n == -1 else Dimension(n, n) for n in lengths]


@register
class Reverse(Op):
    """Reverses the listed axes: axis indices (mode 'index') or a boolean mask (mode 'mask')."""

    name, version = "Reverse", 1
    num_inputs = (2, 2)
    attributes = (Attr("mode", "str", choices=("index", "mask")),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        shape = ctx.shape(0)
        if ctx.attrs["mode"] == "mask" and ctx.element_type(1).kind != "bool":
            raise ctx.error(f"mode 'mask' needs a boolean axis input, got {ctx.element_type(1)}")
        if ctx.attrs["mode"] == "index":
            require_integral(ctx, 1)
        axes = ctx.const(1)
        if axes is not None and shape.rank_is_static:
            if ctx.attrs["mode"] == "index":  # repeated axes count once, as in OpenVINO
                for axis in axes.reshape(-1):
                    normalize_axis(ctx, int(axis), shape.rank)
            elif axes.size != shape.rank:
                raise ctx.error(f"mask of {axes.size} values for rank {shape.rank}")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, axes: np.ndarray) -> np.ndarray:
        if attrs["mode"] == "mask":
            chosen = [i for i, flag in enumerate(axes.reshape(-1)) if flag]
        else:
            chosen = sorted({int(a) % max(data.ndim, 1) for a in axes.reshape(-1)})
        return np.flip(data, tuple(chosen)) if chosen else data.copy()


@register
class Roll(Op):
    """Shifts elements cyclically along axes; one shift for all axes or one per axis."""

    name, version = "Roll", 7
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1, 2)
        require_rank(ctx, 1, 0, 1)
        require_rank(ctx, 2, 0, 1)
        shift, axes = const_ints(ctx, 1), const_ints(ctx, 2)
        shape = ctx.shape(0)
        if axes is not None and shape.rank_is_static:
            for axis in axes:
                normalize_axis(ctx, axis, shape.rank)
            if shift is not None and len(shift) not in (1, len(axes)):
                raise ctx.error(f"shift {shift} must be a scalar or match axes {axes}")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, shift: np.ndarray,
                 axes: np.ndarray) -> np.ndarray:
        axis_list = [int(a) for a in axes.reshape(-1)]
        shifts = [int(s) for s in shift.reshape(-1)]
        if len(shifts) == 1:
            shifts = shifts * len(axis_list)
        return np.roll(data, shifts, axis_list)


@register
class ReverseSequence(Op):
    """Reverses the first seq_lengths[b] elements along seq_axis for each batch item b."""

    name, version = "ReverseSequence", 1
    num_inputs = (2, 2)
    attributes = (Attr("batch_axis", "int", 0), Attr("seq_axis", "int", 1))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_rank(ctx, 1, 1)
        shape = ctx.shape(0)
        if not shape.rank_is_static:
            return [ctx.input_types[0]]
        if shape.rank < 2:
            raise ctx.error(f"data must have rank >= 2, got {shape}")
        batch = normalize_axis(ctx, ctx.attrs["batch_axis"], shape.rank)
        normalize_axis(ctx, ctx.attrs["seq_axis"], shape.rank)
        lengths = ctx.shape(1)
        if lengths.rank_is_static:
            intersect(ctx, shape[batch], lengths[0], "seq_lengths against the batch axis")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        batch_axis = attrs["batch_axis"] % data.ndim
        seq_axis = attrs["seq_axis"] % data.ndim
        moved = np.moveaxis(data, (batch_axis, seq_axis), (0, 1))
        result = moved.copy()
        for b, length in enumerate(lengths.reshape(-1).astype(np.int64)):
            count = max(int(length), 0)
            result[b, :count] = moved[b, :count][::-1]
        return np.moveaxis(result, (0, 1), (batch_axis, seq_axis))



@register
class Identity(Op):
    """Returns its input unchanged (a copy)."""

    name, version = "Identity", 16

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray) -> np.ndarray:
        return data.copy()
