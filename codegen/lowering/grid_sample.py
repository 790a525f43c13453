"""GridSample (2 or 3 spatial axes) on f32: nearest, bilinear and bicubic sampling with zeros,
border or reflection padding, following the reference step by step.

Per output point the grid coordinate of each axis is denormalized, rounded (nearest), moved
inside by the padding rule, and turned into taps: (clipped index, weight) pairs whose weight is
0 for a zeros-padded tap outside the image. The taps are computed once per point into local
variables; the channel loop then only sums weight products times data.
"""

import itertools
from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape
from vinify.codegen.lowering.unary_math import bind_local, let_bindings, round_value
from vinify.errors import DeviceError

CUBIC_A = -0.75


def _f(value: float) -> K.Const:
    return K.Const(float(value), "f32")


def _b(op: str, a: K.Expr, b: K.Expr) -> K.Expr:
    return K.Binary(op, a, b)


def _clip(x: K.Expr, low: float, high: float) -> K.Expr:
    return _b("min", _b("max", x, _f(low)), _f(high))


def denormalize(coordinate: K.Expr, size: int, align_corners: bool) -> K.Expr:
    if align_corners:
        return _b("mul", _b("div", _b("add", coordinate, _f(1)), _f(2)), _f(size - 1))
    return _b("div", _b("sub", _b("mul", _b("add", coordinate, _f(1)), _f(size)), _f(1)),
              _f(2))


def reflect(x: K.Expr, low: float, high: float) -> K.Expr:
    """x mirrored at the nearer edge of [low, high] until inside (as the reference folds)."""
    span = high - low
    if span <= 0:
        return _f(low)
    x = bind_local(x)
    below, above = _b("lt", x, _f(low)), _b("gt", x, _f(high))
    below, above = bind_local(below), bind_local(above)
    distance = bind_local(K.Select(below, _b("sub", _f(low), x), _b("sub", x, _f(high))))
    folds = bind_local(K.Unary("floor", _b("div", distance, _f(span))))
    rest = bind_local(_b("sub", distance, _b("mul", folds, _f(span))))
    half = bind_local(_b("mul", folds, _f(0.5)))
    even = bind_local(_b("eq", half, K.Unary("floor", half)))
    from_low = K.Select(even, _b("add", _f(low), rest), _b("sub", _f(high), rest))
    from_high = K.Select(even, _b("sub", _f(high), rest), _b("add", _f(low), rest))
    return K.Select(below, from_low, K.Select(above, from_high, x))


class SampledAxis:
    def __init__(self, size: int, align_corners: bool, padding: str):
        self.size, self.padding = size, padding
        self.low, self.high = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)

    def fix_coordinate(self, x: K.Expr) -> K.Expr:
        x = bind_local(x)
        if self.padding == "border":
            outside = _b("or", _b("lt", x, _f(self.low)), _b("gt", x, _f(self.high)))
            return K.Select(outside, _clip(x, 0, self.size - 1), x)
        if self.padding == "reflection":
            return reflect(x, self.low, self.high)
        return x

    def tap(self, index: K.Expr) -> tuple[K.Expr, K.Expr | None]:
        """(clipped integral index as f32, in-range condition or None when always in range)."""
        index = bind_local(index)
        if self.padding == "zeros":
            inside = _b("and", _b("ge", index, _f(0)), _b("lt", index, _f(self.size)))
            return _clip(index, 0, self.size - 1), inside
        if self.padding == "reflection":
            reflected = bind_local(reflect(index, self.low, self.high))
            index = K.Select(_b("lt", reflected, _f(0)), K.Unary("ceil", reflected),
                             K.Unary("floor", reflected))
        return _clip(index, 0, self.size - 1), None

    def taps(self, x: K.Expr, mode: str) -> list[tuple[K.Expr, K.Expr]]:
        x = bind_local(x)
        if mode == "nearest":
            truncated = K.Select(_b("lt", x, _f(0)), K.Unary("ceil", x), K.Unary("floor", x))
            index, inside = self.tap(truncated)
            return [(index, _f(1) if inside is None else K.Select(inside, _f(1), _f(0)))]
        base = bind_local(K.Unary("floor", x))
        t = bind_local(_b("sub", x, base))
        if mode == "bilinear":
            offsets, weights = (0, 1), [_b("sub", _f(1), t), t]
        else:
            offsets, weights = (-1, 0, 1, 2), cubic_weights(t)
        result = []
        for offset, weight in zip(offsets, weights):
            index, inside = self.tap(_b("add", base, _f(offset)))
            result.append((index, weight if inside is None else K.Select(inside, weight, _f(0))))
        return result


def cubic_weights(t: K.Expr) -> list[K.Expr]:
    a = CUBIC_A

    def outer(d):
        return _b("sub", _b("mul", _b("add", _b("mul", _b("sub", _b("mul", _f(a), d), _f(5 * a)),
                                               d), _f(8 * a)), d), _f(4 * a))

    def inner(d):
        return _b("add", _b("mul", _b("mul", _b("sub", _b("mul", _f(a + 2), d), _f(a + 3)), d),
                            d), _f(1))

    return [outer(_b("add", t, _f(1))), inner(t), inner(_b("sub", _f(1), t)),
            outer(_b("sub", _f(2), t))]


def _axis_taps(statements: list, attrs: dict, a: int, size: int, grid: K.Buffer, flat: K.Var,
               rank: int) -> list[tuple[K.Var, K.Var]]:
    """The taps of spatial axis `a` as local variables (Lets appended to `statements`)."""
    axis = SampledAxis(size, attrs["align_corners"], attrs["padding_mode"])
    taps = []
    with let_bindings(statements):
        coordinate = K.Load(grid, _b("add", _b("mul", flat, K.Const(rank)), K.Const(rank - 1 - a)))
        x = bind_local(denormalize(bind_local(coordinate), size, attrs["align_corners"]))
        if attrs["mode"] == "nearest":
            x = round_value(x, half_to_even=True)
        for t, (index, weight) in enumerate(axis.taps(axis.fix_coordinate(x), attrs["mode"])):
            index_var, weight_var = K.Var(f"idx{a}_{t}"), K.Var(f"w{a}_{t}", "f32")
            statements += [K.Let(index_var, K.Cast(index, "i64")), K.Let(weight_var, weight)]
            taps.append((index_var, weight_var))
    return taps


@lowers("GridSample")
def lower_grid_sample(ctx: LoweringContext, node: Any) -> None:
    data_shape, grid_shape = static_shape(node.inputs[0]), static_shape(node.inputs[1])
    if node.inputs[1].element_type.name != "f32":
        raise DeviceError(f"CPU: {node.describe()}: the grid must be f32")
    spatial = data_shape[2:]
    rank, channels = len(spatial), data_shape[1]
    points = int(np.prod(grid_shape[1:-1], dtype=np.int64))
    attrs = node.attrs
    data, grid = ctx.buffer(node.inputs[0]), ctx.buffer(node.inputs[1])
    out = ctx.output(node.outputs[0])
    flat = K.Var("point")  # n * points + p
    statements: list[K.Stmt] = []
    per_axis = []
    for a, size in enumerate(spatial):
        per_axis.append(_axis_taps(statements, attrs, a, size, grid, flat, rank))
    n = _b("div", flat, K.Const(points))
    p = _b("rem", flat, K.Const(points))
    c, acc = K.Var("c"), K.Var("acc", "f32")
    plane = _b("add", _b("mul", n, K.Const(channels)), c)
    strides = [int(np.prod(spatial[a + 1:], dtype=np.int64)) for a in range(rank)]
    sums: list[K.Stmt] = [K.Let(acc, _f(0))]
    for combination in itertools.product(*per_axis):
        weight = combination[0][1]
        for _, w in combination[1:]:
            weight = _b("mul", weight, w)
        offset = K.index_of([index for index, _ in combination], strides)
        address = _b("add", _b("mul", plane, K.Const(int(np.prod(spatial)))), offset)
        sums.append(K.Let(acc, K.Fma(weight, K.Load(data, address), acc)))
    sums.append(K.Store(out, _b("add", _b("mul", plane, K.Const(points)), p), acc))
    statements.append(K.Loop(c, K.Const(0), K.Const(channels), tuple(sums)))
    total = data_shape[0] * points
    ctx.emit("grid_sample", [K.Loop(flat, K.Const(0), K.Const(total), tuple(statements),
                                    parallel=total > 1)], node.describe())
