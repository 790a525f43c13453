"""Pooling converters: MaxPool, AveragePool, Global*Pool, LpPool, GlobalLpPool, MaxUnpool.

ONNX `ceil_mode` drops a last window that would start in the right padding (as PyTorch does);
that is OpenVINO's `ceil_torch` rounding of MaxPool-14/AvgPool-14.
"""

import numpy as np
from vinify.errors import UnknownOpError
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.convolution import spatial_rank, window
from vinify.frontends.onnx.converters.shape import (
    concat,
    convert,
    i64_const,
    reshape,
    scalar_like,
    shape_of,
    slice_dims,
)
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.op import lookup_op
from vinify.types import i64


def _pool_version(name: str) -> int:
    """14 where the ceil_torch rounding is declared, else the previous version."""
    try:
        lookup_op(name, 14)
        return 14
    except UnknownOpError:
        return 8 if name == "MaxPool" else 1


def _pool_attrs(ctx: NodeContext, rank: int, version: int) -> dict:
    frame = window(ctx, rank)
    rounding = "floor"
    if ctx.attr("ceil_mode", 0):
        rounding = "ceil_torch" if version == 14 else "ceil"
    return {"strides": frame.strides, "pads_begin": frame.pads_begin,
            "pads_end": frame.pads_end, "kernel": ctx.attr("kernel_shape"),
            "rounding_type": rounding, "auto_pad": frame.auto_pad,
            "dilations": frame.dilations}


@converter("MaxPool", since=1)
def max_pool(ctx: NodeContext) -> list[Value | None]:
    """Indices (second output) count over the whole flattened input, as OpenVINO's axis=0."""
    data = ctx.input(0)
    version = _pool_version("MaxPool")
    attrs = _pool_attrs(ctx, spatial_rank(ctx, data), version)
    wants_indices = len(ctx.node.output) > 1 and bool(ctx.node.output[1])
    node = ctx.make("MaxPool", version, data, index_element_type="i64", axis=0, **attrs)
    if not wants_indices:
        return [node.outputs[0], None]
    indices = node.outputs[1]
    if ctx.attr("storage_order", 0):
        indices = _column_major(ctx, data, indices)
    return [node.outputs[0], indices]


def _column_major(ctx: NodeContext, data: Value, indices: Value) -> Value:
    """Row-major flat indices of a 2-D pool rewritten as (n*C + c)*H*W + w*H + h."""
    dims = data.shape.dims if data.shape.rank_is_static else None
    if dims is None or len(dims) != 4 or not (dims[2].is_static and dims[3].is_static):
        raise ctx.error("column-major MaxPool indices need a 4-D input with static H and W")
    height, width = dims[2].min, dims[3].min

    def arithmetic(op: str, value: Value, number: int) -> Value:
        return as_value(ctx.make(op, 1, value, i64_const(ctx, number)))

    plane = arithmetic("FloorMod", indices, height * width)
    base = as_value(ctx.make("Subtract", 1, indices, plane))
    row = arithmetic("Divide", plane, width)
    column = arithmetic("FloorMod", plane, width)
    moved = as_value(ctx.make("Add", 1, arithmetic("Multiply", column, height), row))
    return as_value(ctx.make("Add", 1, base, moved))


def _avg_pool(ctx: NodeContext, data: Value, exclude_pad: bool) -> Value:
    version = _pool_version("AvgPool")
    attrs = _pool_attrs(ctx, spatial_rank(ctx, data), version)
    if any(d != 1 for d in attrs.pop("dilations")):
        raise ctx.error("average pooling with dilations is not supported")
    return as_value(ctx.make("AvgPool", version, data, **attrs, **{"exclude-pad": exclude_pad}))


@converter("AveragePool", since=1)
def average_pool(ctx: NodeContext) -> Value:
    return _avg_pool(ctx, ctx.input(0), not ctx.attr("count_include_pad", 0))


def _spatial_axes(ctx: NodeContext, data: Value) -> Value:
    return i64_const(ctx, list(range(2, 2 + spatial_rank(ctx, data))))


@converter("GlobalAveragePool", since=1)
def global_average_pool(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    return as_value(ctx.make("ReduceMean", 1, data, _spatial_axes(ctx, data), keep_dims=True))


@converter("GlobalMaxPool", since=1)
def global_max_pool(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    return as_value(ctx.make("ReduceMax", 1, data, _spatial_axes(ctx, data), keep_dims=True))


def _power(ctx: NodeContext, value: Value, exponent: float) -> Value:
    return as_value(ctx.make("Power", 1, value, scalar_like(ctx, exponent, value)))


@converter("GlobalLpPool", since=1)
def global_lp_pool(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    p = float(ctx.attr("p", 2))
    powered = _power(ctx, as_value(ctx.make("Abs", 1, data)), p)
    summed = as_value(ctx.make("ReduceSum", 1, powered, _spatial_axes(ctx, data), keep_dims=True))
    return _power(ctx, summed, 1.0 / p)


@converter("LpPool", since=1)
def lp_pool(ctx: NodeContext) -> Value:
    """(sum over the window of |x|^p)^(1/p): an average pool (pads counted) times window size."""
    data = ctx.input(0)
    p = float(ctx.attr("p", 2))
    powered = _power(ctx, as_value(ctx.make("Abs", 1, data)), p)
    mean = _avg_pool(ctx, powered, exclude_pad=False)
    size = float(np.prod(ctx.attr("kernel_shape")))
    summed = as_value(ctx.make("Multiply", 1, mean, scalar_like(ctx, size, mean)))
    return _power(ctx, summed, 1.0 / p)


def _default_unpool_shape(ctx: NodeContext, data: Value) -> Value:
    """The inverse of the pooling: (in - 1) * stride + kernel - pads, per spatial axis."""
    if not data.shape.rank_is_static or not all(d.is_static for d in data.shape.dims[2:]):
        raise ctx.error("MaxUnpool needs static spatial input dims")
    rank = data.shape.rank - 2
    kernel = ctx.attr("kernel_shape")
    strides = ctx.attr("strides", None) or [1] * rank
    pads = ctx.attr("pads", None) or [0] * (2 * rank)
    spatial = [(d.min - 1) * strides[i] + kernel[i] - pads[i] - pads[rank + i]
               for i, d in enumerate(data.shape.dims[2:])]
    return concat(ctx, [slice_dims(ctx, shape_of(ctx, data), 0, 2), i64_const(ctx, spatial)])


@converter("MaxUnpool", since=9)
def max_unpool(ctx: NodeContext) -> Value:
    """Scatters the values to their flat indices in a zero tensor of the unpooled shape; a
    larger `output_shape` pads that tensor at the end of each axis (as the ONNX reference
    outputs do; onnxruntime instead reads the indices as positions in the larger tensor)."""
    data, indices = ctx.input(0), ctx.input(1)
    target = _default_unpool_shape(ctx, data)
    total = as_value(ctx.make("ReduceProd", 1, target, i64_const(ctx, [0]), keep_dims=True))
    zeros = as_value(ctx.make("Broadcast", 3, scalar_like(ctx, 0, data), total))
    flat = as_value(ctx.make("ScatterElementsUpdate", 12, zeros, reshape(ctx, indices, [-1]),
                             reshape(ctx, data, [-1]), i64_const(ctx, 0)))
    unpooled = reshape(ctx, flat, target)
    given = ctx.optional_input(2)
    if given is None:
        return unpooled
    extra = as_value(ctx.make("Subtract", 1, convert(ctx, given, i64), target))
    begins = as_value(ctx.make("Multiply", 1, extra, i64_const(ctx, 0)))
    return as_value(ctx.make("Pad", 12, unpooled, begins, extra, scalar_like(ctx, 0, data),
                             pad_mode="constant"))
