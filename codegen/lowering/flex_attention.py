"""FlexAttention (vinify domain: ONNX FlexAttention, ai.onnx.preview) on any float type.

Three kernels around the optional bodies: the scaled scores Q K^T into a [B, Hq, L, S] buffer,
then score_mod's body lowered over that buffer with its own lowerings, the row softmax into a
second buffer, prob_mod's body over it, and finally Y = P V. A row whose scores are all -inf
gives NaN, as the reference's plain softmax does. The scores and probabilities are kept in the
compute type (f64 for f64, f32 otherwise), which is also the type the bodies see, as in the
reference; Q, K and V are widened at the loads and Y rounded at its store.
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
from vinify.codegen.lowering.tensor_iterator import check_body, lower_body, specialized_body


def _f(value: float, dtype: str) -> K.Const:
    return K.Const(float(value), dtype)


def _b(op: str, a: K.Expr, b: K.Expr) -> K.Expr:
    return K.Binary(op, a, b)


def _rows(shape: tuple) -> int:
    return int(np.prod(shape[:3], dtype=np.int64))


def apply_body(ctx: LoweringContext, node: Any, body: Any, buffer: K.Buffer,
               shape: tuple) -> K.Buffer:
    """The body's result buffer with its one parameter ([B, Hq, L, S]) bound to `buffer`."""
    body = specialized_body(body, [(buffer.dtype, shape)])
    check_body(ctx, node, body)
    ctx.bind(body.inputs[0], buffer)
    lower_body(ctx, body)
    return ctx.buffer(body.outputs[0])


def emit_scores(ctx, node, q_shape, k_shape, scores: K.Buffer) -> None:
    batch, heads_q, length, depth = q_shape
    heads_kv, keys = k_shape[1], k_shape[2]
    group = heads_q // heads_kv
    scale = node.attrs["scale"] or 1.0 / np.sqrt(depth)
    q, k = ctx.buffer(node.inputs[0]), ctx.buffer(node.inputs[1])
    row, j, d, acc = K.Var("row"), K.Var("j"), K.Var("d"), K.Var("acc", scores.dtype)
    b, h = _b("div", row, K.Const(heads_q * length)), _b("rem", _b("div", row, K.Const(length)),
                                                          K.Const(heads_q))
    kv_row = _b("add", _b("mul", b, K.Const(heads_kv)), _b("div", h, K.Const(group)))
    q_at = _b("add", _b("mul", row, K.Const(depth)), d)
    k_at = _b("add", _b("mul", _b("add", _b("mul", kv_row, K.Const(keys)), j), K.Const(depth)), d)
    body = (K.Loop(j, K.Const(0), K.Const(keys), (
        K.Let(acc, _f(0, acc.dtype)),
        K.Loop(d, K.Const(0), K.Const(depth), (K.Let(acc, K.Fma(
            _read(q, q_at, acc.dtype), _read(k, k_at, acc.dtype), acc)),)),
        K.Store(scores, _b("add", _b("mul", row, K.Const(keys)), j),
                _b("mul", acc, _f(scale, acc.dtype))))),)
    rows = _rows(q_shape)
    ctx.emit("flex_scores", [K.Loop(row, K.Const(0), K.Const(rows), body, parallel=rows > 1)],
             node.describe())


def emit_softmax(ctx, node, rows: int, keys: int, scores: K.Buffer, probs: K.Buffer) -> None:
    row, j = K.Var("row"), K.Var("j")
    ct = probs.dtype
    peak, total = K.Var("peak", ct), K.Var("total", ct)
    at = _b("add", _b("mul", row, K.Const(keys)), j)
    exp = K.Unary("exp", _b("sub", K.Load(scores, at), peak))
    score, prob = K.Load(scores, at), K.Load(probs, at)
    body = (K.Let(peak, _f(float("-inf"), ct)),
            K.Loop(j, K.Const(0), K.Const(keys), (K.Let(peak, _b("max", peak, score)),)),
            K.Let(total, _f(0, ct)),
            K.Loop(j, K.Const(0), K.Const(keys), (K.Store(probs, at, exp),
                                                   K.Let(total, _b("add", total, prob)))),
            K.Loop(j, K.Const(0), K.Const(keys), (K.Store(probs, at, _b("div", prob, total)),)))
    ctx.emit("flex_softmax", [K.Loop(row, K.Const(0), K.Const(rows), body, parallel=rows > 1)],
             node.describe())


def emit_output(ctx, node, q_shape, v_shape, probs: K.Buffer) -> None:
    batch, heads_q, length, _ = q_shape
    heads_kv, keys, width = v_shape[1], v_shape[2], v_shape[3]
    group = heads_q // heads_kv
    v, y = ctx.buffer(node.inputs[2]), ctx.output(node.outputs[0])
    row, j, e, acc = K.Var("row"), K.Var("j"), K.Var("e"), K.Var("acc", probs.dtype)
    b, h = _b("div", row, K.Const(heads_q * length)), _b("rem", _b("div", row, K.Const(length)),
                                                          K.Const(heads_q))
    kv_row = _b("add", _b("mul", b, K.Const(heads_kv)), _b("div", h, K.Const(group)))
    v_at = _b("add", _b("mul", _b("add", _b("mul", kv_row, K.Const(keys)), j), K.Const(width)), e)
    p_at = _b("add", _b("mul", row, K.Const(keys)), j)
    body = (K.Loop(e, K.Const(0), K.Const(width), (
        K.Let(acc, _f(0, acc.dtype)),
        K.Loop(j, K.Const(0), K.Const(keys), (K.Let(acc, K.Fma(
            K.Load(probs, p_at), _read(v, v_at, acc.dtype), acc)),)),
        K.Store(y, _b("add", _b("mul", row, K.Const(width)), e), K.narrow(acc, y.dtype)))),)
    rows = _rows(q_shape)
    ctx.emit("flex_output", [K.Loop(row, K.Const(0), K.Const(rows), body, parallel=rows > 1)],
             node.describe())


def _read(buffer: K.Buffer, index: K.Expr, dtype: str) -> K.Expr:
    """An input element in the compute type `dtype`."""
    value = K.widen(K.Load(buffer, index))
    return value if value.dtype == dtype else K.Cast(value, dtype)


@lowers("FlexAttention", dtypes=FLOAT_ELEMENT_TYPES)
def lower_flex_attention(ctx: LoweringContext, node: Any) -> None:
    compute = "f64" if node.inputs[0].element_type.name == "f64" else "f32"
    q_shape, k_shape, v_shape = (static_shape(node.inputs[i]) for i in range(3))
    rows, keys = _rows(q_shape), k_shape[2]
    bodies = list(node.bodies)
    scores = ctx.scratch("flex_scores", rows * keys, compute)
    emit_scores(ctx, node, q_shape, k_shape, scores)
    if node.attrs["has_score_mod"]:
        scores = apply_body(ctx, node, bodies.pop(0), scores, q_shape[:3] + (keys,))
    probs = ctx.scratch("flex_probs", rows * keys, compute)
    emit_softmax(ctx, node, rows, keys, scores, probs)
    if node.attrs["has_prob_mod"]:
        probs = apply_body(ctx, node, bodies.pop(0), probs, q_shape[:3] + (keys,))
    emit_output(ctx, node, q_shape, v_shape, probs)
