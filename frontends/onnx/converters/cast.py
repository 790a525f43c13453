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


def _power_of_two(ctx: NodeContext, x: Value) -> Value:
    """x rounded to a power of two as `round_mode` says (up, down; nearest is Convert's own),
    clamped to E8M0's range [2^-127, 2^127]: the float8 e8m0 format holds only exponents."""
    mode = ctx.attr("round_mode", "up")
    if mode not in ("up", "down") or not x.element_type.is_float:
        return x
    wide = ctx.make("Convert", 1, x, destination_type="f32").outputs[0]
    two = ctx.const(np.float32(2.0))
    log2 = ctx.make("Divide", 1, ctx.make("Log", 1, wide), ctx.const(np.float32(np.log(2.0))))
    guess = ctx.make("Power", 1, two, ctx.make("Round", 5, log2)).outputs[0]
    if mode == "up":  # the guess may be one power too low (or exact)
        low = ctx.make("Less", 1, guess, wide)
        result = ctx.make("Select", 1, low, ctx.make("Multiply", 1, guess, two), guess)
    else:
        high = ctx.make("Greater", 1, guess, wide)
        result = ctx.make("Select", 1, high, ctx.make("Divide", 1, guess, two), guess)
    if ctx.attr("saturate", 1):
        result = ctx.make("Maximum", 1, result, ctx.const(np.float32(2.0 ** -127)))
        result = ctx.make("Minimum", 1, result, ctx.const(np.float32(2.0 ** 127)))
    return result.outputs[0]


@converter("Cast", since=1)
def cast(ctx: NodeContext):
    target = element_type_of(ctx.attr("to"), f"ONNX node '{ctx.name}'")
    x = ctx.input(0)
    if x.element_type == target:
        return x
    if target.name == "f8e8m0":
        x = _power_of_two(ctx, x)
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
