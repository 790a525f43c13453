"""MelWeightMatrix: triangular filters evenly spaced on the mel scale, edges computed at run time.

The matrix shape (from num_mel_bins and dft_length) is static, so those two are known at
compile time; the sample rate and the edge frequencies may still be run-time values. Each
(row, filter) element computes the filter's three edges (left, centre, right FFT bins) in f64
as the reference does, then its weight: rising from left to centre, falling from centre to
right, 1 at the centre (also when left == centre).
"""

import math
from typing import Any

from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    LoweringContext,
    lowers,
    static_shape,
)
from vinify.errors import DeviceError

WIDE = "f64"


def _f(value: float) -> K.Const:
    return K.Const(float(value), WIDE)


def _b(op: str, a: K.Expr, b: K.Expr | float) -> K.Expr:
    return K.Binary(op, a, b if isinstance(b, K.Expr) else _f(b))


def _scalar(ctx: LoweringContext, value: Any) -> K.Expr:
    loaded = K.Load(ctx.buffer(value), K.Const(0))
    return loaded if loaded.dtype == WIDE else K.Cast(loaded, WIDE)


def _to_mel(hertz: K.Expr) -> K.Expr:
    return _b("mul", _b("div", K.Unary("log", _b("add", _b("div", hertz, 700.0), 1.0)),
                        math.log(10.0)), 2595.0)


def _edge(index: K.Expr, low: K.Var, high: K.Var, bins: int, length: int, rate: K.Var
          ) -> K.Expr:
    """floor((length + 1) * hertz(edge index) / rate), the edge's FFT bin (as f64)."""
    mel = _b("add", _b("div", _b("mul", K.Cast(index, WIDE), _b("sub", high, low)),
                       float(bins + 2)), low)
    hertz = _b("mul", _b("sub", K.Binary("pow", _f(10.0), _b("div", mel, 2595.0)), 1.0), 700.0)
    return K.Unary("floor", _b("div", _b("mul", hertz, float(length + 1)), rate))


@lowers("MelWeightMatrix", dtypes=FLOAT_ELEMENT_TYPES)
def lower_mel_weight_matrix(ctx: LoweringContext, node: Any) -> None:
    rows, bins = static_shape(node.outputs[0])
    known_length = ctx.constant(node.inputs[1])
    if known_length is None:
        raise DeviceError(f"CPU: {node.describe()}: the DFT length must be known at compile time")
    length = int(known_length.reshape(-1)[0])
    out = ctx.output(node.outputs[0])
    rate, low, high = K.Var("rate", WIDE), K.Var("low", WIDE), K.Var("high", WIDE)
    r, i = K.Var("r"), K.Var("i")
    left, center, right = (K.Var(name, WIDE) for name in ("left", "center", "right"))
    row = K.Cast(r, WIDE)
    edges = [K.Let(edge, _edge(K.Binary("add", i, K.Const(k)), low, high, bins, length, rate))
             for k, edge in enumerate((left, center, right))]
    rising = K.Select(_b("eq", center, left), K.Select(_b("eq", row, center), _f(1.0), _f(0.0)),
                      _b("div", _b("sub", row, left), _b("sub", center, left)))
    on_rise = _b("and", _b("ge", row, left), _b("le", row, center))
    on_fall = _b("and", _b("gt", right, center), _b("and", _b("ge", row, center),
                                                      _b("lt", row, right)))
    falling = _b("div", _b("sub", right, row), _b("sub", right, center))
    weight = K.Select(on_fall, falling, K.Select(on_rise, rising, _f(0.0)))
    body = [*edges, K.Store(out, K.Binary("add", K.Binary("mul", r, K.Const(bins)), i),
                            K.Cast(weight, out.dtype))]
    scalars = [K.Let(rate, _scalar(ctx, node.inputs[2])),
               K.Let(low, _to_mel(_scalar(ctx, node.inputs[3]))),
               K.Let(high, _to_mel(_scalar(ctx, node.inputs[4])))]
    ctx.emit("mel_weights", scalars + K.loop_nest([r, i], [rows, bins], body),
             node.describe())
