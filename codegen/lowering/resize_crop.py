"""Resize taps computed at run time: OnnxResize's tf_crop_and_resize with a runtime ROI.

Every other resize has tap tables fixed at compile time (codegen/lowering/resize.py). A crop's
source coordinates depend on the ROI, a float input that value specialization does not fold
(it decides no shape), so a small kernel per axis computes that axis' tables from the ROI at run
time, following `vinify.ops.sampling.resize_matrix` step by step in f64 as the reference does:
the coordinate, base = ceil(x) - 1 and the fraction, the tap weights (nearest, linear, cubic,
antialias renormalization), exclude_outside, indices clipped into the input, and outside rows
set to the extrapolation value. The pass kernels then read these tables like constant ones.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext

F64 = "f64"
NEAREST_ROUNDS_UP = {"round_prefer_floor": ("gt", 0.5), "round_prefer_ceil": ("ge", 0.5),
                     "floor": None, "ceil": None}


def _f(value: float) -> K.Const:
    return K.Const(float(value), F64)


def _b(op: str, a: K.Expr, b: K.Expr) -> K.Expr:
    return K.Binary(op, a, b)


def _converted(value: K.Expr, dtype: str) -> K.Expr:
    return value if value.dtype == dtype else K.Cast(value, dtype)


@dataclass(frozen=True, eq=False)
class CropAxisPass:
    """One axis of a crop whose tables are computed from the ROI input at run time."""

    axis: int
    rank: int
    in_len: int
    out_len: int
    scale: float
    attrs: dict

    is_gather = False

    @property
    def first_offset(self) -> int:
        """The first tap's offset from the coordinate's base (the reference's `start`)."""
        shrink = min(self.scale, 1.0) if self.attrs["antialias"] else 1.0
        reach = 1.0 if self.attrs["mode"] == "linear" else 2.0
        return int(np.floor(-reach / shrink) + 1)

    @property
    def taps(self) -> int:
        return 2 if self.attrs["mode"] == "nearest" else 2 - 2 * self.first_offset


class CropTables:
    """Builds the statements of one table kernel, naming every intermediate with a Let (the
    OpenCL C renderer would otherwise repeat shared subexpressions)."""

    def __init__(self, step: CropAxisPass):
        self.step, self.attrs = step, step.attrs
        self.statements: list[K.Stmt] = []
        self._count = 0

    def let(self, expr: K.Expr) -> K.Var:
        self._count += 1
        var = K.Var(f"t{self._count}", expr.dtype, expr.lanes)
        self.statements.append(K.Let(var, expr))
        return var

    def coordinate(self, roi: K.Buffer, o: K.Var) -> K.Var:
        """The source coordinate of output o, in the reference's order of operations."""
        step = self.step
        start = self.let(K.Cast(K.Load(roi, K.Const(step.axis)), F64))
        end = self.let(K.Cast(K.Load(roi, K.Const(step.rank + step.axis)), F64))
        span = _f(step.in_len - 1)
        offset = self.let(_b("mul", start, span))
        length = step.scale * step.in_len
        if length == 1:
            return self.let(_b("add", _b("div", _b("mul", _b("sub", end, start), span), _f(2)),
                                   offset))
        along = _b("mul", _b("mul", K.Cast(o, F64), _b("sub", end, start)), span)
        return self.let(_b("add", _b("div", along, _f(length - 1)), offset))

    def weights(self, ratio: K.Var) -> list[K.Var]:
        """The reference's `_tap_weights` of a fraction in (0, 1]."""
        mode = self.attrs["mode"]
        if mode == "nearest":
            return self._nearest(ratio)
        shrink = min(self.step.scale, 1.0) if self.attrs["antialias"] else 1.0
        result = []
        for j in range(self.step.taps):
            tap = _f(self.step.first_offset + j)
            distance = self.let(K.Unary("abs", _b("mul", _b("sub", tap, ratio), _f(shrink))))
            if mode == "linear":
                weight = _b("min", _b("max", _b("sub", _f(1), distance), _f(0)), _f(1))
            else:
                weight = self._cubic(distance)
            result.append(self.let(weight))
        return self.normalized(result) if self.attrs["antialias"] else result

    def _nearest(self, ratio: K.Var) -> list[K.Var]:
        """[1, 0] (the base) or [0, 1] (the next sample, always when the fraction is 1)."""
        rule = self.attrs["nearest_mode"]
        if rule == "ceil":
            return [self.let(_f(0)), self.let(_f(1))]
        up = _b("eq", ratio, _f(1))
        if NEAREST_ROUNDS_UP.get(rule) is not None:
            comparison, threshold = NEAREST_ROUNDS_UP[rule]
            up = _b("or", up, _b(comparison, ratio, _f(threshold)))
        high = self.let(K.Select(up, _f(1), _f(0)))
        return [self.let(_b("sub", _f(1), high)), high]

    def _cubic(self, d: K.Var) -> K.Expr:
        a = float(self.attrs["cubic_coeff_a"])
        near = _b("add", _b("mul", _b("mul", _b("sub", _b("mul", _f(a + 2), d), _f(a + 3)), d),
                                d), _f(1))
        far = _b("sub", _b("mul", _b("add", _b("mul", _b("sub", _b("mul", _f(a), d), _f(5 * a)),
                                                      d), _f(8 * a)), d), _f(4 * a))
        return K.Select(_b("le", d, _f(1)), near, K.Select(_b("lt", d, _f(2)), far, _f(0)))

    def normalized(self, weights: list[K.Var]) -> list[K.Var]:
        total: K.Expr = weights[0]
        for weight in weights[1:]:
            total = _b("add", total, weight)
        total = self.let(total)
        return [self.let(_b("div", weight, total)) for weight in weights]


def emit_crop_tables(ctx: LoweringContext, node: Any, step: CropAxisPass, roi: K.Buffer,
                     inner: int, compute: str) -> tuple[K.Buffer, K.Buffer, K.Buffer]:
    """(offsets, weights, bias) scratch tables of one axis, [out_len, taps] row-major, the
    offsets premultiplied by `inner`; appends the kernel that fills them."""
    taps, attrs = step.taps, step.attrs
    offsets = ctx.scratch("crop_offsets", step.out_len * taps, "i64")
    weights = ctx.scratch("crop_weights", step.out_len * taps, compute)
    bias = ctx.scratch("crop_bias", step.out_len, compute)
    o = K.Var("o")
    tables = CropTables(step)
    x = tables.coordinate(roi, o)
    last = _f(step.in_len - 1)
    outside = tables.let(_b("or", _b("lt", x, _f(0)), _b("gt", x, last)))
    base = tables.let(_b("sub", K.Unary("ceil", x), _f(1)))
    values = tables.weights(tables.let(_b("sub", x, base)))
    positions = [tables.let(_b("add", base, _f(j - taps // 2 + 1))) for j in range(taps)]
    if attrs["exclude_outside"]:
        values = tables.normalized([tables.let(K.Select(
            _b("and", _b("ge", p, _f(0)), _b("le", p, last)), w, _f(0)))
            for p, w in zip(positions, values)])
    for j, (position, weight) in enumerate(zip(positions, values)):
        slot = _b("add", _b("mul", o, K.Const(taps)), K.Const(j))
        index = K.Cast(_b("min", _b("max", position, _f(0)), last), "i64")
        tables.statements += [
            K.Store(offsets, slot, _b("mul", index, K.Const(inner))),
            K.Store(weights, slot, _converted(K.Select(outside, _f(0), weight), compute))]
    fill = K.Select(outside, _f(attrs["extrapolation_value"]), _f(0))
    tables.statements.append(K.Store(bias, o, _converted(fill, compute)))
    ctx.emit("resize_crop_taps", [K.Loop(o, K.Const(0), K.Const(step.out_len),
                                         tuple(tables.statements))], node.describe())
    return offsets, weights, bias
