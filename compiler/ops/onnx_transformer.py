"""Internal ops (domain "vinify") for ONNX transformer building blocks without an OpenVINO op:
RotaryEmbedding (RoPE)."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import DYNAMIC_RANK, PartialShape, TensorType


@register
class RotaryEmbedding(Op):
    """Rotates pairs of features by position-dependent angles (ONNX RotaryEmbedding, opset 23).

    Input X is [batch, heads, sequence, head] or [batch, sequence, heads * head] (then
    `num_heads` is needed); the caches hold cos/sin per (position or batch, sequence) and pair.
    Pairs are the two halves of the rotated part, or neighbours when `interleaved`.
    """

    name, version, domain = "RotaryEmbedding", 1, "vinify"
    num_inputs = (3, 4)
    attributes = (Attr("interleaved", "bool", False), Attr("num_heads", "int", 0),
                  Attr("rotary_embedding_dim", "int", 0))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        shape = ctx.shape(0)
        if shape.rank_is_static and shape.rank not in (3, 4):
            raise ctx.error(f"X must be 3-D or 4-D, got {shape}")
        if shape.rank_is_static and shape.rank == 3 and ctx.attrs["num_heads"] <= 0:
            raise ctx.error("a 3-D X needs num_heads")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, cos: np.ndarray, sin: np.ndarray,
                 positions: np.ndarray | None = None) -> np.ndarray:
        if x.ndim == 4:  # -> [batch, sequence, heads, head]
            work = x.transpose(0, 2, 1, 3)
        else:
            work = x.reshape(x.shape[0], x.shape[1], attrs["num_heads"], -1)
        if positions is not None:
            cos, sin = cos[positions], sin[positions]
        width = attrs["rotary_embedding_dim"] or work.shape[-1]
        cos, sin = cos[:, :, None, :], sin[:, :, None, :]
        rotated = work[..., :width].astype(np.float64)
        if attrs["interleaved"]:
            first, second = rotated[..., 0::2], rotated[..., 1::2]
        else:
            first, second = rotated[..., :width // 2], rotated[..., width // 2:]
        real = cos * first - sin * second
        imaginary = sin * first + cos * second
        if attrs["interleaved"]:
            turned = np.stack([real, imaginary], axis=-1).reshape(rotated.shape)
        else:
            turned = np.concatenate([real, imaginary], axis=-1)
        result = np.concatenate([turned.astype(x.dtype), work[..., width:]], axis=-1)
        if x.ndim == 4:
            return result.transpose(0, 2, 1, 3)
        return result.reshape(x.shape)


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
class CausalConvWithState(Op):
    """ONNX CausalConvWithState (opset 27): depthwise causal 1-D convolution over
    (past_state ++ input), optional bias and SiLU; outputs (output, the last k-1 positions).
    Inputs input [B, C, L], weight [C, 1, k], then bias and past_state per `has_*`."""

    name, version, domain = "CausalConvWithState", 1, "vinify"
    num_inputs = (2, 4)
    attributes = (Attr("activation", "str", "none", ("none", "silu", "swish")),
                  Attr("has_bias", "bool", False), Attr("has_past_state", "bool", False))

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 2

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.element_type(0)
        x, w = ctx.shape(0), ctx.shape(1)
        if not (x.rank_is_static and w.is_static):
            return [ctx.input_types[0], TensorType(elem, DYNAMIC_RANK)]
        kernel = w.to_tuple()[2]
        state = PartialShape((x.dims[0], x.dims[1], PartialShape.of([kernel - 1]).dims[0]))
        return [ctx.input_types[0], TensorType(elem, state)]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, weight: np.ndarray, *rest):
        rest = list(rest)
        bias = rest.pop(0) if attrs["has_bias"] else None
        past = rest.pop(0) if attrs["has_past_state"] else None
        batch, channels, length = x.shape
        kernel = weight.shape[2]
        if past is None:
            past = np.zeros((batch, channels, kernel - 1), x.dtype)
        padded = np.concatenate([past, x], axis=2).astype(np.float64)
        taps = weight[:, 0, :].astype(np.float64)  # [C, k]
        output = np.zeros((batch, channels, length))
        for tap in range(kernel):
            output += taps[None, :, tap, None] * padded[:, :, tap:tap + length]
        if bias is not None:
            output += bias.astype(np.float64)[None, :, None]
        if attrs["activation"] in ("silu", "swish"):
            output = output / (1.0 + np.exp(-output))
        state = padded[:, :, padded.shape[2] - (kernel - 1):]
        return output.astype(x.dtype), state.astype(x.dtype)


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


@register
class TensorScatter(Op):
    """ONNX TensorScatter (opset 24): writes `update` into a copy of the cache along `axis`,
    starting per batch at write_indices (0 without them), wrapping around in circular mode."""

    name, version, domain = "TensorScatter", 1, "vinify"
    num_inputs = (2, 3)
    attributes = (Attr("axis", "int", -2), Attr("mode", "str", "linear", ("linear", "circular")))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        ctx.same_element_type(0, 1)
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, cache: np.ndarray, update: np.ndarray,
                 write_indices: np.ndarray | None = None) -> np.ndarray:
        axis = attrs["axis"] % cache.ndim
        length, capacity = update.shape[axis], cache.shape[axis]
        starts = np.zeros(cache.shape[0], np.int64) if write_indices is None else \
            write_indices.astype(np.int64).reshape(-1)
        result = cache.copy()
        for batch in range(cache.shape[0]):
            positions = starts[batch] + np.arange(length)
            if attrs["mode"] == "circular":
                positions = positions % capacity
            if positions.size and (positions.max() >= capacity or positions.min() < 0):
                raise IndexError(f"batch {batch}: writes {positions.min()}..{positions.max()} "
                                 f"outside the cache length {capacity}")
            target = np.moveaxis(result[batch], axis - 1, 0)
            target[positions] = np.moveaxis(update[batch], axis - 1, 0)
        return result
