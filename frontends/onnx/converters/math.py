"""Unary math (Abs, Neg, Sqrt, Exp, Log, trig, hyperbolic, Erf, Floor, Ceil, Round, Sign,
Reciprocal), floating-point tests (IsNaN, IsInf) and Clip in its attribute (<11) and input forms.
"""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter

_UNARY = {
    "Abs": ("Abs", 1), "Neg": ("Negative", 1), "Sqrt": ("Sqrt", 1), "Exp": ("Exp", 1),
    "Log": ("Log", 1), "Floor": ("Floor", 1), "Ceil": ("Ceiling", 1), "Sign": ("Sign", 1),
    "Sin": ("Sin", 1), "Cos": ("Cos", 1), "Tan": ("Tan", 1), "Asin": ("Asin", 1),
    "Acos": ("Acos", 1), "Atan": ("Atan", 1), "Sinh": ("Sinh", 1), "Cosh": ("Cosh", 1),
    "Asinh": ("Asinh", 4), "Acosh": ("Acosh", 4), "Atanh": ("Atanh", 4), "Erf": ("Erf", 1),
    "IsNaN": ("IsNaN", 10), "Round": ("Round", 5),
}


def _unary_converter(op_name: str, version: int):
    def convert(ctx: NodeContext):
        return ctx.make(op_name, version, ctx.input(0))

    convert.__name__ = f"convert_{op_name}"
    return convert


for _onnx_name, (_op_name, _version) in _UNARY.items():
    converter(_onnx_name, since=1)(_unary_converter(_op_name, _version))


@converter("Reciprocal", since=1)
def reciprocal(ctx: NodeContext):
    x = ctx.input(0)
    return ctx.make("Divide", 1, ctx.const(np.ones((), x.element_type.dtype)), x)


@converter("IsInf", since=10)
def is_inf(ctx: NodeContext):
    return ctx.make("IsInf", 10, ctx.input(0),
                    detect_negative=bool(ctx.attr("detect_negative", 1)),
                    detect_positive=bool(ctx.attr("detect_positive", 1)))


@converter("Clip", since=1)
def clip_attributes(ctx: NodeContext):
    """Opsets 1-10: bounds are float attributes (default: the type's whole range)."""
    x = ctx.input(0)
    dtype = x.element_type.dtype
    result = x
    if ctx.has_attr("min"):
        result = ctx.make("Maximum", 1, result, ctx.const(np.asarray(ctx.attr("min"), dtype)))
    if ctx.has_attr("max"):
        result = ctx.make("Minimum", 1, result, ctx.const(np.asarray(ctx.attr("max"), dtype)))
    return result


@converter("Clip", since=11)
def clip_inputs(ctx: NodeContext):
    """Opset 11+: optional scalar inputs min and max; min is applied first (so max wins)."""
    result = ctx.input(0)
    low, high = ctx.optional_input(1), ctx.optional_input(2)
    if low is not None:
        result = ctx.make("Maximum", 1, result, low).outputs[0]
    if high is not None:
        result = ctx.make("Minimum", 1, result, high).outputs[0]
    return result


@converter("CumProd", since=26)
def cum_prod(ctx: NodeContext):
    return ctx.make("CumProd", 1, ctx.input(0), ctx.input(1),
                    exclusive=bool(ctx.attr("exclusive", 0)), reverse=bool(ctx.attr("reverse", 0)))
