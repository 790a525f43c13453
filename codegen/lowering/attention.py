"""The fused Attention op (vinify domain: ONNX Attention-23 semantics), as scalar loops.

present_key/present_value are written first ([batch, kv heads, past + sequence, head size]:
the past cache, then the new keys in head-major order), so the score loop reads one layout
whether the inputs were 3-D or 4-D. Each query row is one parallel iteration: scores (scaled,
softcapped, plus the mask and the causal/window/padding bounds as -inf), a softmax whose
fully-masked rows give 0 (as the reference's nan_to_num does), then the weighted sum of values.
The qk_matmul_output output receives the scores at the stage its mode names. Any float type:
f64 is computed in f64, f16/bf16 in f32 (scores kept in an f32 scratch), rounded at the stores.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    LoweringContext,
    lowers,
    static_shape,
)
from vinify.codegen.lowering.elementwise import broadcast_strides
from vinify.errors import DeviceError

NEG_INF = float("-inf")


@dataclass
class AttentionShape:
    batch: int
    heads_q: int
    heads_kv: int
    seq_q: int
    seq_kv: int
    past: int
    head_k: int
    head_v: int
    three_d: bool
    compute: str = "f32"

    @property
    def total(self) -> int:
        return self.past + self.seq_kv


def attention_shape(node: Any, past_shape: tuple | None) -> AttentionShape:
    q, k, v = (static_shape(node.inputs[i]) for i in range(3))
    past = past_shape[2] if past_shape else 0
    compute = K.compute_dtype(node.outputs[0].element_type.name)
    if len(q) == 4:
        return AttentionShape(q[0], q[1], k[1], q[2], k[2], past, k[3], v[3], False, compute)
    heads_q, heads_kv = node.attrs["q_num_heads"], node.attrs["kv_num_heads"]
    return AttentionShape(q[0], heads_q, heads_kv, q[1], k[1], past, k[2] // heads_kv,
                          v[2] // heads_kv, True, compute)


def head_strides(shape: AttentionShape, heads: int, seq: int, size: int) -> list[int]:
    """Element strides of (batch, head, position, feature) in a 3-D or 4-D input."""
    if shape.three_d:
        return [seq * heads * size, size, heads * size, 1]
    return [heads * seq * size, seq * size, size, 1]


def write_present(ctx: LoweringContext, node: Any, shape: AttentionShape, index: int,
                  past: Any, size: int) -> K.Buffer:
    """present = concat(past, new) along the sequence axis, in [B, Hkv, T, size]."""
    out = ctx.output(node.outputs[1 + index])
    strides = [shape.heads_kv * shape.total * size, shape.total * size, size, 1]
    if past is not None and shape.past:
        part = (shape.batch, shape.heads_kv, shape.past, size)
        _copy_into(ctx, ctx.buffer(past), out, part, broadcast_strides(part, part), strides, 0,
                   node.describe())
    part = (shape.batch, shape.heads_kv, shape.seq_kv, size)
    source = head_strides(shape, shape.heads_kv, shape.seq_kv, size)
    _copy_into(ctx, ctx.buffer(node.inputs[1 + index]), out, part, source, strides,
               shape.past * size, node.describe())
    return out


def _copy_into(ctx, data, out, extents, read_strides, write_strides, write_offset, source):
    variables = [K.Var(f"i{d}") for d in range(len(extents))]
    target = K.Binary("add", K.Const(write_offset), K.index_of(variables, write_strides))
    body = [K.Store(out, target, K.Load(data, K.index_of(variables, read_strides)))]
    ctx.emit("present", K.loop_nest(variables, list(extents), body), source)


@dataclass
class Row:
    """Per query row: the coordinates and the loop variables shared by the phases."""

    b: K.Var
    h: K.Var
    i: K.Var
    j: K.Var
    row: K.Expr
    position: K.Expr


def optional_inputs(node: Any) -> tuple:
    rest = list(node.inputs[3:])
    mask = rest.pop(0) if node.attrs["has_attn_mask"] else None
    past_k, past_v = (rest.pop(0), rest.pop(0)) if node.attrs["has_past"] else (None, None)
    nonpad = rest.pop(0) if node.attrs["has_nonpad_kv_seqlen"] else None
    return mask, past_k, past_v, nonpad


@lowers("Attention", dtypes=FLOAT_ELEMENT_TYPES)
def lower_attention(ctx: LoweringContext, node: Any) -> None:
    mask, past_k, past_v, nonpad = optional_inputs(node)
    shape = attention_shape(node, static_shape(past_k) if past_k is not None else None)
    keys = write_present(ctx, node, shape, 0, past_k, shape.head_k)
    values = write_present(ctx, node, shape, 1, past_v, shape.head_v)
    y, scores_out = ctx.output(node.outputs[0]), ctx.output(node.outputs[3])
    work = ctx.scratch("attention_scores", shape.batch * shape.heads_q * shape.seq_q * shape.total,
                       shape.compute)
    flat = K.Var("row")
    b = K.Binary("div", flat, K.Const(shape.heads_q * shape.seq_q))
    h = K.Binary("rem", K.Binary("div", flat, K.Const(shape.seq_q)), K.Const(shape.heads_q))
    i = K.Binary("rem", flat, K.Const(shape.seq_q))
    nonpad_length = None if nonpad is None else K.Cast(K.Load(ctx.buffer(nonpad), b), "i64")
    offset: K.Expr = K.Const(shape.past)
    if nonpad_length is not None and shape.past == 0:
        offset = K.Binary("sub", nonpad_length, K.Const(shape.seq_q))
    row = Row(K.Var("b"), K.Var("h"), K.Var("i"), K.Var("j"),
              K.Binary("mul", flat, K.Const(shape.total)), K.Binary("add", K.Var("i"), offset))
    body = [K.Let(row.b, b), K.Let(row.h, h), K.Let(row.i, i)]
    body += score_phase(ctx, node, shape, row, keys, work, scores_out, mask, nonpad_length)
    body += softmax_phase(node, shape, row, work, scores_out)
    body += output_phase(ctx, node, shape, row, values, work, y)
    rows = shape.batch * shape.heads_q * shape.seq_q
    ctx.emit("attention", [K.Loop(flat, K.Const(0), K.Const(rows), tuple(body),
                                  parallel=rows > 1)], node.describe())


def _f(value: float, dtype: str) -> K.Const:
    return K.Const(float(value), dtype)


def _query(ctx, node, shape: AttentionShape, row: Row, d: K.Var) -> K.Expr:
    strides = head_strides(shape, shape.heads_q, shape.seq_q, shape.head_k)
    return K.widen(K.Load(ctx.buffer(node.inputs[0]),
                          K.index_of([row.b, row.h, row.i, d], strides)))


def _kv_head(shape: AttentionShape, row: Row) -> K.Expr:
    return K.Binary("div", row.h, K.Const(shape.heads_q // max(shape.heads_kv, 1)))


def score_phase(ctx, node, shape, row, keys, work, scores_out, mask, nonpad_length):
    ct = shape.compute
    d, dot, score = K.Var("d"), K.Var("dot", ct), K.Var("score", ct)
    key_at = K.index_of([row.b, _kv_head(shape, row), row.j, d],
                        [shape.heads_kv * shape.total * shape.head_k, shape.total * shape.head_k,
                         shape.head_k, 1])
    scale = node.attrs["scale"] or 1.0 / np.sqrt(shape.head_k)
    softcap = node.attrs["softcap"]
    statements = [
        K.Let(dot, _f(0.0, ct)),
        K.Loop(d, K.Const(0), K.Const(shape.head_k), (K.Let(dot, K.Fma(
            _query(ctx, node, shape, row, d), K.widen(K.Load(keys, key_at)), dot)),)),
        K.Let(score, K.Binary("mul", dot, _f(scale, ct)))]
    mode = node.attrs["qk_matmul_output_mode"]
    at = K.Binary("add", row.row, row.j)
    if mode == 0:
        statements.append(K.Store(scores_out, at, K.narrow(score, scores_out.dtype)))
    if softcap > 0:
        statements.append(K.Let(score, K.Binary("mul", _f(softcap, ct), K.Unary(
            "tanh", K.Binary("div", score, _f(softcap, ct))))))
    if mode == 1:
        statements.append(K.Store(scores_out, at, K.narrow(score, scores_out.dtype)))
    if mask is not None:
        statements.append(K.Let(score, K.Binary("add", score, mask_value(ctx, shape, row, mask))))
    hidden = hidden_condition(node, row, nonpad_length)
    if hidden is not None:
        statements.append(K.Let(score, K.Select(hidden, _f(NEG_INF, ct), score)))
    if mode == 2:
        statements.append(K.Store(scores_out, at, K.narrow(score, scores_out.dtype)))
    statements.append(K.Store(work, at, score))
    return [K.Loop(row.j, K.Const(0), K.Const(shape.total), tuple(statements))]


def mask_value(ctx, shape: AttentionShape, row: Row, mask: Any) -> K.Expr:
    """The additive mask at (b, h, i, j): booleans give 0 or -inf; keys past its last axis
    give -inf."""
    mask_shape = static_shape(mask)
    width = mask_shape[-1]
    full = (shape.batch, shape.heads_q, shape.seq_q, width)
    strides = broadcast_strides(mask_shape, full)
    safe_j = K.Select(K.Binary("lt", row.j, K.Const(width)), row.j, K.Const(0))
    ct = shape.compute
    value = K.Load(ctx.buffer(mask), K.index_of([row.b, row.h, row.i, safe_j], strides))
    if mask.element_type.name == "boolean":
        value = K.Select(K.Binary("ne", value, K.Const(0, "u8")), _f(0.0, ct), _f(NEG_INF, ct))
    elif K.is_float(value.dtype):
        value = K.widen(value)
        value = value if value.dtype == ct else K.Cast(value, ct)
    else:
        raise DeviceError(f"CPU: attention mask of type {mask.element_type.name}")
    return K.Select(K.Binary("lt", row.j, K.Const(width)), value, _f(NEG_INF, ct))


def hidden_condition(node: Any, row: Row, nonpad_length: K.Expr | None) -> K.Expr | None:
    conditions = []
    if nonpad_length is not None:
        conditions.append(K.Binary("ge", row.j, nonpad_length))
    if node.attrs["is_causal"]:
        conditions.append(K.Binary("gt", row.j, row.position))
    left, right = node.attrs["left_window_size"], node.attrs["right_window_size"]
    if left >= 0:
        conditions.append(K.Binary("lt", row.j, K.Binary("sub", row.position, K.Const(left))))
    if right >= 0:
        conditions.append(K.Binary("gt", row.j, K.Binary("add", row.position, K.Const(right))))
    if not conditions:
        return None
    result = conditions[0]
    for condition in conditions[1:]:
        result = K.Binary("or", result, condition)
    return result


def softmax_phase(node, shape: AttentionShape, row: Row, work, scores_out) -> list[K.Stmt]:
    ct = shape.compute
    peak, total = K.Var("peak", ct), K.Var("total", ct)
    at = K.Binary("add", row.row, row.j)
    value = K.Load(work, at)
    finite_peak = K.Select(K.Binary("eq", peak, _f(NEG_INF, ct)), _f(0.0, ct), peak)
    exp = K.Unary("exp", K.Binary("sub", value, finite_peak))
    probability = K.Select(K.Binary("gt", total, _f(0.0, ct)), K.Binary("div", value, total),
                           _f(0.0, ct))
    p = K.Var("p", ct)  # named: a renderer may evaluate an expression again after the store
    normalize = [K.Let(p, probability), K.Store(work, at, p)]
    if node.attrs["qk_matmul_output_mode"] == 3:
        normalize.append(K.Store(scores_out, at, K.narrow(p, scores_out.dtype)))
    return [
        K.Let(peak, _f(NEG_INF, ct)),
        K.Loop(row.j, K.Const(0), K.Const(shape.total),
               (K.Let(peak, K.Binary("max", peak, value)),)),
        K.Let(total, _f(0.0, ct)),
        K.Loop(row.j, K.Const(0), K.Const(shape.total),
               (K.Store(work, at, exp), K.Let(total, K.Binary("add", total, K.Load(work, at))))),
        K.Loop(row.j, K.Const(0), K.Const(shape.total), tuple(normalize)),
    ]


def output_phase(ctx, node, shape: AttentionShape, row: Row, values, work, y) -> list[K.Stmt]:
    e, acc = K.Var("e"), K.Var("acc", shape.compute)
    value_at = K.index_of([row.b, _kv_head(shape, row), row.j, e],
                          [shape.heads_kv * shape.total * shape.head_v,
                           shape.total * shape.head_v, shape.head_v, 1])
    if shape.three_d:
        y_strides = [shape.seq_q * shape.heads_q * shape.head_v, shape.head_v,
                     shape.heads_q * shape.head_v, 1]
    else:
        y_strides = [shape.heads_q * shape.seq_q * shape.head_v, shape.seq_q * shape.head_v,
                     shape.head_v, 1]
    weight = K.Load(work, K.Binary("add", row.row, row.j))
    return [K.Loop(e, K.Const(0), K.Const(shape.head_v), (
        K.Let(acc, _f(0.0, shape.compute)),
        K.Loop(row.j, K.Const(0), K.Const(shape.total),
               (K.Let(acc, K.Fma(weight, K.widen(K.Load(values, value_at)), acc)),)),
        K.Store(y, K.index_of([row.b, row.h, row.i, e], y_strides), K.narrow(acc, y.dtype))))]
