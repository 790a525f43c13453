"""Internal ops (domain "vinify") for ONNX transformer building blocks without an OpenVINO op:
LinearAttention and FlexAttention. (RotaryEmbedding, CausalConvWithState and TensorScatter are
decomposed into OpenVINO ops by their converters.)"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import DYNAMIC_RANK, PartialShape, TensorType


def _heads(x: np.ndarray, heads: int) -> np.ndarray:
    """[B, T, H*D] -> [B, H, T, D] in f64."""
    batch, steps, width = x.shape
    return x.astype(np.float64).reshape(batch, steps, heads, width // heads).transpose(0, 2, 1, 3)


def _per_key(rate: np.ndarray | None, heads: int, key_width: int) -> np.ndarray | None:
    """A decay or beta input as [B, H, T, D or 1]: per key dimension, per head, or shared."""
    if rate is None:
        return None
    batch, steps, width = rate.shape
    if width == heads * key_width and key_width != 1:
        return _heads(rate, heads)
    expanded = np.broadcast_to(rate.astype(np.float64), (batch, steps, heads))
    return expanded.transpose(0, 2, 1)[..., None]


@register
class LinearAttention(Op):
    """ONNX LinearAttention (opset 27): a recurrent state S [B, H_kv, d_k, d_v] updated per
    token with the `update_rule` (linear, gated, delta, gated_delta), read by the queries
    (o_t = scale * q_t^T S_t). Inputs query, key, value, then past_state, decay, beta when the
    matching `has_*` attribute is set. Outputs (output [B, T, H_q*d_v], present_state)."""

    name, version, domain = "LinearAttention", 1, "vinify"
    num_inputs = (3, 6)
    attributes = (Attr("q_num_heads", "int"), Attr("kv_num_heads", "int"),
                  Attr("scale", "float", 0.0),
                  Attr("update_rule", "str", "gated_delta",
                       ("linear", "gated", "delta", "gated_delta")),
                  Attr("has_past_state", "bool", False), Attr("has_decay", "bool", False),
                  Attr("has_beta", "bool", False))

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 2

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.same_element_type(0, 1, 2)
        q, k, v = ctx.shape(0), ctx.shape(1), ctx.shape(2)
        if not (q.is_static and k.is_static and v.is_static):
            return [TensorType(elem, DYNAMIC_RANK), TensorType(elem, DYNAMIC_RANK)]
        (batch, steps, _), key_width, value_width = q.to_tuple(), k.to_tuple()[2], \
            v.to_tuple()[2]
        heads_q, heads_kv = ctx.attrs["q_num_heads"], ctx.attrs["kv_num_heads"]
        if heads_kv <= 0 or heads_q % heads_kv:
            raise ctx.error("q_num_heads must be a positive multiple of kv_num_heads")
        d_k, d_v = key_width // heads_kv, value_width // heads_kv
        output = PartialShape.of([batch, steps, heads_q * d_v])
        state = PartialShape.of([batch, heads_kv, d_k, d_v])
        return [TensorType(elem, output), TensorType(elem, state)]

    @classmethod
    def evaluate(cls, attrs: dict, query, key, value, *rest):
        rest = list(rest)
        past = rest.pop(0) if attrs["has_past_state"] else None
        decay = rest.pop(0) if attrs["has_decay"] else None
        beta = rest.pop(0) if attrs["has_beta"] else None
        heads_q, heads_kv = attrs["q_num_heads"], attrs["kv_num_heads"]
        q, k, v = _heads(query, heads_q), _heads(key, heads_kv), _heads(value, heads_kv)
        d_k, d_v = k.shape[-1], v.shape[-1]
        scale = attrs["scale"] or 1.0 / np.sqrt(query.shape[-1] / heads_q)
        state = np.zeros(k.shape[:2] + (d_k, d_v)) if past is None else past.astype(np.float64)
        gates, rates = _per_key(decay, heads_kv, d_k), _per_key(beta, heads_kv, 1)
        group = heads_q // heads_kv
        outputs = []
        for t in range(q.shape[2]):
            kt, vt = k[:, :, t], v[:, :, t]
            if attrs["update_rule"] in ("gated", "gated_delta"):
                state = np.exp(gates[:, :, t])[..., None] * state if gates is not None else state
            if attrs["update_rule"] in ("delta", "gated_delta"):
                recalled = np.einsum("bhkv,bhk->bhv", state, kt)
                rate = rates[:, :, t][..., None] if rates is not None else 1.0
                state = state + rate * np.einsum("bhk,bhv->bhkv", kt, vt - recalled)
            else:
                state = state + np.einsum("bhk,bhv->bhkv", kt, vt)
            shared = np.repeat(state, group, axis=1)
            outputs.append(scale * np.einsum("bhk,bhkv->bhv", q[:, :, t], shared))
        output = np.stack(outputs, axis=2)  # [B, Hq, T, dv]
        batch, _, steps, _ = output.shape
        output = output.transpose(0, 2, 1, 3).reshape(batch, steps, heads_q * d_v)
        return output.astype(query.dtype), state.astype(query.dtype)


@register
class FlexAttention(Op):
    """ONNX FlexAttention (ai.onnx.preview): scores = Q K^T * scale, then the optional
    score_mod body, softmax, the optional prob_mod body, and Y = probs V. Bodies (in that order,
    as `has_*` say) take and give one [B, Hq, L, S] tensor of the softmax precision (f64 for
    f64 inputs, f32 otherwise). K/V heads are shared by contiguous groups of query heads."""

    name, version, domain = "FlexAttention", 1, "vinify"
    num_inputs = (3, 3)
    attributes = (Attr("scale", "float", 0.0), Attr("has_score_mod", "bool", False),
                  Attr("has_prob_mod", "bool", False))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        from vinify.ops.control_flow import bind_node_bodies

        bind_node_bodies(ctx)
        elem = ctx.same_element_type(0, 1, 2)
        q, v = ctx.shape(0), ctx.shape(2)
        if not (q.rank_is_static and v.rank_is_static):
            return [TensorType(elem, DYNAMIC_RANK)]
        if q.rank != 4 or v.rank != 4:
            raise ctx.error(f"Q, K and V must be rank 4, got {q} and {v}")
        return [TensorType(elem, PartialShape(q.dims[:3] + v.dims[3:]))]

    @classmethod
    def evaluate(cls, attrs: dict, q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
        from vinify.ops.control_flow import run_body

        bodies = list(getattr(cls, "body_graphs", ()))
        precision = np.float64 if q.dtype == np.float64 else np.float32
        group = q.shape[1] // k.shape[1]
        k = np.repeat(k.astype(np.float64), group, axis=1)
        v = np.repeat(v.astype(np.float64), group, axis=1)
        scale = attrs["scale"] or 1.0 / np.sqrt(q.shape[-1])
        scores = (np.matmul(q.astype(np.float64), np.swapaxes(k, -1, -2)) * scale)
        scores = scores.astype(precision)
        if attrs["has_score_mod"]:
            scores = run_body(bodies.pop(0), [scores])[0]
        wide = scores.astype(np.float64)
        with np.errstate(invalid="ignore"):
            weights = np.exp(wide - np.max(wide, axis=-1, keepdims=True))
            probabilities = (weights / np.sum(weights, axis=-1, keepdims=True)).astype(precision)
        if attrs["has_prob_mod"]:
            probabilities = run_body(bodies.pop(0), [probabilities])[0]
        return np.matmul(probabilities.astype(np.float64), v).astype(q.dtype)


