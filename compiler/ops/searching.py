"""Value-searching ops: Bucketize<3>, SearchSorted<15> and Unique<10>.

Bucketize and SearchSorted find positions in sorted boundaries (the output has the values'
shape); Unique finds the distinct elements or slices, so its main output length is `?`.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_inputs import const_ints, intersect, require_integral
from vinify.ops.shape_rules import normalize_axis, require_rank
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType
from vinify.types import i32, i64

INDEX_TYPES = (i32, i64)


def _require_numeric(ctx: InferContext, *indices: int) -> None:
    for index in indices:
        if ctx.element_type(index).kind not in ("float", "int", "uint"):
            raise ctx.error(f"input {index} must be numeric, got {ctx.element_type(index)}")


@register
class Bucketize(Op):
    """The bucket index of each value; with_right_bound makes buckets (b[i-1], b[i]]."""

    name, version = "Bucketize", 3
    num_inputs = (2, 2)
    attributes = (Attr("output_type", "type", i64, INDEX_TYPES),
                  Attr("with_right_bound", "bool", True))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        _require_numeric(ctx, 0, 1)
        require_rank(ctx, 1, 1)
        return [TensorType(ctx.attrs["output_type"], ctx.shape(0))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, buckets: np.ndarray) -> np.ndarray:
        side = "left" if attrs["with_right_bound"] else "right"
        return np.searchsorted(buckets, data, side=side)


@register
class SearchSorted(Op):
    """For each value, the index in the last axis of sorted_sequence that keeps it sorted."""

    name, version = "SearchSorted", 15
    num_inputs = (2, 2)
    attributes = (Attr("right_mode", "bool", False),
                  Attr("output_type", "type", i64, INDEX_TYPES))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        ctx.same_element_type(0, 1)
        sequence, values = ctx.shape(0), ctx.shape(1)
        if sequence.rank_is_static and sequence.rank == 0:
            raise ctx.error("sorted_sequence must have rank >= 1")
        leading_known = sequence.rank_is_static and values.rank_is_static
        if leading_known and sequence.rank > 1:
            if sequence.rank != values.rank:
                raise ctx.error(f"sorted_sequence {sequence} and values {values} "
                                "must have one rank")
            for i in range(sequence.rank - 1):
                intersect(ctx, sequence[i], values[i], f"leading axis {i}")
        return [TensorType(ctx.attrs["output_type"], values)]

    @classmethod
    def evaluate(cls, attrs: dict, sequence: np.ndarray, values: np.ndarray) -> np.ndarray:
        side = "right" if attrs["right_mode"] else "left"
        if sequence.ndim == 1:
            return np.searchsorted(sequence, values, side=side)
        rows = sequence.reshape(-1, sequence.shape[-1])
        queries = values.reshape(len(rows), -1)
        found = [np.searchsorted(r, q, side=side) for r, q in zip(rows, queries)]
        return np.array(found, dtype=np.int64).reshape(values.shape)


@register
class Unique(Op):
    """Distinct elements (or slices along axis): values, first indices, inverse, counts."""

    name, version = "Unique", 10
    num_inputs = (1, 2)
    attributes = (Attr("sorted", "bool", True),
                  Attr("index_element_type", "type", i64, INDEX_TYPES),
                  Attr("count_element_type", "type", i64, INDEX_TYPES))

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 4

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem, shape = ctx.element_type(0), ctx.shape(0)
        index_type, count_type = ctx.attrs["index_element_type"], ctx.attrs["count_element_type"]
        axis = cls._axis(ctx)
        if axis is None or not shape.rank_is_static:
            total = _element_count(shape)
            found = PartialShape((Dimension(min(total.min, 1), total.max),))
            values = DYNAMIC_RANK if len(ctx.input_types) == 2 else found
            return [TensorType(elem, values), TensorType(index_type, found),
                    TensorType(index_type, PartialShape((total,))), TensorType(count_type, found)]
        length = shape[axis]
        found = PartialShape((Dimension(min(length.min, 1), length.max),))
        values = PartialShape(tuple(found[0] if i == axis else d for i, d in enumerate(shape)))
        return [TensorType(elem, values), TensorType(index_type, found),
                TensorType(index_type, PartialShape((length,))), TensorType(count_type, found)]

    @classmethod
    def _axis(cls, ctx: InferContext) -> int | None:
        if len(ctx.input_types) == 1:
            return None
        require_integral(ctx, 1)
        axis = const_ints(ctx, 1)
        if axis is None or len(axis) != 1:
            if axis is not None:
                raise ctx.error(f"axis must be a single value, got {axis}")
            return None
        return normalize_axis(ctx, axis[0], ctx.shape(0).rank) \
            if ctx.shape(0).rank_is_static else None

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, axis: np.ndarray | None = None) -> tuple:
        axis_index = None if axis is None else int(axis.reshape(-1)[0]) % data.ndim
        source = data.reshape(-1) if axis_index is None else data
        values, first, inverse, counts = np.unique(
            source, return_index=True, return_inverse=True, return_counts=True, axis=axis_index)
        inverse = inverse.reshape(-1)
        if not attrs["sorted"]:
            order = np.argsort(first, kind="stable")
            rank_of = np.empty_like(order)
            rank_of[order] = np.arange(len(order))
            values = np.take(values, order, axis=0 if axis_index is None else axis_index)
            first, counts, inverse = first[order], counts[order], rank_of[inverse]
        return values, first, inverse, counts


def _element_count(shape: PartialShape) -> Dimension:
    if not shape.rank_is_static:
        return DYNAMIC
    count = Dimension(1, 1)
    for dim in shape:
        count = count * dim
    return count
