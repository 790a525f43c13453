"""Data movement: views (Reshape, Squeeze, Unsqueeze, same-type Convert), Concat, Transpose,
and element type conversion.

A view shares its input's buffer (the memory planner keeps the bytes alive for both). Concat
copies each input into its slice of the output; Transpose reads the input through permuted
strides, so both are strided maps with an identity formula.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, kernel_dtype, lowers, static_shape
from vinify.codegen.lowering.elementwise import broadcast_strides, emit_strided_map
from vinify.errors import DeviceError


@lowers("Reshape", "Squeeze", "Unsqueeze")
def lower_view(ctx: LoweringContext, node: Any) -> None:
    static_shape(node.outputs[0])
    ctx.alias(node.outputs[0], node.inputs[0])


@lowers("Convert")
def lower_convert(ctx: LoweringContext, node: Any) -> None:
    from vinify.codegen.lowering import storage_types

    if storage_types.is_storage_conversion(node.inputs[0], node.outputs[0]):
        if node.inputs[0].element_type == node.outputs[0].element_type:
            ctx.alias(node.outputs[0], node.inputs[0])
            return
        storage_types.lower_storage_conversion(ctx, node)
        return
    source, target = kernel_dtype(node.inputs[0]), kernel_dtype(node.outputs[0])
    to_boolean = node.outputs[0].element_type.name == "boolean"
    if source == target and (not to_boolean or node.inputs[0].element_type.name == "boolean"):
        ctx.alias(node.outputs[0], node.inputs[0])
        return
    shape = static_shape(node.inputs[0])
    strides = broadcast_strides(shape, shape)
    emit_strided_map(ctx, [ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])],
                     list(shape), [strides, strides], _conversion(node.outputs[0], target),
                     "convert", node.describe())


def _conversion(out_value: Any, target: str):
    """Booleans (u8 0/1) are `x != 0`, not the low bits of x."""
    if out_value.element_type.name == "boolean":
        return lambda xs: K.Cast(K.Cast(xs[0], "i1"), "u8")
    return lambda xs: K.Cast(xs[0], target)


@lowers("Concat")
def lower_concat(ctx: LoweringContext, node: Any) -> None:
    out_shape = static_shape(node.outputs[0])
    axis = node.attrs["axis"] % len(out_shape)
    out = ctx.output(node.outputs[0])
    out_strides = broadcast_strides(out_shape, out_shape)
    offset = 0
    for value in node.inputs:
        shape = static_shape(value)
        if shape[axis] == 0:
            continue
        emit_strided_map(ctx, [ctx.buffer(value), out], list(shape),
                         [broadcast_strides(shape, shape), out_strides], lambda xs: xs[0],
                         "concat", node.describe(), out_offset=offset * out_strides[axis])
        offset += shape[axis]


@lowers("Transpose")
def lower_transpose(ctx: LoweringContext, node: Any) -> None:
    order = ctx.constant(node.inputs[1])
    if order is None:
        raise DeviceError(f"CPU: {node.describe()}: the permutation must be constant")
    in_shape = static_shape(node.inputs[0])
    out_shape = static_shape(node.outputs[0])
    order = [int(a) for a in np.asarray(order).reshape(-1)] or list(range(len(in_shape)))[::-1]
    in_strides = [int(np.prod(in_shape[a + 1:], dtype=np.int64)) for a in range(len(in_shape))]
    permuted = [in_strides[a] for a in order]
    emit_strided_map(ctx, [ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])],
                     list(out_shape), [permuted, broadcast_strides(out_shape, out_shape)],
                     lambda xs: xs[0], "transpose", node.describe())
