"""Constant, ConstantOfShape, Identity and Dropout (inference: the identity and an all-true mask).
"""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value

_VALUE_ATTRIBUTES = ("value", "value_float", "value_floats", "value_int", "value_ints",
                     "value_string", "value_strings", "sparse_value")


def constant_array(ctx: NodeContext) -> np.ndarray:
    """The value a Constant node holds, from whichever of its value attributes is set."""
    present = [name for name in _VALUE_ATTRIBUTES if ctx.has_attr(name)]
    if len(present) != 1:
        raise ctx.error(f"needs exactly one value attribute, got {present}")
    name = present[0]
    if name == "sparse_value":
        return _dense(ctx)
    value = ctx.attr(name)
    if name in ("value_float", "value_floats"):
        return np.asarray(value, np.float32)
    if name in ("value_int", "value_ints"):
        return np.asarray(value, np.int64)
    if name in ("value_string", "value_strings"):
        return np.asarray(value, dtype=object)
    return value


def _dense(ctx: NodeContext) -> np.ndarray:
    from onnx import numpy_helper

    sparse = ctx._attrs["sparse_value"].sparse_tensor
    values = numpy_helper.to_array(sparse.values)
    indices = numpy_helper.to_array(sparse.indices).astype(np.int64)
    dense = np.zeros(tuple(sparse.dims), values.dtype)
    if indices.ndim == 1:
        dense.reshape(-1)[indices] = values
    else:
        dense[tuple(indices.T)] = values
    return dense


@converter("Constant", since=1)
def constant_(ctx: NodeContext):
    return ctx.const(constant_array(ctx))


@converter("ConstantOfShape", since=9)
def constant_of_shape(ctx: NodeContext):
    fill = ctx.attr("value", np.zeros(1, np.float32)).reshape(-1)
    if fill.size != 1:
        raise ctx.error(f"'value' must hold one element, got {fill.size}")
    shape = ctx.const_value(ctx.input(0))
    if shape is not None:
        return ctx.const(np.full(tuple(int(d) for d in shape), fill[0], dtype=fill.dtype))
    return ctx.make("Broadcast", 3, ctx.const(fill.reshape(())), ctx.input(0))


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
    """Inference only: training mode (or is_test=0 before opset 7) with a ratio is refused."""
    x = ctx.input(0)
    training = ctx.optional_input(2)
    if training is not None:
        flag = ctx.const_value(training)
        if flag is None or bool(np.asarray(flag).reshape(-1)[0]):
            ratio = ctx.const_value(ctx.optional_input(1))
            if ratio is None or float(np.asarray(ratio).reshape(-1)[0]) != 0.0:
                raise ctx.error("training-mode Dropout is random; only inference is supported")
    outputs = [x]
    if len(ctx.node.output) > 1 and ctx.node.output[1]:
        outputs.append(_all_true_like(ctx, x))
    return outputs
