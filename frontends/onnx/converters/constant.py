"""Constant, ConstantOfShape, Identity and Dropout (inference: the identity and an all-true mask).
"""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter
from vinify.frontends.onnx.types import sparse_to_array
from vinify.ir import CONSTANT_FOLD_LIMIT, Value

_VALUE_ATTRIBUTES = ("value", "value_float", "value_floats", "value_int", "value_ints",
                     "value_string", "value_strings", "sparse_value")


def constant_array(ctx: NodeContext) -> np.ndarray:
    """The value a Constant node holds, from whichever of its value attributes is set."""
    present = [name for name in _VALUE_ATTRIBUTES if ctx.has_attr(name)]
    if len(present) != 1:
        raise ctx.error(f"needs exactly one value attribute, got {present}")
    name = present[0]
    if name == "sparse_value":
        return sparse_to_array(ctx._attrs["sparse_value"].sparse_tensor, f"ONNX node '{ctx.name}'")
    value = ctx.attr(name)
    if name in ("value_float", "value_floats"):
        return np.asarray(value, np.float32)
    if name in ("value_int", "value_ints"):
        return np.asarray(value, np.int64)
    if name in ("value_string", "value_strings"):
        return np.asarray(value, dtype=object)
    return value


@converter("Constant", since=1)
def constant_(ctx: NodeContext):
    return ctx.const(constant_array(ctx))


@converter("ConstantOfShape", since=9)
def constant_of_shape(ctx: NodeContext):
    fill = ctx.attr("value", np.zeros(1, np.float32)).reshape(-1)
    if fill.size != 1:
        raise ctx.error(f"'value' must hold one element, got {fill.size}")
    shape = ctx.const_value(ctx.input(0))
    if shape is not None and np.all(shape >= 0) and np.prod(shape) <= CONSTANT_FOLD_LIMIT:
        return ctx.const(np.full(tuple(int(d) for d in shape), fill[0], dtype=fill.dtype))
    return ctx.make("Broadcast", 3, ctx.const(fill.reshape(())), ctx.input(0))  # large: at run


@converter("Identity", since=1)
def identity(ctx: NodeContext):
    return ctx.input(0)


def _all_true_like(ctx: NodeContext, x: Value) -> Value:
    if x.shape.is_static:
        return ctx.const(np.ones(x.shape.to_tuple(), bool))
    shape = ctx.make("ShapeOf", 3, x, output_type="i64")
    return ctx.make("Broadcast", 3, ctx.const(np.array(True)), shape).outputs[0]


@converter("Dropout", since=1)
def dropout(ctx: NodeContext):
    """The identity at inference; a training flag or ratio known only at run time goes to the
    internal TrainingDropout op."""
    x = ctx.input(0)
    ratio, training = ctx.optional_input(1), ctx.optional_input(2)
    wants_mask = len(ctx.node.output) > 1 and bool(ctx.node.output[1])
    if training is not None and not _known_false(ctx, training) and not _known_zero(ctx, ratio):
        if ratio is None:
            ratio = ctx.const(np.array(0.5, np.float32))
        node = ctx.make("TrainingDropout", 1, x, ratio, training, seed=ctx.attr("seed", 0),
                        has_seed=ctx.has_attr("seed"))
        return list(node.outputs)
    return [x, _all_true_like(ctx, x)] if wants_mask else [x]


def _known_false(ctx: NodeContext, value: Value) -> bool:
    known = ctx.const_value(value)
    return known is not None and not bool(np.asarray(known).reshape(-1)[0])


def _known_zero(ctx: NodeContext, value: Value | None) -> bool:
    known = ctx.const_value(value)
    return known is not None and float(np.asarray(known).reshape(-1)[0]) == 0.0
