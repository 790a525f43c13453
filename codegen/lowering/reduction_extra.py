"""ReduceMin/Prod/L1/L2/LogicalAnd/LogicalOr over any constant set of axes, CumSum/CumProd,
Hardmax and TopK,
on every element type the kernel IR carries.

These are the reductions the vectorized reduction.py does not cover. They favour generality
over speed: one scalar accumulator per output element, loops over the reduced axes in any
order, so axes need not be contiguous. TopK selects its k elements by k scans (each finds the
best element after the previous one in (value, index) order, so ties keep the lower index first,
as the reference does); sort="index" ranks each element instead.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    ALL_ELEMENT_TYPES,
    NUMPY_DTYPES,
    LoweringContext,
    accept_element_types,
    lowers,
    static_shape,
)
from vinify.errors import DeviceError

REDUCTIONS = ("ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogicalAnd",
              "ReduceLogicalOr")
PARALLEL_MIN_ELEMENTS = 16384


def _size(dims) -> int:
    return int(np.prod(dims, dtype=np.int64))


def _strides(shape: tuple) -> list[int]:
    return [_size(shape[d + 1:]) for d in range(len(shape))]


def _number(value: float, dtype: str, lanes: int = 1) -> K.Const:
    if K.is_float(dtype):
        return K.Const(float(value), dtype, lanes)
    if value in (float("inf"), float("-inf")):
        info = np.iinfo(NUMPY_DTYPES[dtype])
        value = info.max if value > 0 else info.min
    return K.Const(int(value), dtype, lanes)


def reduction_rule(name: str, dtype: str):
    """(identity, step(acc, x), finish(acc)) of a reduction."""
    if name == "ReduceMin":
        return _number(float("inf"), dtype), lambda a, x: K.Binary("min", a, x), None
    if name == "ReduceProd":
        return _number(1, dtype), lambda a, x: K.Binary("mul", a, x), None
    if name == "ReduceL1":
        return _number(0, dtype), lambda a, x: K.Binary("add", a, K.Unary("abs", x)), None
    if name == "ReduceL2":
        return (_number(0, dtype), lambda a, x: K.Fma(x, x, a),
                lambda a: K.Unary("sqrt", a))
    truth = lambda x: K.Cast(K.Binary("ne", x, _number(0, x.dtype)), "u8")  # noqa: E731
    if name == "ReduceLogicalAnd":
        return _number(1, dtype), lambda a, x: K.Binary("and", a, truth(x)), None
    return _number(0, dtype), lambda a, x: K.Binary("or", a, truth(x)), None


def _parallel_nest(variables, extents, body) -> list[K.Stmt]:
    parallel = bool(extents) and extents[0] > 1 and _size(extents) >= PARALLEL_MIN_ELEMENTS
    return K.loop_nest(variables, extents, body, parallel)


@lowers(*REDUCTIONS)
def lower_reduction(ctx: LoweringContext, node: Any) -> None:
    shape = static_shape(node.inputs[0])
    axes = ctx.constant(node.inputs[1])
    if axes is None:
        raise DeviceError(f"CPU: {node.describe()}: reduction axes must be constant")
    rank = max(len(shape), 1)
    reduced = sorted({int(a) % rank for a in np.asarray(axes).reshape(-1)})
    kept = [d for d in range(len(shape)) if d not in reduced]
    x, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    identity, step, finish = reduction_rule(node.op.name, out.dtype)
    strides = _strides(shape)
    coords = {d: K.Var(f"i{d}") for d in range(len(shape))}
    acc = K.Var("acc", out.dtype)
    source = K.index_of([coords[d] for d in range(len(shape))], strides)
    inner = K.loop_nest([coords[d] for d in reduced], [shape[d] for d in reduced],
                        [K.Let(acc, step(acc, K.Load(x, source)))])
    target = K.index_of([coords[d] for d in kept], _strides(tuple(shape[d] for d in kept)))
    result = finish(acc) if finish else acc
    body = [K.Let(acc, identity), *inner, K.Store(out, target, result)]
    kept_vars, kept_extents = [coords[d] for d in kept], [shape[d] for d in kept]
    ctx.emit("reduce", _parallel_nest(kept_vars, kept_extents, body) if kept else body,
             node.describe())


def _outer_axis_inner(shape: tuple, axis: int) -> tuple[int, int, int]:
    return _size(shape[:axis]), shape[axis], _size(shape[axis + 1:])


def _axis_sizes(ctx: LoweringContext, node: Any, shape: tuple) -> tuple[K.Expr, ...]:
    """(outer, length, inner) of the scan axis: constants, or picked at run time from the
    table of every axis when the axis input is not known at compile time."""
    rank = max(len(shape), 1)
    if len(node.inputs) < 2:
        return tuple(K.Const(n) for n in _outer_axis_inner(shape, 0))
    array = ctx.constant(node.inputs[1])
    if array is not None:
        axis = int(np.asarray(array).reshape(-1)[0]) % rank
        return tuple(K.Const(n) for n in _outer_axis_inner(shape, axis))
    raw = K.Cast(K.Load(ctx.buffer(node.inputs[1]), K.Const(0)), "i64")
    axis = K.Select(K.Binary("lt", raw, K.Const(0)), K.Binary("add", raw, K.Const(rank)), raw)
    sizes = []
    for part in range(3):
        picked: K.Expr = K.Const(_outer_axis_inner(shape, 0)[part])
        for a in range(1, len(shape)):
            picked = K.Select(K.Binary("eq", axis, K.Const(a)),
                              K.Const(_outer_axis_inner(shape, a)[part]), picked)
        sizes.append(picked)
    return tuple(sizes)


@lowers("CumSum", "CumProd")
def lower_cumulative(ctx: LoweringContext, node: Any) -> None:
    shape = static_shape(node.inputs[0])
    x, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    if not shape:
        _copy_scalar(ctx, node, x, out)
        return
    if 0 in shape:
        return
    outer, length, inner = _axis_sizes(ctx, node, shape)
    o, i, r = K.Var("o"), K.Var("i"), K.Var("r")
    position = (K.Binary("sub", K.Binary("sub", length, K.Const(1)), r) if node.attrs["reverse"]
                else r)
    at = K.Binary("add", K.Binary("mul", K.Binary(
        "add", K.Binary("mul", o, length), position), inner), i)
    total = K.Var("total", out.dtype)
    product = node.op.name == "CumProd"
    combined = K.Binary("mul" if product else "add", total, K.Load(x, at))
    if node.attrs["exclusive"]:
        scan = (K.Store(out, at, total), K.Let(total, combined))
    else:
        scan = (K.Let(total, combined), K.Store(out, at, total))
    body = (K.Let(total, _number(1 if product else 0, out.dtype)),
            K.Loop(r, K.Const(0), length, scan))
    nest = K.Loop(o, K.Const(0), outer, (K.Loop(i, K.Const(0), inner, body),))
    ctx.emit("cumulative", [nest], node.describe())


def _copy_scalar(ctx: LoweringContext, node: Any, x: K.Buffer, out: K.Buffer) -> None:
    """A 0-d scan is its input (exclusive: the identity)."""
    identity = _number(1 if node.op.name == "CumProd" else 0, out.dtype)
    value = identity if node.attrs["exclusive"] else K.Load(x, K.Const(0))
    ctx.emit("cumulative", [K.Store(out, K.Const(0), value)], node.describe())


@lowers("Hardmax")
def lower_hardmax(ctx: LoweringContext, node: Any) -> None:
    """1 at the first maximum of each row along the axis, 0 elsewhere."""
    shape = static_shape(node.inputs[0])
    outer, length, inner = _outer_axis_inner(shape, node.attrs["axis"] % max(len(shape), 1))
    x, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    if outer * length * inner == 0:
        return
    o, i, r = K.Var("o"), K.Var("i"), K.Var("r")
    at = K.Binary("add", K.Binary("mul", K.Binary(
        "add", K.Binary("mul", o, K.Const(length)), r), K.Const(inner)), i)
    best_v, best_i = K.Var("best_v", x.dtype), K.Var("best_i")
    value = K.Load(x, at)
    better = K.Var("better", "i1")
    winner = K.Select(K.Binary("eq", r, best_i), _number(1, out.dtype), _number(0, out.dtype))
    body = [K.Let(best_v, _number(float("-inf"), x.dtype)), K.Let(best_i, K.Const(-1)),
            K.Loop(r, K.Const(0), K.Const(length), (
                K.Let(better, K.Binary("or", K.Binary("lt", best_i, K.Const(0)),
                                       K.Binary("gt", value, best_v))),
                K.Let(best_v, K.Select(better, value, best_v)),
                K.Let(best_i, K.Select(better, r, best_i)))),
            K.Loop(r, K.Const(0), K.Const(length), (K.Store(out, at, winner),))]
    ctx.emit("hardmax", _parallel_nest([o, i], [outer, inner], body), node.describe())


def _before(mode: str, v: K.Expr, i: K.Expr, w: K.Expr, j: K.Expr) -> K.Expr:
    """Whether (v, i) comes before (w, j) in TopK's order: better value, then lower index."""
    better = K.Binary("gt" if mode == "max" else "lt", v, w)
    tie = K.Binary("and", K.Binary("eq", v, w), K.Binary("lt", i, j))
    return K.Binary("or", better, tie)


@lowers("TopK")
def lower_topk(ctx: LoweringContext, node: Any) -> None:
    shape = static_shape(node.inputs[0])
    k = ctx.constant(node.inputs[1])
    if k is None:
        raise DeviceError(f"CPU: {node.describe()}: k must be constant")
    axis = node.attrs["axis"] % len(shape)
    outer, length, inner = _outer_axis_inner(shape, axis)
    k = min(int(np.asarray(k).reshape(-1)[0]), length)
    x = ctx.buffer(node.inputs[0])
    values, indices = ctx.output(node.outputs[0]), ctx.output(node.outputs[1])
    if k == 0 or outer * inner == 0:
        return
    o, i = K.Var("o"), K.Var("i")

    def at(position: K.Expr, extent: int) -> K.Expr:
        return K.Binary("add", K.Binary("mul", K.Binary(
            "add", K.Binary("mul", o, K.Const(extent)), position), K.Const(inner)), i)

    select = _rank_select if node.attrs["sort"] == "index" else _scan_select
    body = select(node.attrs["mode"], x, values, indices, length, k, at)
    ctx.emit("topk", _parallel_nest([o, i], [outer, inner], body), node.describe())


def _scan_select(mode, x, values, indices, length, k, at) -> list[K.Stmt]:
    """k scans; scan t keeps the best element after the one scan t-1 chose."""
    t, r = K.Var("t"), K.Var("r")
    prev_v, prev_i = K.Var("prev_v", x.dtype), K.Var("prev_i")
    best_v, best_i = K.Var("best_v", x.dtype), K.Var("best_i")
    v = K.Load(x, at(r, length))
    candidate = _before(mode, prev_v, prev_i, v, r)
    better = K.Binary("or", K.Binary("lt", best_i, K.Const(0)),
                      _before(mode, v, r, best_v, best_i))
    take = K.Var("take", "i1")  # decided once: the two updates below must agree
    start = _number(float("inf") if mode == "max" else float("-inf"), x.dtype)
    scan = (K.Let(best_v, start), K.Let(best_i, K.Const(-1)),
            K.Loop(r, K.Const(0), K.Const(length), (
                K.Let(take, K.Binary("and", candidate, better)),
                K.Let(best_v, K.Select(take, v, best_v)),
                K.Let(best_i, K.Select(take, r, best_i)))),
            K.Store(values, at(t, k), best_v),
            K.Store(indices, at(t, k), K.Cast(best_i, indices.dtype)),
            K.Let(prev_v, best_v), K.Let(prev_i, best_i))
    return [K.Let(prev_v, start), K.Let(prev_i, K.Const(-1)),
            K.Let(best_v, start), K.Let(best_i, K.Const(-1)),
            K.Loop(t, K.Const(0), K.Const(k), scan)]


def _rank_select(mode, x, values, indices, length, k, at) -> list[K.Stmt]:
    """Element r is chosen when fewer than k elements come before it; chosen elements are
    written in index order."""
    r, e = K.Var("r"), K.Var("e")
    rank, written = K.Var("rank"), K.Var("written")
    v, w = K.Load(x, at(r, length)), K.Load(x, at(e, length))
    counted = K.Select(_before(mode, w, e, v, r), K.Const(1), K.Const(0))
    chosen = K.Binary("lt", rank, K.Const(k))
    slot = K.Select(chosen, written, K.Const(0))
    return [K.Let(written, K.Const(0)), K.Loop(r, K.Const(0), K.Const(length), (
        K.Let(rank, K.Const(0)),
        K.Loop(e, K.Const(0), K.Const(length), (K.Let(rank, K.Binary("add", rank, counted)),)),
        K.Store(values, at(slot, k), K.Select(chosen, v, K.Load(values, at(slot, k)))),
        K.Store(indices, at(slot, k), K.Select(chosen, K.Cast(r, indices.dtype),
                                               K.Load(indices, at(slot, k)))),
        K.Let(written, K.Binary("add", written, K.Select(chosen, K.Const(1), K.Const(0))))))]


accept_element_types(ALL_ELEMENT_TYPES, *(n for n in REDUCTIONS if n != "ReduceL2"), "CumSum",
                     "CumProd", "TopK")
