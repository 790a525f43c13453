"""LinearAttention (vinify domain: ONNX LinearAttention-27) on any float type.

Every (batch, kv head) pair is one parallel iteration that owns its recurrent state S
[d_k, d_v], kept in the present_state output itself. Per token the state decays (gated rules),
takes the key/value outer product (or the delta-rule correction, which first recalls S^T k into
a scratch row), and every query head of the group reads scale * q^T S. f64 is computed in f64;
f16/bf16 in f32 with the state in an f32 scratch (rounding it every token would drift from the
reference, which keeps it wide), copied rounded into present_state at the end.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    LoweringContext,
    lowers,
    static_shape,
)


def _f(value: float, dtype: str = "f32") -> K.Const:
    return K.Const(float(value), dtype)


def _b(op: str, a: K.Expr, b: K.Expr) -> K.Expr:
    return K.Binary(op, a, b)


def rate_at(buffer: K.Buffer, shape: tuple, heads: int, key_width: int, b, t, h, k) -> K.Expr:
    """A decay or beta input [B, T, W] read per key dimension (W == heads * key_width), per
    head (W == heads) or shared (W == 1), as the reference's _per_key does."""
    width = shape[2]
    row = _b("mul", _b("add", _b("mul", b, K.Const(shape[1])), t), K.Const(width))
    if width == heads * key_width and key_width != 1:
        column = _b("add", _b("mul", h, K.Const(key_width)), k)
    elif width == 1:
        column = K.Const(0)
    else:
        column = h
    return K.widen(K.Load(buffer, _b("add", row, column)))


@lowers("LinearAttention", dtypes=FLOAT_ELEMENT_TYPES)
def lower_linear_attention(ctx: LoweringContext, node: Any) -> None:
    attrs = node.attrs
    batch, steps, q_width = static_shape(node.inputs[0])
    k_width, v_width = static_shape(node.inputs[1])[2], static_shape(node.inputs[2])[2]
    heads_q, heads_kv = attrs["q_num_heads"], attrs["kv_num_heads"]
    d_k, d_v, d_q = k_width // heads_kv, v_width // heads_kv, q_width // heads_q
    group = heads_q // heads_kv
    scale = attrs["scale"] or 1.0 / np.sqrt(q_width / heads_q)
    rest = list(node.inputs[3:])
    past = rest.pop(0) if attrs["has_past_state"] else None
    decay = rest.pop(0) if attrs["has_decay"] else None
    beta = rest.pop(0) if attrs["has_beta"] else None
    query, key, value = (ctx.buffer(v) for v in node.inputs[:3])
    out, present = ctx.output(node.outputs[0]), ctx.output(node.outputs[1])
    ct = K.compute_dtype(out.dtype)
    state = present if ct == out.dtype else ctx.scratch("state", present.size, ct)
    recalled = ctx.scratch("recalled", batch * heads_kv * d_v, ct)
    flat, t, k, v, g = K.Var("pair"), K.Var("t"), K.Var("k"), K.Var("v"), K.Var("g")
    b, h = _b("div", flat, K.Const(heads_kv)), _b("rem", flat, K.Const(heads_kv))
    s_at = _b("add", _b("mul", flat, K.Const(d_k * d_v)), _b("add", _b("mul", k, K.Const(d_v)), v))
    token = _b("add", _b("mul", b, K.Const(steps)), t)
    k_t = K.widen(K.Load(key, _b("add", _b("mul", token, K.Const(k_width)),
                         _b("add", _b("mul", h, K.Const(d_k)), k))))
    v_t = K.widen(K.Load(value, _b("add", _b("mul", token, K.Const(v_width)),
                                   _b("add", _b("mul", h, K.Const(d_v)), v))))
    initial = K.widen(K.Load(ctx.buffer(past), s_at)) if past is not None else _f(0, ct)
    body = [_over_state(k, v, d_k, d_v, [K.Store(state, s_at, initial)])]
    per_token: list[K.Stmt] = []
    rule = attrs["update_rule"]
    if rule in ("gated", "gated_delta") and decay is not None:
        gate = K.Unary("exp", rate_at(ctx.buffer(decay), static_shape(decay), heads_kv, d_k,
                                      b, t, h, k))
        per_token.append(_over_state(k, v, d_k, d_v, [
            K.Store(state, s_at, _b("mul", K.Load(state, s_at), gate))]))
    if rule in ("delta", "gated_delta"):
        r_at = _b("add", _b("mul", flat, K.Const(d_v)), v)
        acc = K.Var("acc", ct)
        per_token.append(K.Loop(v, K.Const(0), K.Const(d_v), (
            K.Let(acc, _f(0, ct)),
            K.Loop(k, K.Const(0), K.Const(d_k), (
                K.Let(acc, K.Fma(K.Load(state, s_at), k_t, acc)),)),
            K.Store(recalled, r_at, acc))))
        rate = (rate_at(ctx.buffer(beta), static_shape(beta), heads_kv, 1, b, t, h, k)
                if beta is not None else _f(1, ct))
        change = _b("mul", _b("mul", rate, k_t), _b("sub", v_t, K.Load(recalled, r_at)))
    else:
        change = _b("mul", k_t, v_t)
    per_token.append(_over_state(k, v, d_k, d_v, [
        K.Store(state, s_at, _b("add", K.Load(state, s_at), change))]))
    per_token.append(_read_out(query, state, out, flat, token, h, g, k, v, s_at,
                               (group, d_k, d_q, d_v, q_width, heads_q, scale)))
    body.append(K.Loop(t, K.Const(0), K.Const(steps), tuple(per_token)))
    if state is not present:
        body.append(_over_state(k, v, d_k, d_v, [
            K.Store(present, s_at, K.narrow(K.Load(state, s_at), present.dtype))]))
    pairs = batch * heads_kv
    ctx.emit("linear_attention", [K.Loop(flat, K.Const(0), K.Const(pairs), tuple(body),
                                         parallel=pairs > 1)], node.describe())


def _over_state(k: K.Var, v: K.Var, d_k: int, d_v: int, body: list) -> K.Stmt:
    return K.Loop(k, K.Const(0), K.Const(d_k), (K.Loop(v, K.Const(0), K.Const(d_v),
                                                        tuple(body)),))


def _read_out(query, state, out, flat, token, h, g, k, v, s_at, sizes) -> K.Stmt:
    """out[b, t, hq * d_v + v] = scale * sum_k q[b, t, hq, k] * S[k, v] for the group's heads."""
    group, d_k, d_q, d_v, q_width, heads_q, scale = sizes
    head = _b("add", _b("mul", h, K.Const(group)), g)
    q_at = _b("add", _b("mul", token, K.Const(q_width)),
              _b("add", _b("mul", head, K.Const(d_q)), k))
    ct = state.dtype
    acc = K.Var("acc", ct)
    target = _b("add", _b("mul", token, K.Const(heads_q * d_v)),
                _b("add", _b("mul", head, K.Const(d_v)), v))
    return K.Loop(g, K.Const(0), K.Const(group), (K.Loop(v, K.Const(0), K.Const(d_v), (
        K.Let(acc, _f(0, ct)),
        K.Loop(k, K.Const(0), K.Const(d_k), (K.Let(acc, K.Fma(K.widen(K.Load(query, q_at)),
                                                               K.Load(state, s_at), acc)),)),
        K.Store(out, target, K.narrow(_b("mul", acc, _f(scale, ct)), out.dtype)))),))
