"""One step of the ONNX training optimizers Adagrad, Momentum and Adam, elementwise in f32.

Inputs are (R, T, X_1..X_n, G_1..G_n, state...) and outputs (X_new_1..X_new_n, new state...),
as compiler/ops/onnx_training.py lays them out. The learning rate and step count are read at
run time; the step-dependent scalars (decayed rate, Adam's bias correction, Momentum's first
step) are computed once per kernel, then one loop per optimized tensor writes every output of
that tensor. The reference computes in f64; here it is f32 throughout.
"""

from typing import Any, Callable

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape

PARALLEL_MIN_ELEMENTS = 16384


def _f(value: float) -> K.Const:
    return K.Const(float(value), "f32")


def _b(op: str, a: K.Expr, b: K.Expr | float) -> K.Expr:
    return K.Binary(op, a, b if isinstance(b, K.Expr) else _f(b))


def _scalar(ctx: LoweringContext, value: Any) -> K.Expr:
    buffer = ctx.buffer(value)
    loaded = K.Load(buffer, K.Const(0))
    return loaded if buffer.dtype == "f32" else K.Cast(loaded, "f32")


def _gradient(attrs: dict, x: K.Expr, g: K.Expr) -> K.Expr:
    """The gradient with the L2 term: norm_coefficient * x + g."""
    return _b("add", _b("mul", x, _f(attrs["norm_coefficient"])), g)


def _adagrad(attrs: dict, rate: K.Expr, x: K.Expr, g: K.Expr, states: list[K.Expr]):
    g = _gradient(attrs, x, g)
    h = _b("add", states[0], _b("mul", g, g))
    step = _b("div", _b("mul", rate, g), _b("add", K.Unary("sqrt", h), attrs["epsilon"]))
    return [_b("sub", x, step), h]


def _momentum(attrs: dict, rate: K.Expr, x: K.Expr, g: K.Expr, states: list[K.Expr],
              beta: K.Expr):
    g = _gradient(attrs, x, g)
    v = _b("add", _b("mul", states[0], attrs["alpha"]), _b("mul", beta, g))
    direction = _b("add", g, _b("mul", v, attrs["alpha"])) if attrs["mode"] == "nesterov" \
        else v
    return [_b("sub", x, _b("mul", rate, direction)), v]


def _adam(attrs: dict, rate: K.Expr, x: K.Expr, g: K.Expr, states: list[K.Expr]):
    alpha, beta = attrs["alpha"], attrs["beta"]
    g = _gradient(attrs, x, g)
    v = _b("add", _b("mul", states[0], alpha), _b("mul", g, 1.0 - alpha))
    h = _b("add", _b("mul", states[1], beta), _b("mul", _b("mul", g, g), 1.0 - beta))
    moved = _b("sub", x, _b("div", _b("mul", rate, v), _b("add", K.Unary("sqrt", h),
                                                           attrs["epsilon"])))
    return [_b("mul", moved, 1.0 - attrs["norm_coefficient_post"]), v, h]


def _step_scalars(ctx: LoweringContext, node: Any) -> tuple[list[K.Stmt], dict]:
    """Lets computing the per-step scalars, and the variables they define."""
    attrs, name = node.attrs, node.op.name
    rate, step = K.Var("rate", "f32"), K.Var("step", "f32")
    lets = [K.Let(rate, _scalar(ctx, node.inputs[0])), K.Let(step, _scalar(ctx, node.inputs[1]))]
    started = _b("gt", step, 0.0)
    if name == "Adagrad":
        decayed = _b("div", rate, _b("add", _b("mul", step, attrs["decay_factor"]), 1.0))
        lets.append(K.Let(K.Var("rate_t", "f32"), decayed))
    elif name == "Adam":
        beta_power = K.Binary("pow", _f(attrs["beta"]), step)
        alpha_power = K.Binary("pow", _f(attrs["alpha"]), step)
        corrected = _b("div", _b("mul", rate, K.Unary("sqrt", _b("sub", _f(1.0), beta_power))),
                       _b("sub", _f(1.0), alpha_power))
        lets.append(K.Let(K.Var("rate_t", "f32"), K.Select(started, corrected, rate)))
    else:
        lets.append(K.Let(K.Var("rate_t", "f32"), rate))
        lets.append(K.Let(K.Var("beta_t", "f32"), K.Select(started, _f(attrs["beta"]),
                                                             _f(1.0))))
    return lets, {"rate": K.Var("rate_t", "f32"), "beta": K.Var("beta_t", "f32")}


UPDATES: dict[str, Callable] = {"Adagrad": _adagrad, "Momentum": _momentum, "Adam": _adam}
STATE_COUNTS = {"Adagrad": 1, "Momentum": 1, "Adam": 2}


@lowers("Adagrad", "Momentum", "Adam")
def lower_optimizer(ctx: LoweringContext, node: Any) -> None:
    name = node.op.name
    states_per_tensor = STATE_COUNTS[name]
    count = (len(node.inputs) - 2) // (2 + states_per_tensor)
    lets, scalars = _step_scalars(ctx, node)
    for k in range(count):
        size = int(np.prod(static_shape(node.inputs[2 + k]), dtype=np.int64))
        i = K.Var("i")
        loaded = [K.Load(ctx.buffer(node.inputs[2 + k + j * count]), i)
                  for j in range(2 + states_per_tensor)]
        extra = [scalars["beta"]] if name == "Momentum" else []
        results = UPDATES[name](node.attrs, scalars["rate"], loaded[0], loaded[1], loaded[2:],
                                *extra)
        outputs = [ctx.output(node.outputs[k + j * count]) for j in range(len(results))]
        stores = tuple(K.Store(out, i, value) for out, value in zip(outputs, results))
        loop = K.Loop(i, K.Const(0), K.Const(size), stores)
        ctx.emit(name.lower(), lets + [loop], node.describe())
