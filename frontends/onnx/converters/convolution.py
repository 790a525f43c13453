"""Convolution converters: Conv, ConvTranspose, ConvInteger.

ONNX keeps grouped weights as [C_out, C_in/group, k...]; OpenVINO's GroupConvolution wants
[group, C_out/group, C_in/group, k...], so grouped weights are reshaped (at run time when their
shape is dynamic). ConvTranspose paddings that ONNX derives from `output_shape` or SAME auto-pad
are computed here when the spatial input shape is static, because ONNX and OpenVINO split an odd
total padding differently.
"""

from dataclasses import dataclass

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    concat,
    convert,
    i64_const,
    reshape,
    shape_of,
    slice_dims,
    unsqueeze,
)
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import f32, i32

AUTO_PAD = {"NOTSET": "explicit", "SAME_UPPER": "same_upper", "SAME_LOWER": "same_lower",
            "VALID": "valid", "": "explicit"}


@dataclass
class Window:
    """The sliding-window attributes of a Conv/ConvTranspose/pool node, OpenVINO-named."""

    strides: list[int]
    dilations: list[int]
    pads_begin: list[int]
    pads_end: list[int]
    auto_pad: str

    def attrs(self) -> dict:
        return {"strides": self.strides, "dilations": self.dilations,
                "pads_begin": self.pads_begin, "pads_end": self.pads_end,
                "auto_pad": self.auto_pad}


def spatial_rank(ctx: NodeContext, data: Value, weights: Value | None = None) -> int:
    """Number of spatial axes, from the data rank or else the weights rank."""
    for value in (data, weights):
        if value is not None and value.shape.rank_is_static:
            return value.shape.rank - 2
    kernel = ctx.attr("kernel_shape", None)
    if kernel is None:
        raise ctx.error("cannot tell the number of spatial axes: dynamic ranks, no kernel_shape")
    return len(kernel)


def window(ctx: NodeContext, rank: int) -> Window:
    auto_pad = ctx.attr("auto_pad", "NOTSET")
    if auto_pad not in AUTO_PAD:
        raise ctx.error(f"unknown auto_pad '{auto_pad}'")
    pads = ctx.attr("pads", None) or [0] * (2 * rank)
    if len(pads) != 2 * rank:
        raise ctx.error(f"pads has {len(pads)} values for {rank} spatial axes")
    return Window(strides=ctx.attr("strides", None) or [1] * rank,
                  dilations=ctx.attr("dilations", None) or [1] * rank,
                  pads_begin=list(pads[:rank]), pads_end=list(pads[rank:]),
                  auto_pad=AUTO_PAD[auto_pad])


def group_weights(ctx: NodeContext, weights: Value, group: int) -> Value:
    """[C0, C1, k...] -> [group, C0/group, C1, k...] (OpenVINO's grouped filter layout)."""
    if weights.shape.is_static:
        dims = list(weights.shape.to_tuple())
        if dims[0] % group:
            raise ctx.error(f"{dims[0]} weight channels do not split into {group} groups")
        return reshape(ctx, weights, [group, dims[0] // group] + dims[1:])
    rest = slice_dims(ctx, shape_of(ctx, weights), 1)
    return reshape(ctx, weights, concat(ctx, [i64_const(ctx, [group, -1]), rest]))


def add_channel_bias(ctx: NodeContext, output: Value, bias: Value | None, rank: int) -> Value:
    """output + bias, the bias [C] broadcast over N and the spatial axes."""
    if bias is None:
        return output
    bias = unsqueeze(ctx, bias, [0] + list(range(2, 2 + rank)))
    return as_value(ctx.make("Add", 1, output, bias))


def convolve(ctx: NodeContext, data: Value, weights: Value) -> Value:
    """The Conv node's convolution (no bias) of `data` with `weights`."""
    rank = spatial_rank(ctx, data, weights)
    attrs = window(ctx, rank).attrs()
    group = ctx.attr("group", 1)
    if group == 1:
        return as_value(ctx.make("Convolution", 1, data, weights, **attrs))
    grouped = group_weights(ctx, weights, group)
    return as_value(ctx.make("GroupConvolution", 1, data, grouped, **attrs))


@converter("Conv", since=1)
def conv(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    output = convolve(ctx, data, ctx.input(1))
    return add_channel_bias(ctx, output, ctx.optional_input(2), spatial_rank(ctx, data))


def _zero_point_shifted(ctx: NodeContext, value: Value, zero_point: Value | None) -> Value:
    """value - zero_point, in f32 (exact for 8-bit data)."""
    wide = convert(ctx, value, f32)
    if zero_point is None:
        return wide
    return as_value(ctx.make("Subtract", 1, wide, convert(ctx, zero_point, f32)))


def _per_channel(ctx: NodeContext, zero_point: Value | None, rank: int) -> Value | None:
    """A per-output-channel weight zero point [C] as [C, 1, ...] for the filter layout."""
    if zero_point is None or not zero_point.shape.rank_is_static or zero_point.shape.rank == 0:
        return zero_point
    if zero_point.shape.is_static and zero_point.shape.to_tuple() == (1,):
        return zero_point
    return unsqueeze(ctx, zero_point, list(range(1, 2 + rank)))


@converter("ConvInteger", since=10)
def conv_integer(ctx: NodeContext) -> Value:
    data, weights = ctx.input(0), ctx.input(1)
    rank = spatial_rank(ctx, data, weights)
    shifted_data = _zero_point_shifted(ctx, data, ctx.optional_input(2))
    shifted_weights = _zero_point_shifted(ctx, weights,
                                          _per_channel(ctx, ctx.optional_input(3), rank))
    return convert(ctx, convolve(ctx, shifted_data, shifted_weights), i32)


def _transpose_pads(ctx: NodeContext, data: Value, weights: Value, frame: Window,
                    output_padding: list[int]) -> Window:
    """Explicit pads for ConvTranspose with `output_shape` or SAME auto-pad (ONNX's split)."""
    output_shape = ctx.attr("output_shape", None)
    if output_shape is None and frame.auto_pad not in ("same_upper", "same_lower"):
        return frame
    rank = len(frame.strides)
    kernel = ctx.attr("kernel_shape", None)
    if kernel is None and weights.shape.is_static:
        kernel = list(weights.shape.to_tuple()[2:])
    spatial = data.shape.dims[2:] if data.shape.rank_is_static else None
    if kernel is None or spatial is None or not all(d.is_static for d in spatial):
        raise ctx.error("ConvTranspose with output_shape/SAME padding needs static spatial "
                        "input and kernel shapes")
    sizes = [d.min for d in spatial]
    targets = list(output_shape[-rank:]) if output_shape is not None else \
        [n * s for n, s in zip(sizes, frame.strides)]
    begin, end = [], []
    for i in range(rank):
        extent = (kernel[i] - 1) * frame.dilations[i] + 1
        total = frame.strides[i] * (sizes[i] - 1) + output_padding[i] + extent - targets[i]
        small, large = total // 2, total - total // 2
        upper = frame.auto_pad == "same_upper"
        begin.append(small if upper else large)
        end.append(large if upper else small)
    return Window(frame.strides, frame.dilations, begin, end, "explicit")


@converter("ConvTranspose", since=1)
def conv_transpose(ctx: NodeContext) -> Value:
    data, weights = ctx.input(0), ctx.input(1)
    rank = spatial_rank(ctx, data, weights)
    output_padding = ctx.attr("output_padding", None) or [0] * rank
    frame = _transpose_pads(ctx, data, weights, window(ctx, rank), output_padding)
    attrs = dict(frame.attrs(), output_padding=output_padding)
    group = ctx.attr("group", 1)
    if group == 1:
        output = ctx.make("ConvolutionBackpropData", 1, data, weights, **attrs)
    else:
        grouped = group_weights(ctx, weights, group)
        output = ctx.make("GroupConvolutionBackpropData", 1, data, grouped, **attrs)
    return add_channel_bias(ctx, as_value(output), ctx.optional_input(2), rank)


__all__ = ["Window", "window", "spatial_rank", "convolve", "add_channel_bias"]


@converter("DeformConv", since=19)
def deform_conv(ctx: NodeContext) -> Value:
    """Taps outside the image read zeros, bilinearly blended at the border (ONNX samples
    through GridSample with zero padding), which is bilinear_interpolation_pad."""
    data, weights, offsets = ctx.input(0), ctx.input(1), ctx.input(2)
    frame = window(ctx, 2)
    inputs = [data, offsets, weights]
    if ctx.optional_input(4) is not None:
        inputs.append(ctx.input(4))
    output = ctx.make("DeformableConvolution", 8, *inputs, strides=frame.strides,
                      dilations=frame.dilations, pads_begin=frame.pads_begin,
                      pads_end=frame.pads_end, group=ctx.attr("group", 1),
                      deformable_group=ctx.attr("offset_group", 1),
                      bilinear_interpolation_pad=True)
    return add_channel_bias(ctx, as_value(output), ctx.optional_input(3), 2)
