"""Elementwise arithmetic: Add, Sub, Mul, Div, Pow, Mod, and the variadic Sum/Mean/Max/Min.

From opset 7 ONNX broadcasts multidirectionally (numpy rules), which is the OpenVINO ops'
`auto_broadcast="numpy"`. Before opset 7 a binary op broadcast only when `broadcast=1`, aligning
the second input at `axis`; that form is rewritten to numpy broadcasting with an Unsqueeze.
"""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value


def legacy_broadcast_operand(ctx: NodeContext, a: Value, b: Value) -> Value:
    """The second operand of a pre-opset-7 binary op aligned for numpy broadcasting."""
    if ctx.opset >= 7 or not ctx.attr("broadcast", 0) or not ctx.has_attr("axis"):
        return b
    if not (a.shape.rank_is_static and b.shape.rank_is_static):
        raise ctx.error("legacy broadcasting with 'axis' needs inputs of known rank")
    axis = ctx.attr("axis") % max(a.shape.rank, 1)
    trailing = a.shape.rank - axis - b.shape.rank
    if trailing <= 0:
        return b
    axes = ctx.const(np.arange(b.shape.rank, b.shape.rank + trailing, dtype=np.int64))
    return ctx.make("Unsqueeze", 1, b, axes).outputs[0]


def binary(ctx: NodeContext, op_name: str, version: int = 1, **attrs) -> Value:
    a, b = ctx.input(0), ctx.input(1)
    b = legacy_broadcast_operand(ctx, a, b)
    return ctx.make(op_name, version, a, b, **attrs).outputs[0]


@converter("Add", since=1)
def add(ctx: NodeContext):
    return binary(ctx, "Add")


@converter("Sub", since=1)
def sub(ctx: NodeContext):
    return binary(ctx, "Subtract")


@converter("Mul", since=1)
def mul(ctx: NodeContext):
    return binary(ctx, "Multiply")


@converter("Div", since=1)
def div(ctx: NodeContext):
    """ONNX integer division truncates toward zero (C semantics), not Python's floor."""
    return binary(ctx, "Divide", m_pythondiv=False)


@converter("Pow", since=1)
def pow_(ctx: NodeContext):
    base, exponent = ctx.input(0), ctx.input(1)
    if exponent.element_type != base.element_type:  # opset 12+: exponent of another type
        exponent = ctx.make("ConvertLike", 1, exponent, base).outputs[0]
    exponent = legacy_broadcast_operand(ctx, base, exponent)
    return ctx.make("Power", 1, base, exponent).outputs[0]


@converter("Mod", since=10)
def mod(ctx: NodeContext):
    """fmod=0: the result takes the divisor's sign (Python %); fmod=1: the dividend's (C fmod).
    """
    a, b = ctx.input(0), ctx.input(1)
    if ctx.attr("fmod", 0):
        return ctx.make("Mod", 1, a, b).outputs[0]
    return ctx.make("FloorMod", 1, a, b).outputs[0]


def variadic(ctx: NodeContext, op_name: str) -> Value:
    """A left fold of the inputs with a binary op (one input passes through unchanged)."""
    values = [v for v in ctx.inputs() if v is not None]
    if not values:
        raise ctx.error("needs at least one input")
    result = values[0]
    for value in values[1:]:
        result = ctx.make(op_name, 1, result, value).outputs[0]
    return result


@converter("Sum", since=1)
def sum_(ctx: NodeContext):
    return variadic(ctx, "Add")


@converter("Max", since=1)
def max_(ctx: NodeContext):
    return variadic(ctx, "Maximum")


@converter("Min", since=1)
def min_(ctx: NodeContext):
    return variadic(ctx, "Minimum")


@converter("Mean", since=1)
def mean(ctx: NodeContext):
    values = [v for v in ctx.inputs() if v is not None]
    total = variadic(ctx, "Add")
    count = ctx.const(np.array(len(values), dtype=total.element_type.dtype))
    return ctx.make("Divide", 1, total, count).outputs[0]
