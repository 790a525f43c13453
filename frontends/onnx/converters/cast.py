"""Cast and CastLike onto Convert/ConvertLike.

Casting to a float8 type saturates by default (`saturate=1`, opset 19+): values beyond the
type's range, infinities included, become its largest finite value. Convert itself does not
saturate, so the converter clamps first.
"""

import ml_dtypes
import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter
from vinify.frontends.onnx.types import element_type_of
from vinify.ir import Value
from vinify.types import ElementType

_SATURATING = ("f8e4m3", "f8e5m2", "f8e4m3fnuz", "f8e5m2fnuz")


def _saturated(ctx: NodeContext, x: Value, target: ElementType) -> Value:
    if not ctx.attr("saturate", 1) or target.name not in _SATURATING:
        return x
    if not x.element_type.is_float:
        return x
    largest = float(ml_dtypes.finfo(target.dtype).max)
    dtype = x.element_type.dtype
    low = ctx.make("Maximum", 1, x, ctx.const(np.asarray(-largest, dtype)))
    return ctx.make("Minimum", 1, low, ctx.const(np.asarray(largest, dtype))).outputs[0]


@converter("Cast", since=1)
def cast(ctx: NodeContext):
    target = element_type_of(ctx.attr("to"), f"ONNX node '{ctx.name}'")
    x = ctx.input(0)
    if x.element_type == target:
        return x
    return ctx.make("Convert", 1, _saturated(ctx, x, target), destination_type=target)


@converter("CastLike", since=15)
def cast_like(ctx: NodeContext):
    x, like = ctx.input(0), ctx.input(1)
    if x.element_type == like.element_type:
        return x
    return ctx.make("ConvertLike", 1, _saturated(ctx, x, like.element_type), like)


@converter("BitCast", since=26)
def bit_cast(ctx: NodeContext):
    target = element_type_of(ctx.attr("to"), f"ONNX node '{ctx.name}'")
    return ctx.make("BitCast", 1, ctx.input(0), destination_type=target)
