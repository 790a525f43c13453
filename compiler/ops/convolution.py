"""Convolutions: Convolution, GroupConvolution and their transposed (BackpropData) versions.

Also home of the sliding-window geometry (output size, automatic padding, rounding) that the
pooling ops share. The numpy references are im2col over a strided window view followed by one
batched matmul per group, so ResNet-sized models run in seconds.
"""

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from vinify.op import REQUIRED, Attr, InferContext, Op, register
from vinify.shapes import DYNAMIC, Dimension, PartialShape, TensorType

AUTO_PAD_MODES = ("explicit", "same_upper", "same_lower", "valid", "notset")


def auto_pad_attr() -> Attr:
    return Attr("auto_pad", "str", "explicit", AUTO_PAD_MODES)


def window_pads(size: int, extent: int, stride: int, auto_pad: str,
                pads_begin: int, pads_end: int) -> tuple[int, int]:
    """The concrete (begin, end) padding of one spatial axis under `auto_pad`."""
    if auto_pad == "valid":
        return 0, 0
    if auto_pad not in ("same_upper", "same_lower"):
        return pads_begin, pads_end
    out = -(-size // stride)
    total = max((out - 1) * stride + extent - size, 0)
    small, large = total // 2, total - total // 2
    return (small, large) if auto_pad == "same_upper" else (large, small)


def window_out_size(size: int, extent: int, stride: int, pads: tuple[int, int],
                    rounding: str = "floor") -> int:
    """How many windows of `extent` fit with `stride` over `size` padded by `pads`."""
    span = size + pads[0] + pads[1] - extent
    if span < 0:
        return 0
    if rounding == "floor":
        return span // stride + 1
    out = -(-span // stride) + 1
    if rounding == "ceil_torch" and (out - 1) * stride >= size + pads[0]:
        out -= 1  # the last window must start inside the input or its leading padding
    return out


def window_out_dim(dim: Dimension, extent: int | None, stride: int, auto_pad: str,
                   pads: tuple[int, int], rounding: str = "floor") -> Dimension:
    """window_out_size lifted to a (possibly dynamic or bounded) dimension."""
    if extent is None:
        return DYNAMIC

    def size_for(length: int) -> int:
        concrete = window_pads(length, extent, stride, auto_pad, *pads)
        return window_out_size(length, extent, stride, concrete, rounding)

    if dim.is_static:
        return Dimension.of(size_for(dim.min))
    high = None if dim.max is None else size_for(dim.max)
    return Dimension(size_for(dim.min), high)  # sizes grow with the input: monotone


def spatial_attrs(ctx: InferContext, rank: int, *names: str) -> None:
    """Checks that each per-axis attribute has one entry per spatial axis."""
    for name in names:
        values = ctx.attrs[name]
        if len(values) != rank and not (name == "output_padding" and not values):
            raise ctx.error(f"attribute '{name}' has {len(values)} values for "
                            f"{rank} spatial axes")


def check_output_dims(ctx: InferContext, dims: list[Dimension]) -> None:
    for axis, dim in enumerate(dims):
        if dim.max == 0:
            raise ctx.error(f"spatial axis {axis} has no room for a window (output size 0)")


def pad_spatial(x: np.ndarray, pads: list[tuple[int, int]], value=0) -> np.ndarray:
    """x padded (or, for negative amounts, cropped) on its spatial axes (axis 2 on)."""
    crop = tuple(slice(max(-b, 0), x.shape[2 + i] - max(-e, 0)) for i, (b, e) in enumerate(pads))
    x = x[(slice(None), slice(None)) + crop]
    widths = [(0, 0), (0, 0)] + [(max(b, 0), max(e, 0)) for b, e in pads]
    if not any(b or e for b, e in widths):
        return x
    return np.pad(x, widths, constant_values=value)


def windows(x: np.ndarray, kernel: tuple[int, ...], strides, dilations) -> np.ndarray:
    """A strided view [N, C, out..., k...] of every (dilated) window of padded x."""
    extents = [(k - 1) * d + 1 for k, d in zip(kernel, dilations)]
    view = sliding_window_view(x, extents, axis=tuple(range(2, x.ndim)))
    picks = tuple(slice(None, None, s) for s in strides) + \
        tuple(slice(None, None, d) for d in dilations)
    return view[(slice(None), slice(None)) + picks]


def _compute_dtype(x: np.ndarray) -> np.ndarray:
    """f16/bf16 accumulate in f32 as devices do; integers in i64 so sums cannot wrap."""
    if x.dtype in (np.float32, np.float64):
        return x
    if x.dtype.kind in "iub":
        return x.astype(np.int64)
    return x.astype(np.float32)


def grouped_convolution(x: np.ndarray, w: np.ndarray, strides, dilations,
                        pads: list[tuple[int, int]]) -> np.ndarray:
    """Convolution of x [N, G*Cg, s...] with w [G, F, Cg, k...]: one matmul per group."""
    x, w = _compute_dtype(x), _compute_dtype(w)
    groups, features, group_channels = w.shape[:3]
    kernel = w.shape[3:]
    if x.shape[1] != groups * group_channels:
        raise ValueError(f"input has {x.shape[1]} channels, filters expect "
                         f"{groups * group_channels}")
    win = windows(pad_spatial(x, pads), kernel, strides, dilations)
    batch, rank = x.shape[0], len(kernel)
    out = win.shape[2:2 + rank]
    win = win.reshape((batch, groups, group_channels) + win.shape[2:])
    order = (1, 0) + tuple(range(3, 3 + rank)) + (2,) + tuple(range(3 + rank, 3 + 2 * rank))
    cols = win.transpose(order).reshape(groups, batch * math.prod(out), -1)
    mats = w.reshape(groups, features, -1).transpose(0, 2, 1)
    y = np.matmul(cols, mats).reshape((groups, batch) + out + (features,))
    y = np.moveaxis(y, -1, 1)  # G, F, N, out...
    return np.moveaxis(y, 2, 0).reshape((batch, groups * features) + out)


def _concrete_pads(attrs: dict, spatial: tuple[int, ...], extents: list[int]) -> list:
    return [window_pads(size, extent, stride, attrs["auto_pad"], begin, end)
            for size, extent, stride, begin, end in zip(
                spatial, extents, attrs["strides"], attrs["pads_begin"], attrs["pads_end"])]


def _extents(kernel, dilations) -> list[int | None]:
    return [None if k is None else (k - 1) * d + 1 for k, d in zip(kernel, dilations)]


def _static(dim: Dimension) -> int | None:
    return dim.min if dim.is_static else None


CONVOLUTION_ATTRS = (
    Attr("strides", "ints"), Attr("pads_begin", "ints"), Attr("pads_end", "ints"),
    Attr("dilations", "ints"), auto_pad_attr(),
)


class ConvolutionBase(Op):
    """Shared shape rule: data [N, C, s...] and filters [..., C_out, C_in, k...]."""

    num_inputs = (2, 2)
    attributes = CONVOLUTION_ATTRS
    filter_prefix = 0  # leading filter axes before C_out (1 for the group axis)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.same_element_type(0, 1)
        data, filters = ctx.shape(0), ctx.shape(1)
        if filters.rank_is_static and filters.rank < 3 + cls.filter_prefix:
            raise ctx.error(f"filters must have rank >= {3 + cls.filter_prefix}, got {filters}")
        if not data.rank_is_static and not filters.rank_is_static:
            return [TensorType(elem, PartialShape(None))]
        rank = data.rank - 2 if data.rank_is_static else filters.rank - 2 - cls.filter_prefix
        if data.rank_is_static and filters.rank_is_static and \
                filters.rank - cls.filter_prefix != data.rank:
            raise ctx.error(f"data {data} and filters {filters} ranks do not match")
        if rank < 1:
            raise ctx.error(f"data must have rank >= 3, got {data}")
        spatial_attrs(ctx, rank, "strides", "dilations", "pads_begin", "pads_end")
        cls.check_channels(ctx, data, filters)
        kernel = [_static(d) for d in filters][-rank:] if filters.rank_is_static else [None] * rank
        extents = _extents(kernel, ctx.attrs["dilations"])
        dims = [window_out_dim(data[2 + i], extents[i], ctx.attrs["strides"][i],
                               ctx.attrs["auto_pad"],
                               (ctx.attrs["pads_begin"][i], ctx.attrs["pads_end"][i]))
                for i in range(rank)]
        check_output_dims(ctx, dims)
        return [TensorType(elem, PartialShape((data[0], cls.out_channels(filters)) +
                                              tuple(dims)))]

    @classmethod
    def check_channels(cls, ctx: InferContext, data: PartialShape, filters: PartialShape):
        if data.rank_is_static and filters.rank_is_static and not data[1].compatible(filters[1]):
            raise ctx.error(f"data channels {data[1]} differ from filter input channels "
                            f"{filters[1]} (data {data}, filters {filters})")

    @classmethod
    def out_channels(cls, filters: PartialShape) -> Dimension:
        return filters[0] if filters.rank_is_static else DYNAMIC


@register
class Convolution(ConvolutionBase):
    """Cross-correlation of data [N, C_in, s...] with filters [C_out, C_in, k...]."""

    name, version = "Convolution", 1

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        extents = _extents(w.shape[2:], attrs["dilations"])
        pads = _concrete_pads(attrs, x.shape[2:], extents)
        return grouped_convolution(x, w[None], attrs["strides"], attrs["dilations"], pads)


@register
class GroupConvolution(ConvolutionBase):
    """Convolution in G channel groups: filters [G, C_out/G, C_in/G, k...]."""

    name, version = "GroupConvolution", 1
    filter_prefix = 1

    @classmethod
    def check_channels(cls, ctx: InferContext, data: PartialShape, filters: PartialShape):
        if not (data.rank_is_static and filters.rank_is_static):
            return
        groups, per_group = filters[0], filters[2]
        if data[1].is_static and groups.is_static and per_group.is_static and \
                data[1].min != groups.min * per_group.min:
            raise ctx.error(f"data channels {data[1]} differ from groups x filter input "
                            f"channels {groups} x {per_group}")

    @classmethod
    def out_channels(cls, filters: PartialShape) -> Dimension:
        return filters[0] * filters[1] if filters.rank_is_static else DYNAMIC

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, w: np.ndarray) -> np.ndarray:
        extents = _extents(w.shape[3:], attrs["dilations"])
        pads = _concrete_pads(attrs, x.shape[2:], extents)
        return grouped_convolution(x, w, attrs["strides"], attrs["dilations"], pads)


BACKPROP_ATTRS = CONVOLUTION_ATTRS + (Attr("output_padding", "ints", ()),)


def backprop_pads(attrs: dict, spatial, extents, output_spatial=None) -> list[tuple[int, int]]:
    """(begin, end) cropping of the full transposed output, as the spec distributes it."""
    rank = len(spatial)
    extra = attrs["output_padding"] or (0,) * rank
    if output_spatial is None:
        if attrs["auto_pad"] in ("explicit", "notset"):
            return list(zip(attrs["pads_begin"], attrs["pads_end"]))
        return [(0, 0)] * rank
    pads = []
    for i in range(rank):
        total = attrs["strides"][i] * (spatial[i] - 1) + extents[i] - output_spatial[i] + extra[i]
        if attrs["auto_pad"] == "same_upper":
            pads.append((total - total // 2, total // 2))
        else:
            pads.append((total // 2, total - total // 2))
    return pads


def backprop_out_size(size: int, extent: int, stride: int, pads: tuple[int, int],
                      extra: int) -> int:
    return stride * (size - 1) + extent - pads[0] - pads[1] + extra


def transposed_convolution(x: np.ndarray, w: np.ndarray, attrs: dict,
                           output_spatial=None) -> np.ndarray:
    """x [N, G*Ci, s...], w [G, Ci, Co, k...]: a stride-1 convolution of the zero-stuffed input
    with the flipped kernel, padded by (extent-1-pad) so that it inverts the forward geometry."""
    rank = x.ndim - 2
    strides, dilations = attrs["strides"], attrs["dilations"]
    extents = _extents(w.shape[3:], dilations)
    pads = backprop_pads(attrs, x.shape[2:], extents, output_spatial)
    extra = attrs["output_padding"] or (0,) * rank
    stuffed_shape = x.shape[:2] + tuple((n - 1) * s + 1 for n, s in zip(x.shape[2:], strides))
    stuffed = np.zeros(stuffed_shape, x.dtype)
    stuffed[(slice(None), slice(None)) + tuple(slice(None, None, s) for s in strides)] = x
    conv_pads = [(e - 1 - b, e - 1 - p + o) for e, (b, p), o in zip(extents, pads, extra)]
    flipped = np.flip(w, axis=tuple(range(3, 3 + rank))).swapaxes(1, 2)
    return grouped_convolution(stuffed, flipped, (1,) * rank, dilations, conv_pads)


def backprop_out_dim(dim: Dimension, extent: int | None, stride: int, pads: tuple[int, int],
                     extra: int) -> Dimension:
    """backprop_out_size lifted to a bounded dimension (unknown kernels or bounds: dynamic)."""
    if extent is None or dim.max is None:
        return DYNAMIC
    high = backprop_out_size(dim.max, extent, stride, pads, extra)
    if dim.is_static:
        return Dimension(max(high, 0), max(high, 0))
    low = backprop_out_size(max(dim.min, 1), extent, stride, pads, extra)
    return Dimension(max(low, 0), max(high, 0))


class BackpropDataBase(Op):
    """Transposed convolution; an optional third input gives the output's spatial shape."""

    num_inputs = (2, 3)
    attributes = BACKPROP_ATTRS
    filter_prefix = 0

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.same_element_type(0, 1)
        data, filters = ctx.shape(0), ctx.shape(1)
        rank = data.rank - 2 if data.rank_is_static else \
            filters.rank - 2 - cls.filter_prefix if filters.rank_is_static else None
        if rank is None:
            return [TensorType(elem, PartialShape(None))]
        if rank < 1:
            raise ctx.error(f"data must have rank >= 3, got {data}")
        spatial_attrs(ctx, rank, "strides", "dilations", "pads_begin", "pads_end",
                      "output_padding")
        channels = cls.out_channels(filters)
        spatial = cls.output_spatial(ctx, data, filters, rank)
        return [TensorType(elem, PartialShape((data[0], channels) + tuple(spatial)))]

    @classmethod
    def output_spatial(cls, ctx, data, filters, rank) -> list[Dimension]:
        if len(ctx.input_types) == 3:
            given = ctx.const(2)
            if given is None:
                return [DYNAMIC] * rank
            if given.size != rank:
                raise ctx.error(f"output_shape has {given.size} values for {rank} spatial axes")
            return [Dimension.of(int(n)) for n in given.reshape(-1)]
        kernel = [_static(d) for d in filters][-rank:] if filters.rank_is_static else [None] * rank
        extents = _extents(kernel, ctx.attrs["dilations"])
        pads = backprop_pads(ctx.attrs, [0] * rank, extents)
        extra = ctx.attrs["output_padding"] or (0,) * rank
        dims = []
        for i in range(rank):
            dim = backprop_out_dim(data[2 + i], extents[i], ctx.attrs["strides"][i], pads[i],
                                   extra[i])
            if dim.max is not None and dim.max < 1:
                raise ctx.error(f"spatial axis {i} has output size {dim}")
            dims.append(dim)
        return dims

    @classmethod
    def out_channels(cls, filters: PartialShape) -> Dimension:
        return filters[1] if filters.rank_is_static else DYNAMIC


def _output_spatial_arg(rest: tuple) -> list[int] | None:
    return None if not rest else [int(n) for n in np.asarray(rest[0]).reshape(-1)]


@register
class ConvolutionBackpropData(BackpropDataBase):
    """Transposed convolution: data [N, C_in, s...], filters [C_in, C_out, k...]."""

    name, version = "ConvolutionBackpropData", 1

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, w: np.ndarray, *rest) -> np.ndarray:
        return transposed_convolution(x, w[None], attrs, _output_spatial_arg(rest))


@register
class GroupConvolutionBackpropData(BackpropDataBase):
    """Grouped transposed convolution: filters [G, C_in/G, C_out/G, k...]."""

    name, version = "GroupConvolutionBackpropData", 1
    filter_prefix = 1

    @classmethod
    def out_channels(cls, filters: PartialShape) -> Dimension:
        return filters[0] * filters[2] if filters.rank_is_static else DYNAMIC

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, w: np.ndarray, *rest) -> np.ndarray:
        return transposed_convolution(x, w, attrs, _output_spatial_arg(rest))


__all__ = ["REQUIRED", "window_pads", "window_out_size", "window_out_dim", "windows",
           "pad_spatial", "grouped_convolution", "auto_pad_attr"]
