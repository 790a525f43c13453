"""Unique<10> on the device: distinct elements (or slices along an axis) with their first
indices, the inverse map and the counts.

The data is viewed as [outer, n, inner]: n items (elements, or slices along the axis), each of
outer * inner values. Quadratic passes, serial, no branches (the kernel IR has none):
1. rep[k]: the first item equal to item k;
2. the distinct items in first-occurrence order (src[s]), each item's slot, and the count;
3. rank[s]: the slot's place in the output (lexicographic order of the items when sorted,
   first occurrence otherwise);
4. outputs at their rank; rows past the count hold whatever the upper-bound buffer held and
   are cut by the executable (vinify.bounded_outputs).
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    ALL_ELEMENT_TYPES,
    LoweringContext,
    lowers,
    static_shape,
)
from vinify.errors import DeviceError


def _layout(ctx: LoweringContext, node: Any) -> tuple[int, int, int]:
    shape = static_shape(node.inputs[0])
    total = int(np.prod(shape, dtype=np.int64))
    if len(node.inputs) == 1:
        return 1, total, 1
    axis = ctx.constant(node.inputs[1])
    if axis is None:
        raise DeviceError(f"CPU: {node.describe()}: the axis must be a constant")
    axis = int(np.ravel(axis)[0]) % len(shape)
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    return outer, shape[axis], int(np.prod(shape[axis + 1:], dtype=np.int64))


class _Items:
    """Element e (0 <= e < outer * inner) of item k of the [outer, n, inner] view."""

    def __init__(self, data: K.Buffer, layout: tuple[int, int, int]):
        self.data, (self.outer, self.n, self.inner) = data, layout
        self.width = self.outer * self.inner

    def value(self, item: K.Expr, e: K.Expr) -> K.Expr:
        o, i = K.Binary("div", e, K.Const(self.inner)), K.Binary("rem", e, K.Const(self.inner))
        index = K.add(K.add(K.mul(o, self.n * self.inner), K.mul(item, self.inner)), i)
        return K.widen(K.Load(self.data, index))

    def equal(self, flag: K.Var, a: K.Expr, b: K.Expr) -> list[K.Stmt]:
        """flag = items a and b hold the same values."""
        e = K.Var("e")
        same = K.Binary("eq", self.value(a, e), self.value(b, e))
        return [K.Let(flag, K.Const(1)),
                K.Loop(e, K.Const(0), K.Const(self.width),
                       (K.Let(flag, K.Select(same, flag, K.Const(0))),))]

    def less(self, flag: K.Var, a: K.Expr, b: K.Expr) -> list[K.Stmt]:
        """flag = item a comes before item b lexicographically."""
        e, decided = K.Var("e"), K.Var("decided")
        x, y = self.value(a, e), self.value(b, e)
        open_ = K.Binary("eq", decided, K.Const(0))
        return [K.Let(flag, K.Const(0)), K.Let(decided, K.Const(0)),
                K.Loop(e, K.Const(0), K.Const(self.width),
                       (K.Let(flag, K.Select(K.Binary("and", open_, K.Binary("lt", x, y)),
                                             K.Const(1), flag)),
                        K.Let(decided, K.Select(K.Binary("ne", x, y), K.Const(1), decided))))]


def _first_occurrences(items: _Items, rep: K.Buffer) -> list[K.Stmt]:
    k, m, first, same = K.Var("k"), K.Var("m"), K.Var("first"), K.Var("same")
    earlier = K.Binary("and", K.Binary("ne", same, K.Const(0)), K.Binary("lt", m, first))
    inner = (*items.equal(same, m, k), K.Let(first, K.Select(earlier, m, first)))
    return [K.Loop(k, K.Const(0), K.Const(items.n),
                   (K.Let(first, k), K.Loop(m, K.Const(0), k, inner),
                    K.Store(rep, k, first)))]


def _slots(n: int, rep: K.Buffer, src: K.Buffer, slot: K.Buffer,
           total: K.Buffer) -> list[K.Stmt]:
    k, u = K.Var("k"), K.Var("u")
    new = K.Binary("eq", K.Load(rep, k), k)
    return [K.Let(u, K.Const(0)),
            K.Loop(k, K.Const(0), K.Const(n),
                   (K.Store(src, u, k),
                    K.Store(slot, k, K.Select(new, u, K.Load(slot, K.Load(rep, k)))),
                    K.Let(u, K.add(u, K.Select(new, K.Const(1), K.Const(0)))))),
            K.Store(total, K.Const(0), u)]


def _ranks(items: _Items, buffers: dict, sort: bool) -> list[K.Stmt]:
    s, t, rank, less = K.Var("s"), K.Var("t"), K.Var("rank"), K.Var("less")
    count = K.Load(buffers["total"], K.Const(0))
    if not sort:
        return [K.Loop(s, K.Const(0), K.Const(items.n), (K.Store(buffers["rank"], s, s),))]
    mine = K.Select(K.Binary("lt", s, count), K.Load(buffers["src"], s), K.Const(0))
    theirs = K.Select(K.Binary("lt", t, count), K.Load(buffers["src"], t), K.Const(0))
    counted = K.Binary("and", K.Binary("lt", t, count), K.Binary("ne", less, K.Const(0)))
    return [K.Loop(s, K.Const(0), K.Const(items.n),
                   (K.Let(rank, K.Const(0)),
                    K.Loop(t, K.Const(0), K.Const(items.n),
                           (*items.less(less, theirs, mine),
                            K.Let(rank, K.add(rank, K.Select(counted, K.Const(1),
                                                             K.Const(0)))))),
                    K.Store(buffers["rank"], s, rank)))]


def _outputs(items: _Items, buffers: dict, outs: list[K.Buffer]) -> list[K.Stmt]:
    values, first, inverse, counts = outs
    s, k, e, hits = K.Var("s"), K.Var("k"), K.Var("e"), K.Var("hits")
    real = K.Binary("lt", s, K.Load(buffers["total"], K.Const(0)))
    item = K.Select(real, K.Load(buffers["src"], s), K.Const(0))
    place = K.Select(real, K.Load(buffers["rank"], s), s)
    o, i = K.Binary("div", e, K.Const(items.inner)), K.Binary("rem", e, K.Const(items.inner))
    target = K.add(K.add(K.mul(o, items.n * items.inner), K.mul(place, items.inner)), i)
    hit = K.Binary("eq", K.Load(buffers["rep"], k), item)
    per_item = (K.Loop(e, K.Const(0), K.Const(items.width),
                       (K.Store(values, target, K.narrow(items.value(item, e), values.dtype)),)),
                K.Store(first, place, K.Cast(item, first.dtype)),
                K.Let(hits, K.Const(0)),
                K.Loop(k, K.Const(0), K.Const(items.n),
                       (K.Let(hits, K.add(hits, K.Select(hit, K.Const(1), K.Const(0)))),)),
                K.Store(counts, place, K.Cast(hits, counts.dtype)))
    rank_of_k = K.Load(buffers["rank"], K.Load(buffers["slot"], k))
    return [K.Loop(s, K.Const(0), K.Const(items.n), per_item),
            K.Loop(k, K.Const(0), K.Const(items.n),
                   (K.Store(inverse, k, K.Cast(rank_of_k, inverse.dtype)),))]


@lowers("Unique", dtypes=ALL_ELEMENT_TYPES)
def lower_unique(ctx: LoweringContext, node: Any) -> None:
    items = _Items(ctx.buffer(node.inputs[0]), _layout(ctx, node))
    outs = [ctx.output(value) for value in node.outputs]
    n = items.n
    buffers = {name: ctx.scratch("unique_" + name, n, "i64")
               for name in ("rep", "src", "slot", "rank")}
    buffers["total"] = ctx.scratch("unique_count", 1, "i64")
    ctx.__dict__.setdefault("bounded_counts", {})[id(node.outputs[0])] = buffers["total"]
    body = [*_first_occurrences(items, buffers["rep"]),
            *_slots(n, buffers["rep"], buffers["src"], buffers["slot"], buffers["total"]),
            *_ranks(items, buffers, bool(node.attrs["sorted"])),
            *_outputs(items, buffers, outs)]
    ctx.emit("unique", body, node.describe())
