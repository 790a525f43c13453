"""Internal ops (domain "vinify") for ONNX constructs that no OpenVINO opset op expresses.

They are declared with the same mechanism as the OpenVINO ops (attributes, inference, numpy
reference) but live in their own domain, so IR files mark them as vinify's own.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import normalize_axis
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType


@register
class Hardmax(Op):
    """1 at the first maximum along `axis`, 0 elsewhere (ONNX Hardmax, opset 13 semantics)."""

    name, version, domain = "Hardmax", 1, "vinify"
    attributes = (Attr("axis", "int", -1),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        shape = ctx.shape(0)
        if shape.rank_is_static:
            normalize_axis(ctx, ctx.attrs["axis"], max(shape.rank, 1))
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        axis = attrs["axis"] % max(x.ndim, 1)
        winners = np.expand_dims(np.argmax(x, axis=axis), axis)
        result = np.zeros_like(x)
        np.put_along_axis(result, winners, 1, axis=axis)
        return result


def _dims(shape) -> list | None:
    return None if not shape.rank_is_static else [d.min if d.is_static else None for d in shape]


def _shape(dims: list) -> PartialShape:
    return PartialShape(tuple(DYNAMIC if d is None else Dimension(d, d) for d in dims))


def _product(a, b):
    return None if a is None or b is None else a * b


def _total(a, b):
    return None if a is None or b is None else a + b


@register
class Attention(Op):
    """ONNX Attention (opset 23/24): scaled dot-product attention with multi/grouped-query heads,
    causal and additive/boolean masks, softcap, past/present key-value caches and padded keys.

    Inputs: Q, K, V, then attn_mask, (past_key, past_value), nonpad_kv_seqlen when the matching
    `has_*` attribute is set. Outputs: Y, present_key, present_value, qk_matmul_output (the
    scores at the stage `qk_matmul_output_mode` names: 0 raw, 1 softcapped, 2 masked,
    3 softmax). 3-D Q/K/V are [batch, sequence, heads * head_size].
    """

    name, version, domain = "Attention", 1, "vinify"
    num_inputs = (3, 7)
    attributes = (
        Attr("is_causal", "bool", False), Attr("kv_num_heads", "int", 0),
        Attr("q_num_heads", "int", 0), Attr("qk_matmul_output_mode", "int", 0, (0, 1, 2, 3)),
        Attr("scale", "float", 0.0), Attr("softcap", "float", 0.0),
        Attr("has_attn_mask", "bool", False), Attr("has_past", "bool", False),
        Attr("has_nonpad_kv_seqlen", "bool", False),
        Attr("left_window_size", "int", -1), Attr("right_window_size", "int", -1),
    )

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 4

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.same_element_type(0, 1, 2)
        q, k, v = (_dims(ctx.shape(i)) for i in range(3))
        if q is None or k is None or v is None:
            return [TensorType(elem, DYNAMIC_RANK)] * 4
        if len(q) not in (3, 4) or len(k) != len(q) or len(v) != len(q):
            raise ctx.error(f"Q, K, V must all be 3-D or 4-D, got {ctx.shape(0)}, "
                            f"{ctx.shape(1)}, {ctx.shape(2)}")
        heads_q, heads_kv = ctx.attrs["q_num_heads"], ctx.attrs["kv_num_heads"]
        if len(q) == 3 and (heads_q <= 0 or heads_kv <= 0):
            raise ctx.error("3-D inputs need q_num_heads and kv_num_heads")
        batch, seq_q, seq_kv = q[0], q[-2] if len(q) == 4 else q[1], k[-2] if len(k) == 4 else k[1]
        if len(q) == 4:
            heads_q, heads_kv, head_k, head_v = q[1], k[1], k[3], v[3]
        else:
            head_k = None if k[2] is None else k[2] // heads_kv
            head_v = None if v[2] is None else v[2] // heads_kv
        past = 0
        if ctx.attrs["has_past"]:
            index = 4 if ctx.attrs["has_attn_mask"] else 3
            past_dims = _dims(ctx.shape(index))
            past = None if past_dims is None else past_dims[2]
        total = _total(seq_kv, past)
        y = [batch, heads_q, seq_q, head_v] if len(q) == 4 else \
            [batch, seq_q, _product(heads_q, head_v)]
        return [TensorType(elem, _shape(y)),
                TensorType(elem, _shape([batch, heads_kv, total, head_k])),
                TensorType(elem, _shape([batch, heads_kv, total, head_v])),
                TensorType(elem, _shape([batch, heads_q, seq_q, total]))]

    @classmethod
    def evaluate(cls, attrs: dict, q: np.ndarray, k: np.ndarray, v: np.ndarray, *rest):
        rest = list(rest)
        mask = rest.pop(0) if attrs["has_attn_mask"] else None
        past_k, past_v = (rest.pop(0), rest.pop(0)) if attrs["has_past"] else (None, None)
        nonpad = rest.pop(0) if attrs["has_nonpad_kv_seqlen"] else None
        three_d = q.ndim == 3
        if three_d:
            q = _split_heads(q, attrs["q_num_heads"])
            k = _split_heads(k, attrs["kv_num_heads"])
            v = _split_heads(v, attrs["kv_num_heads"])
        if past_k is not None:
            k, v = np.concatenate([past_k, k], axis=2), np.concatenate([past_v, v], axis=2)
        present_k, present_v = k, v
        scores, y = _attention_scores(attrs, q, k, v, mask, nonpad,
                                      0 if past_k is None else past_k.shape[2])
        if three_d:
            y = y.transpose(0, 2, 1, 3).reshape(y.shape[0], y.shape[2], -1)
        return y, present_k, present_v, scores


def _split_heads(x: np.ndarray, heads: int) -> np.ndarray:
    batch, sequence, hidden = x.shape
    return x.reshape(batch, sequence, heads, hidden // heads).transpose(0, 2, 1, 3)


def _attention_scores(attrs: dict, q, k, v, mask, nonpad, past: int):
    """(qk_matmul_output at the requested stage, Y) in float64."""
    q, k, v = (x.astype(np.float64) for x in (q, k, v))
    heads_q, heads_kv = q.shape[1], k.shape[1]
    if heads_q != heads_kv:
        k = np.repeat(k, heads_q // heads_kv, axis=1)
        v = np.repeat(v, heads_q // heads_kv, axis=1)
    scale = attrs["scale"] or 1.0 / np.sqrt(q.shape[-1])
    stages = [np.matmul(q, np.swapaxes(k, -1, -2)) * scale]
    if attrs["softcap"] > 0:
        stages.append(attrs["softcap"] * np.tanh(stages[-1] / attrs["softcap"]))
    else:
        stages.append(stages[-1])
    stages.append(stages[-1] + _bias(attrs, stages[-1].shape, mask, nonpad, past))
    with np.errstate(invalid="ignore"):
        peak = np.max(stages[-1], axis=-1, keepdims=True)
        weights = np.exp(stages[-1] - np.where(np.isfinite(peak), peak, 0))
        probabilities = weights / np.sum(weights, axis=-1, keepdims=True)
    probabilities = np.nan_to_num(probabilities, nan=0.0)
    stages.append(probabilities)
    return stages[attrs["qk_matmul_output_mode"]], np.matmul(probabilities, v)


def _bias(attrs: dict, shape: tuple, mask, nonpad, past: int) -> np.ndarray:
    """The additive bias: the mask (booleans as 0/-inf), padded keys, causal and window bounds
    (measured from each query's absolute position: past length or nonpad length - Sq)."""
    batch, _, seq_q, total = shape
    bias = np.zeros(shape, np.float64)
    if mask is not None:
        if mask.dtype == np.bool_:
            mask = np.where(mask, 0.0, -np.inf)
        mask = mask.astype(np.float64)
        if mask.shape[-1] < total:
            padding = [(0, 0)] * (mask.ndim - 1) + [(0, total - mask.shape[-1])]
            mask = np.pad(mask, padding, constant_values=-np.inf)
        bias = bias + mask
    keys = np.arange(total)
    if nonpad is not None:
        lengths = nonpad.astype(np.int64).reshape(batch, 1, 1, 1)
        bias = np.where(keys.reshape(1, 1, 1, -1) >= lengths, -np.inf, bias)
    offsets = np.full((batch, 1, 1, 1), past, np.int64)
    if nonpad is not None and past == 0:
        offsets = nonpad.astype(np.int64).reshape(batch, 1, 1, 1) - seq_q
    positions = np.arange(seq_q).reshape(1, 1, -1, 1) + offsets  # absolute query positions
    keys = keys.reshape(1, 1, 1, -1)
    hidden = np.zeros(bias.shape, bool)
    if attrs["is_causal"]:
        hidden |= keys > positions
    if attrs["left_window_size"] >= 0:
        hidden |= keys < positions - attrs["left_window_size"]
    if attrs["right_window_size"] >= 0:
        hidden |= keys > positions + attrs["right_window_size"]
    return np.where(hidden, -np.inf, bias)


@register
class BitCast(Op):
    """The input's bytes reinterpreted as `destination_type` (same bit width, little endian)."""

    name, version, domain = "BitCast", 1, "vinify"
    attributes = (Attr("destination_type", "type"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        source, target = ctx.element_type(0), ctx.attrs["destination_type"]
        if source.bitwidth != target.bitwidth or target.dtype is None or source.dtype is None:
            raise ctx.error(f"cannot reinterpret {source} as {target}: bit widths differ")
        return [TensorType(target, ctx.shape(0))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(x).view(attrs["destination_type"].dtype).reshape(x.shape)


@register
class CumProd(Op):
    """Cumulative product along an axis (input 1, a scalar); exclusive and reverse as in
    CumSum."""

    name, version, domain = "CumProd", 1, "vinify"
    num_inputs = (2, 2)
    attributes = (Attr("exclusive", "bool", False), Attr("reverse", "bool", False))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, axis: np.ndarray) -> np.ndarray:
        axis = int(np.asarray(axis).reshape(-1)[0]) % max(x.ndim, 1)
        data = np.flip(x, axis) if attrs["reverse"] else x
        if attrs["exclusive"]:
            ones = np.ones_like(np.take(data, [0], axis=axis))
            data = np.concatenate([ones, np.delete(data, -1, axis=axis)], axis=axis)
        result = np.cumprod(data, axis=axis, dtype=x.dtype)
        return np.flip(result, axis) if attrs["reverse"] else result
