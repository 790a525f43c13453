"""Quantization converters: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
QLinearConv, QLinearMatMul.

All are written out as float arithmetic: y = saturate(round_half_even(x / scale) + zero_point)
and x = (q - zero_point) * scale. Scales and zero points are per tensor (scalars), per axis (1-D,
along `axis`) or per block (same rank as the input, each entry covering `block_size` elements).
"""

import ml_dtypes
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.convolution import add_channel_bias, convolve, spatial_rank
from vinify.frontends.onnx.converters.shape import (
    convert,
    i64_const,
    normalize_axis,
    reshape,
    scalar_like,
    unsqueeze,
)
from vinify.frontends.onnx.registry import converter
from vinify.frontends.onnx.types import element_type_of
from vinify.ir import Value, as_value
from vinify.types import ElementType, f32, u8


def _binary(ctx: NodeContext, op: str, a: Value, b: Value) -> Value:
    return as_value(ctx.make(op, 1, a, b))


def _expand_blocks(ctx: NodeContext, param: Value, data: Value, axis: int, block: int) -> Value:
    """A blocked parameter (one entry per `block` elements along `axis`) repeated to `data`."""
    if not (param.shape.is_static and data.shape.is_static):
        raise ctx.error("blocked quantization needs static shapes")
    dims = list(param.shape.to_tuple())
    repeated = unsqueeze(ctx, param, [axis + 1])
    target = dims[:axis + 1] + [block] + dims[axis + 1:]
    repeated = as_value(ctx.make("Broadcast", 3, repeated, i64_const(ctx, target)))
    merged = reshape(ctx, repeated, dims[:axis] + [dims[axis] * block] + dims[axis + 1:])
    length = data.shape.to_tuple()[axis]
    return as_value(ctx.make("Slice", 8, merged, i64_const(ctx, [0]), i64_const(ctx, [length]),
                             i64_const(ctx, [1]), i64_const(ctx, [axis])))


def broadcastable(ctx: NodeContext, param: Value | None, data: Value, axis: int) -> Value | None:
    """A scale or zero point shaped to broadcast against `data` (per tensor, axis or block)."""
    if param is None or not param.shape.rank_is_static or not data.shape.rank_is_static:
        return param
    rank, param_rank = data.shape.rank, param.shape.rank
    if param_rank == 0 or (param.shape.is_static and param.shape.to_tuple() == (1,)):
        return param
    axis = normalize_axis(ctx, axis, rank)
    block = ctx.attr("block_size", 0)
    if block > 0:
        return _expand_blocks(ctx, param, data, axis, block)
    if param_rank == 1 and rank > 1:
        return unsqueeze(ctx, param, [a for a in range(rank) if a != axis])
    return param


def dequantize(ctx: NodeContext, data: Value, scale: Value, zero_point: Value | None,
               axis: int) -> Value:
    """(data - zero_point) * scale in the scale's element type."""
    scale = broadcastable(ctx, scale, data, axis)
    wide = convert(ctx, data, scale.element_type)
    if zero_point is not None:
        zero_point = broadcastable(ctx, zero_point, data, axis)
        wide = _binary(ctx, "Subtract", wide, convert(ctx, zero_point, scale.element_type))
    return _binary(ctx, "Multiply", wide, scale)


def _saturated(ctx: NodeContext, value: Value, elem: ElementType) -> Value:
    """`value` (float) clamped to the range of `elem`, then converted to it."""
    if elem.is_float:
        top = float(ml_dtypes.finfo(elem.dtype).max)
        if not ctx.attr("saturate", 1):
            return convert(ctx, value, elem)
    else:
        info = ml_dtypes.iinfo(elem.dtype)
        value = as_value(ctx.make("Round", 5, value, mode="half_to_even"))
        low = as_value(ctx.make("Maximum", 1, value, scalar_like(ctx, int(info.min), value)))
        value = as_value(ctx.make("Minimum", 1, low, scalar_like(ctx, int(info.max), value)))
        return convert(ctx, value, elem)
    low = as_value(ctx.make("Maximum", 1, value, scalar_like(ctx, -top, value)))
    return convert(ctx, as_value(ctx.make("Minimum", 1, low, scalar_like(ctx, top, value))), elem)


def quantize(ctx: NodeContext, data: Value, scale: Value, zero_point: Value | None,
             axis: int, elem: ElementType) -> Value:
    """saturate(round(data / scale) + zero_point) as `elem`, computed in f32 (or wider)."""
    work = f32 if data.element_type.bitwidth < 32 else data.element_type
    scaled = _binary(ctx, "Divide", convert(ctx, data, work),
                     convert(ctx, broadcastable(ctx, scale, data, axis), work))
    if not elem.is_float:
        scaled = as_value(ctx.make("Round", 5, scaled, mode="half_to_even"))
    if zero_point is not None:
        zero_point = broadcastable(ctx, zero_point, data, axis)
        scaled = _binary(ctx, "Add", scaled, convert(ctx, zero_point, work))
    return _saturated(ctx, scaled, elem)


def _output_type(ctx: NodeContext, zero_point: Value | None) -> ElementType:
    if zero_point is not None:
        return zero_point.element_type
    code = ctx.attr("output_dtype", 0)
    return element_type_of(code, ctx.name) if code else u8


@converter("QuantizeLinear", since=10)
def quantize_linear(ctx: NodeContext) -> Value:
    zero_point = ctx.optional_input(2)
    return quantize(ctx, ctx.input(0), ctx.input(1), zero_point, ctx.attr("axis", 1),
                    _output_type(ctx, zero_point))


@converter("DequantizeLinear", since=10)
def dequantize_linear(ctx: NodeContext) -> Value:
    result = dequantize(ctx, ctx.input(0), ctx.input(1), ctx.optional_input(2),
                        ctx.attr("axis", 1))
    code = ctx.attr("output_dtype", 0)
    return convert(ctx, result, element_type_of(code, ctx.name)) if code else result


def _reduce_all(ctx: NodeContext, op: str, value: Value) -> Value:
    axes = i64_const(ctx, list(range(value.shape.rank)))
    return as_value(ctx.make(op, 1, value, axes, keep_dims=False))


@converter("DynamicQuantizeLinear", since=11)
def dynamic_quantize_linear(ctx: NodeContext) -> list[Value]:
    """u8 quantization over the data's range widened to include 0: scale = range / 255."""
    data = ctx.input(0)
    zero = scalar_like(ctx, 0, data)
    low = _binary(ctx, "Minimum", _reduce_all(ctx, "ReduceMin", data), zero)
    high = _binary(ctx, "Maximum", _reduce_all(ctx, "ReduceMax", data), zero)
    scale = _binary(ctx, "Divide", _binary(ctx, "Subtract", high, low),
                    scalar_like(ctx, 255, data))
    shifted = _binary(ctx, "Subtract", zero, _binary(ctx, "Divide", low, scale))
    zero_point = _saturated(ctx, shifted, u8)
    return [quantize(ctx, data, scale, zero_point, 1, u8), scale, zero_point]


@converter("QLinearConv", since=10)
def qlinear_conv(ctx: NodeContext) -> Value:
    data, weights = ctx.input(0), ctx.input(3)
    real_data = dequantize(ctx, data, ctx.input(1), ctx.optional_input(2), 1)
    real_weights = dequantize(ctx, weights, ctx.input(4), ctx.optional_input(5), 0)
    output = convolve(ctx, real_data, real_weights)
    bias = ctx.optional_input(8)
    if bias is not None:
        bias_scale = _binary(ctx, "Multiply", reshape(ctx, ctx.input(1), [-1]),
                             reshape(ctx, ctx.input(4), [-1]))
        bias = _binary(ctx, "Multiply", convert(ctx, bias, bias_scale.element_type), bias_scale)
    output = add_channel_bias(ctx, output, bias, spatial_rank(ctx, data))
    zero_point = ctx.optional_input(7)
    return quantize(ctx, output, ctx.input(6), zero_point, 1, _output_type(ctx, zero_point))


def _row_scale(ctx: NodeContext, param: Value | None) -> Value | None:
    """A per-row parameter of the left operand ([M]) as [M, 1]."""
    if param is None or not param.shape.rank_is_static or param.shape.rank != 1:
        return param
    if param.shape.is_static and param.shape.to_tuple() == (1,):
        return param
    return unsqueeze(ctx, param, [1])


@converter("QLinearMatMul", since=10)
def qlinear_matmul(ctx: NodeContext) -> Value:
    a = _dequantize_operand(ctx, 0, row=True)
    b = _dequantize_operand(ctx, 3, row=False)
    product = as_value(ctx.make("MatMul", 1, a, b))
    zero_point = ctx.optional_input(7)
    elem = _output_type(ctx, zero_point)
    scaled = _binary(ctx, "Divide", product, convert(ctx, ctx.input(6), product.element_type))
    scaled = as_value(ctx.make("Round", 5, scaled, mode="half_to_even"))
    if zero_point is not None:
        scaled = _binary(ctx, "Add", scaled, convert(ctx, zero_point, product.element_type))
    return _saturated(ctx, scaled, elem)


def _dequantize_operand(ctx: NodeContext, first: int, row: bool) -> Value:
    data, scale, zero_point = ctx.input(first), ctx.input(first + 1), ctx.input(first + 2)
    if row:
        scale, zero_point = _row_scale(ctx, scale), _row_scale(ctx, zero_point)
    wide = convert(ctx, data, f32)
    shifted = _binary(ctx, "Subtract", wide, convert(ctx, zero_point, f32))
    return _binary(ctx, "Multiply", shifted, convert(ctx, scale, f32))
