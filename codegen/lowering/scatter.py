"""ScatterElementsUpdate and ScatterNDUpdate with run-time indices, every reduction, any element
type.

The output starts as a copy of data; then one sequential loop walks the updates in order and
combines each into the element it addresses, so repeated indices accumulate (and with no
reduction the last write wins) exactly as the reference's in-order application does. Without
use_init_val the addressed elements are first reset: to the reduction's identity, or for min/max
to the first update aimed at them (a backwards pass, so the earliest write lands last). Mean
counts hits in an i64 scratch buffer and divides at the end.
"""

from typing import Any, Callable

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    ALL_ELEMENT_TYPES,
    LoweringContext,
    accept_element_types,
    lowers,
    static_shape,
)
from vinify.codegen.lowering.data_movement import emit_strided_copy
from vinify.codegen.lowering.indexing import wrapped_index
from vinify.errors import DeviceError

SCATTER_OPS = ("ScatterElementsUpdate", "ScatterNDUpdate")
COMBINE = {"sum": "add", "mean": "add", "prod": "mul", "min": "min", "max": "max", "sub": "sub"}
IDENTITY = {"sum": 0, "mean": 0, "prod": 1, "sub": 0}


def _size(dims) -> int:
    return int(np.prod(dims, dtype=np.int64))


def _strides(shape: tuple) -> list[int]:
    return [_size(shape[d + 1:]) for d in range(len(shape))]


def _number(value: float, dtype: str) -> K.Const:
    return K.Const(float(value) if K.is_float(dtype) else int(value), dtype)


class ScatterPlan:
    """Where update number `position` lands: `target(vars)` gives (element index, valid) for
    the loop variables over `extents`; `update_at(vars)` the update element's index."""

    def __init__(self, extents: list[int], target: Callable, update_at: Callable):
        self.extents, self.target, self.update_at = extents, target, update_at


def elements_plan(ctx: LoweringContext, node: Any) -> ScatterPlan:
    data_shape, index_shape = static_shape(node.inputs[0]), static_shape(node.inputs[1])
    axis = ctx.constant(node.inputs[3])
    if axis is None:
        raise DeviceError(f"CPU: {node.describe()}: the axis must be constant")
    axis = int(np.asarray(axis).reshape(-1)[0]) % len(data_shape)
    data_strides, index_strides = _strides(data_shape), _strides(index_shape)
    indices = ctx.buffer(node.inputs[1])

    def target(v):
        index, valid = wrapped_index(K.Load(indices, K.index_of(v, index_strides)),
                                     data_shape[axis])
        others = [c if d != axis else K.Const(0) for d, c in enumerate(v)]
        return K.Binary("add", K.index_of(others, data_strides),
                        K.Binary("mul", index, K.Const(data_strides[axis]))), valid

    return ScatterPlan(list(index_shape) or [1], target, lambda v: K.index_of(v, index_strides))


def nd_plan(ctx: LoweringContext, node: Any) -> ScatterPlan:
    data_shape, index_shape = static_shape(node.inputs[0]), static_shape(node.inputs[1])
    depth = index_shape[-1]
    count, piece = _size(index_shape[:-1]), _size(data_shape[depth:])
    data_strides = _strides(data_shape)
    indices = ctx.buffer(node.inputs[1])

    def target(v):
        n, s = v
        where: K.Expr = s
        all_valid: K.Expr = K.Binary("eq", K.Const(0), K.Const(0))
        for k in range(depth):
            raw = K.Load(indices, K.Binary("add", K.Binary("mul", n, K.Const(depth)),
                                           K.Const(k)))
            index, valid = wrapped_index(raw, data_shape[k])
            where = K.Binary("add", where, K.Binary("mul", index, K.Const(data_strides[k])))
            all_valid = K.Binary("and", all_valid, valid)
        return where, all_valid

    return ScatterPlan([count, piece], target,
                       lambda v: K.Binary("add", K.Binary("mul", v[0], K.Const(piece)), v[1]))


def _walk(plan: ScatterPlan, statements_of: Callable, backwards: bool = False) -> list[K.Stmt]:
    """Sequential loops over every update (last one first when `backwards`)."""
    counters = [K.Var(f"u{d}") for d in range(len(plan.extents))]
    if not backwards:
        return K.loop_nest(counters, plan.extents, statements_of(counters))
    flipped = [K.Binary("sub", K.Const(e - 1), c) for c, e in zip(counters, plan.extents)]
    return K.loop_nest(counters, plan.extents, statements_of(flipped))


def _store_at(out: K.Buffer, where: K.Expr, valid: K.Expr, value: K.Expr) -> K.Stmt:
    """out[where] = value when valid; otherwise element 0 is rewritten unchanged."""
    safe = K.Select(valid, where, K.Const(0))
    return K.Store(out, safe, K.Select(valid, value, K.Load(out, safe)))


@lowers(*SCATTER_OPS)
def lower_scatter(ctx: LoweringContext, node: Any) -> None:
    shape = static_shape(node.inputs[0])
    out = ctx.output(node.outputs[0])
    emit_strided_copy(ctx, ctx.buffer(node.inputs[0]), out, shape, 0, _strides(shape),
                      node.describe())
    plan = elements_plan(ctx, node) if node.op.name == SCATTER_OPS[0] else nd_plan(ctx, node)
    if _size(plan.extents) == 0:
        return
    updates = ctx.buffer(node.inputs[2])
    reduction = node.attrs.get("reduction", "none")
    use_init = node.attrs.get("use_init_val", True)
    body: list[K.Stmt] = []
    if not use_init and reduction != "none":
        body += reset_targets(plan, out, updates, reduction)
    counts = ctx.scratch("counts", out.size, "i64") if reduction == "mean" else None
    if counts is not None:
        body += _fill(counts, K.Const(0))

    def combine(v):
        where, valid = plan.target(v)
        update = K.Load(updates, plan.update_at(v))
        current = K.Load(out, K.Select(valid, where, K.Const(0)))
        value = update if reduction == "none" else K.Binary(COMBINE[reduction], current, update)
        statements = [_store_at(out, where, valid, value)]
        if counts is not None:
            safe = K.Select(valid, where, K.Const(0))
            statements.append(_store_at(counts, where, valid,
                                        K.Binary("add", K.Load(counts, safe), K.Const(1))))
        return statements

    body += _walk(plan, combine)
    if counts is not None:
        body += divide_means(out, counts, use_init)
    ctx.emit("scatter", body, node.describe())


def reset_targets(plan: ScatterPlan, out: K.Buffer, updates: K.Buffer, reduction: str
                  ) -> list[K.Stmt]:
    def reset(v):
        where, valid = plan.target(v)
        if reduction in ("min", "max"):
            value: K.Expr = K.Load(updates, plan.update_at(v))
        else:
            value = _number(IDENTITY[reduction], out.dtype)
        return [_store_at(out, where, valid, value)]

    return _walk(plan, reset, backwards=reduction in ("min", "max"))


def _fill(buffer: K.Buffer, value: K.Expr) -> list[K.Stmt]:
    i = K.Var("f")
    return [K.Loop(i, K.Const(0), K.Const(buffer.size), (K.Store(buffer, i, value),))]


def divide_means(out: K.Buffer, counts: K.Buffer, use_init: bool) -> list[K.Stmt]:
    """Touched elements become total / (hits + 1 with the initial value)."""
    i = K.Var("m")
    hits = K.Load(counts, i)
    divisor = K.Binary("add", hits, K.Const(1)) if use_init else hits
    divisor = K.Binary("max", divisor, K.Const(1))  # both select arms run: no integer x / 0
    divided = K.Binary("div", K.Load(out, i), K.Cast(divisor, out.dtype))
    value = K.Select(K.Binary("gt", hits, K.Const(0)), divided, K.Load(out, i))
    return [K.Loop(i, K.Const(0), K.Const(out.size), (K.Store(out, i, value),))]


accept_element_types(ALL_ELEMENT_TYPES, *SCATTER_OPS)
