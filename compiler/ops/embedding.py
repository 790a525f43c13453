"""Embedding-bag ops: rows of an embedding table gathered into bags and reduced per bag.

Bags come as offsets into a flat index list (EmbeddingBagOffsetsSum<3>, EmbeddingBagOffsets<15>),
as rows of a 2-D index tensor (EmbeddingBagPackedSum<3>, EmbeddingBagPacked<15>) or as segment
ids (EmbeddingSegmentsSum<3>). The output is [bags, *table.shape[1:]]; an empty bag takes the
row at default_index, or zeros without one. Version 15 reduces by sum or mean.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_inputs import const_ints, require_integral
from vinify.ops.shape_rules import require_rank
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType

REDUCTION = Attr("reduction", "str", "sum", ("sum", "mean"))


def _bags_shape(ctx: InferContext, bags: Dimension) -> PartialShape:
    table = ctx.shape(0)
    if not table.rank_is_static:
        return DYNAMIC_RANK
    if table.rank < 1:
        raise ctx.error(f"emb_table must have rank >= 1, got {table}")
    return PartialShape((bags,) + tuple(table[1:]))


def _check_weights(ctx: InferContext, index: int) -> None:
    if index < len(ctx.input_types):
        ctx.same_element_type(0, index)
        if ctx.attrs.get("reduction", "sum") == "mean":
            raise ctx.error("per_sample_weights need reduction 'sum'")


def _reduce_bag(table: np.ndarray, rows: np.ndarray, weights: np.ndarray | None,
                default: int | None, reduction: str) -> np.ndarray:
    if rows.size == 0:
        if default is None or not 0 <= default < len(table):
            return np.zeros(table.shape[1:], table.dtype)
        return table[default].copy()
    picked = table[rows.astype(np.int64)].astype(np.float64)
    if weights is not None:
        picked = picked * weights.astype(np.float64).reshape((-1,) + (1,) * (table.ndim - 1))
    total = picked.sum(axis=0)
    return (total / len(rows) if reduction == "mean" else total).astype(table.dtype)


class OffsetsBase(Op):
    num_inputs = (3, 5)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1, 2, 3)
        require_rank(ctx, 1, 1)
        require_rank(ctx, 2, 1)
        if len(ctx.input_types) > 3:
            require_rank(ctx, 3, 0)
        _check_weights(ctx, 4)
        offsets = ctx.shape(2)
        bags = offsets[0] if offsets.rank_is_static else DYNAMIC
        return [TensorType(ctx.element_type(0), _bags_shape(ctx, bags))]

    @classmethod
    def evaluate(cls, attrs: dict, table: np.ndarray, indices: np.ndarray, offsets: np.ndarray,
                 default: np.ndarray | None = None, weights: np.ndarray | None = None):
        ends = list(offsets[1:]) + [len(indices)]
        default_row = None if default is None else int(default)
        bags = [_reduce_bag(table, indices[int(a):int(b)],
                            None if weights is None else weights[int(a):int(b)], default_row,
                            attrs.get("reduction", "sum")) for a, b in zip(offsets, ends)]
        return np.stack(bags) if bags else np.zeros((0,) + table.shape[1:], table.dtype)


@register
class EmbeddingBagOffsetsSum(OffsetsBase):
    """Bag b sums (weighted) table rows indices[offsets[b]:offsets[b+1]]."""

    name, version = "EmbeddingBagOffsetsSum", 3


@register
class EmbeddingBagOffsets(OffsetsBase):
    """EmbeddingBagOffsetsSum<3> with a choice of sum or mean."""

    name, version = "EmbeddingBagOffsets", 15
    attributes = (REDUCTION,)


class PackedBase(Op):
    num_inputs = (2, 3)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1)
        require_rank(ctx, 1, 2)
        _check_weights(ctx, 2)
        indices = ctx.shape(1)
        bags = indices[0] if indices.rank_is_static else DYNAMIC
        return [TensorType(ctx.element_type(0), _bags_shape(ctx, bags))]

    @classmethod
    def evaluate(cls, attrs: dict, table: np.ndarray, indices: np.ndarray,
                 weights: np.ndarray | None = None) -> np.ndarray:
        bags = [_reduce_bag(table, row, None if weights is None else weights[b], None,
                            attrs.get("reduction", "sum")) for b, row in enumerate(indices)]
        return np.stack(bags) if bags else np.zeros((0,) + table.shape[1:], table.dtype)


@register
class EmbeddingBagPackedSum(PackedBase):
    """Bag b sums (weighted) the table rows named by indices[b]."""

    name, version = "EmbeddingBagPackedSum", 3


@register
class EmbeddingBagPacked(PackedBase):
    """EmbeddingBagPackedSum<3> with a choice of sum or mean."""

    name, version = "EmbeddingBagPacked", 15
    attributes = (REDUCTION,)


@register
class EmbeddingSegmentsSum(Op):
    """Segment s sums (weighted) the table rows indices[i] whose segment_ids[i] == s."""

    name, version = "EmbeddingSegmentsSum", 3
    num_inputs = (4, 6)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1, 2, 3, 4)
        require_rank(ctx, 1, 1)
        require_rank(ctx, 2, 1)
        require_rank(ctx, 3, 0)
        _check_weights(ctx, 5)
        count = const_ints(ctx, 3)
        if count is not None and count[0] < 0:
            raise ctx.error(f"num_segments must not be negative, got {count[0]}")
        segments = DYNAMIC if count is None else Dimension.of(count[0])
        return [TensorType(ctx.element_type(0), _bags_shape(ctx, segments))]

    @classmethod
    def evaluate(cls, attrs: dict, table: np.ndarray, indices: np.ndarray, ids: np.ndarray,
                 count: np.ndarray, default: np.ndarray | None = None,
                 weights: np.ndarray | None = None) -> np.ndarray:
        default_row = None if default is None else int(default)
        bags = []
        for segment in range(int(count)):
            chosen = ids == segment
            bags.append(_reduce_bag(table, indices[chosen],
                                    None if weights is None else weights[chosen], default_row,
                                    "sum"))
        return np.stack(bags) if bags else np.zeros((0,) + table.shape[1:], table.dtype)
