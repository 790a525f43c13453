"""ScaledDotProductAttention<13>, as OpenVINO's opset13 specifies it.

softmax(Q K^T * scale + bias) V with an optional float or boolean mask, an optional scale
(default 1/sqrt(E)) and a `causal` attribute. The attention-recognition pass produces it.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import broadcast_shapes, require_float
from vinify.shapes import DYNAMIC_RANK, PartialShape, TensorType


@register
class ScaledDotProductAttention(Op):
    """query [N,...,L,E], key [N,...,S,E], value [N,...,S,Ev] -> [N,...,L,Ev]."""

    name, version = "ScaledDotProductAttention", 13
    num_inputs = (3, 5)
    attributes = (Attr("causal", "bool", False),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_float(ctx, 0)
        elem = ctx.same_element_type(0, 1, 2)
        query, key, value = ctx.shape(0), ctx.shape(1), ctx.shape(2)
        if not (query.rank_is_static and key.rank_is_static and value.rank_is_static):
            return [TensorType(elem, DYNAMIC_RANK)]
        if min(query.rank, key.rank, value.rank) < 2:
            raise ctx.error(f"query, key and value need rank >= 2, got {query}, {key}, {value}")
        if not query[-1].compatible(key[-1]) or not key[-2].compatible(value[-2]):
            raise ctx.error(f"query {query}, key {key} and value {value} do not fit")
        batch = broadcast_shapes(ctx, PartialShape(query.dims[:-2]), PartialShape(key.dims[:-2]))
        return [TensorType(elem, PartialShape(batch.dims + (query[-2], value[-1])))]

    @classmethod
    def evaluate(cls, attrs: dict, query, key, value, mask=None, scale=None) -> np.ndarray:
        wide = np.float64
        q, k, v = (np.asarray(a, dtype=wide) for a in (query, key, value))
        factor = 1.0 / np.sqrt(q.shape[-1]) if scale is None else float(np.asarray(scale))
        scores = np.matmul(q, np.swapaxes(k, -1, -2)) * factor
        length, source = scores.shape[-2], scores.shape[-1]
        if attrs["causal"]:
            scores = scores + np.triu(np.full((length, source), -np.inf), k=1)
        elif mask is not None and mask.dtype == np.bool_:
            scores = scores + np.where(mask, 0.0, -np.inf)
        elif mask is not None:
            scores = scores + np.asarray(mask, dtype=wide)
        scores = np.exp(scores - np.max(scores, axis=-1, keepdims=True))
        weights = scores / np.sum(scores, axis=-1, keepdims=True)
        return np.matmul(weights, v).astype(query.dtype)
