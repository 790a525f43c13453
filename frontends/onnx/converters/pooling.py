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
        geometry = DilatedWindow(ctx, data)
        return _binary(ctx, "Divide", geometry.window_sums(data),
                       ctx.const(geometry.counts(exclude_pad).astype(data.element_type.dtype)))
    return as_value(ctx.make("AvgPool", version, data, **attrs, **{"exclude-pad": exclude_pad}))


def _binary(ctx: NodeContext, op: str, a: Value, b: Value) -> Value:
    return as_value(ctx.make(op, 1, a, b))


class DilatedWindow:
    """Pooling windows with dilations, which AvgPool lacks: window sums are a depthwise
    convolution with a kernel of ones, and the number of elements each window averages is
    computed here (per axis, then multiplied) from the static input shape."""

    def __init__(self, ctx: NodeContext, data: Value):
        self.ctx = ctx
        dims = data.shape.dims if data.shape.rank_is_static else None
        if dims is None or not all(d.is_static for d in dims[1:]):
            raise ctx.error("dilated average pooling needs static channel and spatial dims")
        self.channels = dims[1].min
        self.sizes = [d.min for d in dims[2:]]
        rank = len(self.sizes)
        frame = window(ctx, rank)
        self.kernel = list(ctx.attr("kernel_shape"))
        self.strides, self.dilations = frame.strides, frame.dilations
        self.begins, self.ends = frame.pads_begin, frame.pads_end
        if frame.auto_pad in ("same_upper", "same_lower"):
            self._same_pads(frame.auto_pad == "same_upper")
        self.outputs = [self._output_size(i, bool(ctx.attr("ceil_mode", 0)))
                        for i in range(rank)]

    def _extent(self, axis: int) -> int:
        return (self.kernel[axis] - 1) * self.dilations[axis] + 1

    def _same_pads(self, upper: bool) -> None:
        for i, size in enumerate(self.sizes):
            out = -(-size // self.strides[i])
            total = max((out - 1) * self.strides[i] + self._extent(i) - size, 0)
            small, large = total // 2, total - total // 2
            self.begins[i], self.ends[i] = (small, large) if upper else (large, small)

    def _output_size(self, axis: int, ceil: bool) -> int:
        span = self.sizes[axis] + self.begins[axis] + self.ends[axis] - self._extent(axis)
        if not ceil:
            return span // self.strides[axis] + 1
        out = -(-span // self.strides[axis]) + 1
        if (out - 1) * self.strides[axis] >= self.sizes[axis] + self.begins[axis]:
            out -= 1  # a last window starting in the end padding is dropped
        return out

    def window_sums(self, data: Value) -> Value:
        ctx = self.ctx
        rank = len(self.sizes)
        ones = np.ones([self.channels, 1, 1] + self.kernel, data.element_type.dtype)
        needed = [(self.outputs[i] - 1) * self.strides[i] + self._extent(i) - self.sizes[i]
                  - self.begins[i] for i in range(rank)]
        return as_value(ctx.make("GroupConvolution", 1, data, ctx.const(ones),
                                 strides=self.strides, dilations=self.dilations,
                                 pads_begin=self.begins,
                                 pads_end=[max(n, 0) for n in needed], auto_pad="explicit"))

    def counts(self, exclude_pad: bool) -> np.ndarray:
        """[1, 1, *out] numbers of input (or, with pads counted, input-or-pad) positions."""
        total = np.ones([1, 1], np.float64)
        for i, size in enumerate(self.sizes):
            starts = np.arange(self.outputs[i]) * self.strides[i] - self.begins[i]
            taps = starts[:, None] + np.arange(self.kernel[i]) * self.dilations[i]
            low, high = (0, size) if exclude_pad else (-self.begins[i], size + self.ends[i])
            per_axis = ((taps >= low) & (taps < high)).sum(axis=1)
            total = total[..., None] * per_axis
        return total


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
    if any(d != 1 for d in ctx.attr("dilations", None) or []):
        return _power(ctx, DilatedWindow(ctx, data).window_sums(powered), 1.0 / p)
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
