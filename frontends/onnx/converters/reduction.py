"""Reductions: Reduce* (axes attribute, later input; noop_with_empty_axes), ArgMax, ArgMin, TopK.

ReduceLogSum, ReduceLogSumExp and ReduceSumSquare have no OpenVINO op; they are a reduction
wrapped in elementwise ops.
"""

from typing import Callable

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    all_axes,
    axes_argument,
    axes_value,
    convert,
    dim_value,
    i64_const,
    normalize_axis,
    static_rank,
    to_scalar,
)
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import boolean, i64

# ONNX op -> (OpenVINO op, version); the opset from which `axes` is an input
_DIRECT = {
    "ReduceSum": ("ReduceSum", 1), "ReduceMean": ("ReduceMean", 1),
    "ReduceMax": ("ReduceMax", 1), "ReduceMin": ("ReduceMin", 1),
    "ReduceProd": ("ReduceProd", 1), "ReduceL1": ("ReduceL1", 4), "ReduceL2": ("ReduceL2", 4),
}

# the max/min of booleans are their logical or/and
_BOOLEAN = {"ReduceMax": ("ReduceLogicalOr", 1), "ReduceMin": ("ReduceLogicalAnd", 1)}


def _axes_input_since(op_type: str) -> int:
    return 13 if op_type == "ReduceSum" else 18


def reduce(ctx: NodeContext, data: Value, op: tuple[str, int]) -> Value:
    """`data` reduced over the node's axes with the node's keepdims (all axes when none given)."""
    axes = axes_argument(ctx, _axes_input_since(ctx.op_type))
    if axes is None or (isinstance(axes, list) and not axes):
        if ctx.attr("noop_with_empty_axes", 0):
            return data
        axes_input = all_axes(ctx, data)
    else:
        axes_input = axes_value(ctx, axes)
    if data.element_type == boolean and op[0] in _BOOLEAN:
        op = _BOOLEAN[op[0]]
    return as_value(ctx.make(op[0], op[1], data, axes_input,
                             keep_dims=bool(ctx.attr("keepdims", 1))))


def _direct(op_type: str) -> Callable:
    def convert_reduction(ctx: NodeContext) -> Value:
        return reduce(ctx, ctx.input(0), _DIRECT[op_type])

    convert_reduction.__name__ = f"convert_{op_type}"
    return convert_reduction


for _op_type in _DIRECT:
    converter(_op_type, since=1)(_direct(_op_type))


@converter("ReduceSumSquare", since=1)
def reduce_sum_square(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    return reduce(ctx, as_value(ctx.make("Multiply", 1, data, data)), ("ReduceSum", 1))


@converter("ReduceLogSum", since=1)
def reduce_log_sum(ctx: NodeContext) -> Value:
    return as_value(ctx.make("Log", 1, reduce(ctx, ctx.input(0), ("ReduceSum", 1))))


@converter("ReduceLogSumExp", since=1)
def reduce_log_sum_exp(ctx: NodeContext) -> Value:
    exp = as_value(ctx.make("Exp", 1, ctx.input(0)))
    return as_value(ctx.make("Log", 1, reduce(ctx, exp, ("ReduceSum", 1))))


def _arg_extreme(ctx: NodeContext, mode: str) -> Value:
    """ArgMax/ArgMin as TopK with k=1; the first extreme unless select_last_index is set."""
    data = ctx.input(0)
    axis = normalize_axis(ctx, ctx.attr("axis", 0), static_rank(ctx, data))
    last = bool(ctx.attr("select_last_index", 0))
    source = data
    if last:
        source = as_value(ctx.make("Reverse", 1, data, i64_const(ctx, [axis]), mode="index"))
    top = ctx.make("TopK", 11, source, i64_const(ctx, 1), axis=axis, mode=mode, sort="none",
                   index_element_type="i64", stable=True)
    index = top.outputs[1]
    if last:
        final = as_value(ctx.make("Subtract", 1, dim_value(ctx, data, axis), i64_const(ctx, 1)))
        index = as_value(ctx.make("Subtract", 1, final, index))
    if ctx.attr("keepdims", 1):
        return index
    return as_value(ctx.make("Squeeze", 1, index, i64_const(ctx, [axis])))


@converter("ArgMax", since=1)
def arg_max(ctx: NodeContext) -> Value:
    return _arg_extreme(ctx, "max")


@converter("ArgMin", since=1)
def arg_min(ctx: NodeContext) -> Value:
    return _arg_extreme(ctx, "min")


@converter("TopK", since=1)
def top_k(ctx: NodeContext) -> list[Value]:
    """Ties keep the lower index first (stable); TopK-11 adds largest/sorted."""
    data = ctx.input(0)
    if ctx.opset < 10:
        k = i64_const(ctx, ctx.attr("k"))
    else:
        k = convert(ctx, to_scalar(ctx, ctx.input(1)), i64)
    mode = "max" if ctx.attr("largest", 1) else "min"
    node = ctx.make("TopK", 11, data, k, axis=ctx.attr("axis", -1), mode=mode, sort="value",
                    index_element_type="i64", stable=True)
    return list(node.outputs)
