"""f32 math and activation ops the kernel IR has no instruction for, written as formulas over the
unary ops it has (exp, log, sqrt, sin, cos, tanh, floor, abs).

Inverse trigonometric functions reduce to one arctangent, computed on [0, tan(pi/8)] by a short
odd series after two range reductions; erf uses its Taylor series below 1 and the Abramowitz and
Stegun 7.1.26 tail above. Small arguments of sinh/asinh/atanh take their series, where the
exp/log forms would cancel.
"""

import itertools
import math
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    LoweringContext,
    accept_element_types,
    lowers,
    static_shape,
)
from vinify.codegen.lowering.elementwise import fconst, fmax, fmin, sigmoid

SMALL = 0.1  # below this |x| the series forms of sinh/asinh/atanh are exact in f32
ERF_SERIES_TERMS = 14
CHUNK = 4096  # elements per parallel iteration
_ACTIVE: list[list] = []  # statement lists receiving the Lets of the formulas being built
_NAMES = itertools.count()


@contextmanager
def let_bindings(statements: list) -> Iterator[None]:
    """While active, `bind_local` names reused subexpressions with Lets appended to `statements`:
    a renderer that prints expressions inline (OpenCL C) would otherwise repeat them, and the
    nested reuse in these formulas grows the text exponentially."""
    _ACTIVE.append(statements)
    try:
        yield
    finally:
        _ACTIVE.pop()


def bind_local(expr: K.Expr) -> K.Expr:
    if not _ACTIVE or isinstance(expr, (K.Var, K.Const)):
        return expr
    var = K.Var(f"m{next(_NAMES)}", expr.dtype, expr.lanes)
    _ACTIVE[-1].append(K.Let(var, expr))
    return var


def _b(op: str, a: K.Expr, b: K.Expr) -> K.Expr:
    return K.Binary(op, a, b)


def _u(op: str, a: K.Expr) -> K.Expr:
    return K.Unary(op, a)


def _poly(x: K.Expr, coefficients: list[float]) -> K.Expr:
    """c0 + c1*x + c2*x^2 + ... by Horner's rule."""
    x = bind_local(x)
    result = fconst(coefficients[-1], x)
    for c in reversed(coefficients[:-1]):
        result = K.Fma(result, x, fconst(c, x))
    return result


def _odd_series(x: K.Expr, coefficients: list[float]) -> K.Expr:
    """x * (c0 + c1*x^2 + c2*x^4 + ...)."""
    x = bind_local(x)
    return _b("mul", x, _poly(bind_local(_b("mul", x, x)), coefficients))


def _with_sign_of(x: K.Expr, magnitude: K.Expr) -> K.Expr:
    magnitude = bind_local(magnitude)
    return K.Select(_b("lt", x, fconst(0, x)), _u("neg", magnitude), magnitude)


def arctan(x: K.Expr) -> K.Expr:
    x = bind_local(x)
    a = bind_local(_u("abs", x))
    inverted = bind_local(_b("gt", a, fconst(1, x)))
    reduced = bind_local(K.Select(inverted, _b("div", fconst(1, x), a), a))  # in [0, 1]
    half = bind_local(_b("div", reduced, _b("add", fconst(1, x), _u(
        "sqrt", _b("add", fconst(1, x), _b("mul", reduced, reduced))))))
    series = _odd_series(half, [(-1) ** n / (2 * n + 1) for n in range(10)])  # |half| <= 0.415
    angle = bind_local(_b("mul", fconst(2, x), series))
    angle = K.Select(inverted, _b("sub", fconst(math.pi / 2, x), angle), angle)
    return _with_sign_of(x, angle)


def arcsin(x: K.Expr) -> K.Expr:
    x = bind_local(x)
    return arctan(_b("div", x, _u("sqrt", _b("sub", fconst(1, x), _b("mul", x, x)))))


def arccos(x: K.Expr) -> K.Expr:
    x = bind_local(x)
    ratio = _b("div", _b("sub", fconst(1, x), x), _b("add", fconst(1, x), x))
    return _b("mul", fconst(2, x), arctan(_u("sqrt", ratio)))


def _small_or(x: K.Expr, series: K.Expr, general: K.Expr) -> K.Expr:
    return K.Select(_b("lt", _u("abs", x), fconst(SMALL, x)), series, general)


def sinh(x: K.Expr) -> K.Expr:
    general = _b("mul", fconst(0.5, x), _b("sub", _u("exp", x), _u("exp", _u("neg", x))))
    return _small_or(x, _odd_series(x, [1, 1 / 6, 1 / 120, 1 / 5040]), general)


def cosh(x: K.Expr) -> K.Expr:
    return _b("mul", fconst(0.5, x), _b("add", _u("exp", x), _u("exp", _u("neg", x))))


def arcsinh(x: K.Expr) -> K.Expr:
    x = bind_local(x)
    a = bind_local(_u("abs", x))
    general = _u("log", _b("add", a, _u("sqrt", _b("add", _b("mul", a, a), fconst(1, x)))))
    series = _odd_series(x, [1, -1 / 6, 3 / 40, -5 / 112])
    return _small_or(x, series, _with_sign_of(x, general))


def arccosh(x: K.Expr) -> K.Expr:
    return _u("log", _b("add", x, _u("sqrt", _b("sub", _b("mul", x, x), fconst(1, x)))))


def arctanh(x: K.Expr) -> K.Expr:
    ratio = _b("div", _b("add", fconst(1, x), x), _b("sub", fconst(1, x), x))
    general = _b("mul", fconst(0.5, x), _u("log", ratio))
    return _small_or(x, _odd_series(x, [1, 1 / 3, 1 / 5, 1 / 7, 1 / 9]), general)


def erf(x: K.Expr) -> K.Expr:
    x = bind_local(x)
    series = _odd_series(x, [2 / math.sqrt(math.pi) * (-1) ** n / (math.factorial(n) * (2 * n + 1))
                             for n in range(ERF_SERIES_TERMS)])
    a = bind_local(_u("abs", x))
    t = bind_local(_b("div", fconst(1, x), K.Fma(fconst(0.3275911, x), a, fconst(1, x))))
    tail_poly = _b("mul", t, _poly(t, [0.254829592, -0.284496736, 1.421413741, -1.453152027,
                                       1.061405429]))
    tail = _b("sub", fconst(1, x), _b("mul", tail_poly, _u("exp", _u("neg", _b("mul", a, a)))))
    tail = _with_sign_of(x, tail)
    return K.Select(_b("lt", a, fconst(1, x)), series, tail)


def sign(x: K.Expr) -> K.Expr:
    return K.Select(_b("gt", x, fconst(0, x)), fconst(1, x),
                    K.Select(_b("lt", x, fconst(0, x)), fconst(-1, x), x))


def round_value(x: K.Expr, half_to_even: bool) -> K.Expr:
    """Rounds |x| (floor and fraction are exact there), then restores the sign. Half away from
    zero is floor(|x| + 0.5) in f32, as the reference computes it."""
    x = bind_local(x)
    a = bind_local(_u("abs", x))
    low = bind_local(_u("floor", a))
    if not half_to_even:
        return _with_sign_of(x, _u("floor", _b("add", a, fconst(0.5, x))))
    fraction = bind_local(_b("sub", a, low))
    up = bind_local(_b("add", low, fconst(1, x)))
    odd = _b("ne", _b("sub", low, _b("mul", fconst(2, x), _u(
        "floor", _b("mul", low, fconst(0.5, x))))), fconst(0, x))
    rounded = K.Select(_b("gt", fraction, fconst(0.5, x)), up,
                       K.Select(_b("lt", fraction, fconst(0.5, x)), low,
                                K.Select(odd, up, low)))
    return _with_sign_of(x, rounded)


def softplus(x: K.Expr) -> K.Expr:
    """log(1 + exp(x)) as max(x, 0) + log(1 + exp(-|x|)): no overflow for large x."""
    return _b("add", fmax(x, fconst(0, x)),
              _u("log", _b("add", fconst(1, x), _u("exp", _u("neg", _u("abs", x))))))


def gelu(x: K.Expr, tanh_mode: bool) -> K.Expr:
    if tanh_mode:
        cubic = K.Fma(_b("mul", fconst(0.044715, x), _b("mul", x, x)), x, x)
        inner = _u("tanh", _b("mul", fconst(math.sqrt(2 / math.pi), x), cubic))
    else:
        inner = erf(_b("mul", x, fconst(1 / math.sqrt(2), x)))
    return _b("mul", _b("mul", fconst(0.5, x), x), _b("add", fconst(1, x), inner))


UNARY_FORMULAS: dict[str, Callable[[K.Expr], K.Expr]] = {
    "Sin": lambda x: _u("sin", x), "Cos": lambda x: _u("cos", x),
    "Tan": lambda x: _b("div", _u("sin", x), _u("cos", x)),
    "Asin": arcsin, "Acos": arccos, "Atan": arctan, "Sinh": sinh, "Cosh": cosh,
    "Asinh": arcsinh, "Acosh": arccosh, "Atanh": arctanh, "Erf": erf, "Sign": sign,
    "SoftPlus": softplus, "SoftSign": lambda x: _b("div", x, _b("add", fconst(1, x),
                                                                 _u("abs", x))),
    "Mish": lambda x: _b("mul", x, _u("tanh", softplus(x))),
}
WITH_ATTRIBUTES = ("Round", "Gelu")
WITH_SCALARS = ("Swish", "Selu", "HardSigmoid")
UNARY_MATH_OPS = tuple(UNARY_FORMULAS) + WITH_ATTRIBUTES + WITH_SCALARS


def unary_formula(node: Any) -> Callable[[K.Expr], K.Expr]:
    name = node.op.name
    if name == "Round" and not K.is_float(node.inputs[0].element_type.name):
        return lambda x: x  # integers are already round
    if name == "Round":
        return lambda x: round_value(x, node.attrs["mode"] == "half_to_even")
    if name == "Gelu":
        mode = str(node.attrs.get("approximation_mode", "ERF")).lower()
        return lambda x: gelu(x, mode == "tanh")
    return UNARY_FORMULAS[name]


def scalar_formula(name: str) -> Callable[[list[K.Expr]], K.Expr]:
    """The formula over [x, scalar inputs...]; the scalars broadcast like any operand."""
    if name == "Swish":
        return lambda xs: _b("mul", xs[0], sigmoid(
            _b("mul", xs[1], xs[0]) if len(xs) > 1 else xs[0]))
    if name == "Selu":
        return lambda xs: _b("mul", xs[2], K.Select(
            _b("gt", xs[0], fconst(0, xs[0])), xs[0],
            _b("mul", xs[1], _b("sub", _u("exp", fmin(xs[0], fconst(0, xs[0]))),
                                fconst(1, xs[0])))))
    return lambda xs: fmin(fmax(K.Fma(xs[1], xs[0], xs[2]), fconst(0, xs[0])), fconst(1, xs[0]))


def _scalar_operands(ctx: LoweringContext, node: Any, lanes: int) -> list[K.Expr]:
    loads = [K.widen(K.Load(ctx.buffer(v), K.Const(0))) for v in node.inputs[1:]]
    return [bind_local(K.Splat(load, lanes) if lanes > 1 else load) for load in loads]


@lowers(*UNARY_MATH_OPS, dtypes=FLOAT_ELEMENT_TYPES)
def lower_unary_math(ctx: LoweringContext, node: Any) -> None:
    """One vectorized loop over the elements, in chunks across threads; intermediate values
    are named locals (see let_bindings). f16/bf16 are computed in f32, one element at a time
    (OpenCL C has no vector load of half without cl_khr_fp16), and rounded once."""
    size = int(np.prod(static_shape(node.outputs[0]), dtype=np.int64))
    if size == 0:
        return
    x_buffer, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    lanes = ctx.target.vector_lanes if out.dtype not in K.NARROW_FLOAT_TYPES else 1
    if node.op.name in WITH_SCALARS:
        formula = scalar_formula(node.op.name)
    else:
        single = unary_formula(node)
        formula = lambda xs: single(xs[0])  # noqa: E731
    chunk, j = K.Var("chunk"), K.Var("j")
    start = K.Binary("mul", chunk, K.Const(CHUNK))
    stop = K.Binary("min", K.Const(CHUNK), K.Binary("sub", K.Const(size), start))
    at = K.Binary("add", start, j)
    mask = K.LaneMask(K.Binary("sub", stop, j), lanes) if lanes > 1 else None
    statements: list[K.Stmt] = []
    with let_bindings(statements):
        x = bind_local(K.widen(K.Load(x_buffer, at, lanes, mask)))
        result = K.narrow(formula([x, *_scalar_operands(ctx, node, lanes)]), out.dtype)
    inner = K.Loop(j, K.Const(0), stop, tuple(statements + [K.Store(out, at, result, mask)]),
                   step=lanes)
    chunks = -(-size // CHUNK)
    ctx.emit(node.op.name.lower(), [K.Loop(chunk, K.Const(0), K.Const(chunks), (inner,),
                                           parallel=chunks > 1)], node.describe())


accept_element_types({"i64", "i32", "i16", "i8"}, "Sign")
accept_element_types({"i64", "i32", "i16", "i8", "u64", "u32", "u16", "u8"}, "Round")
