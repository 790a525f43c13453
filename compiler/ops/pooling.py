"""Pooling: MaxPool (1, 8, 14), AvgPool (1, 14), AdaptiveAvgPool and AdaptiveMaxPool (8).

Window geometry (automatic padding, floor/ceil/ceil_torch rounding) is shared with the
convolutions. References pad once, view every window through strides and reduce over the window
axes; nothing loops over elements.
"""

import itertools
import math

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.convolution import (
    auto_pad_attr,
    check_output_dims,
    spatial_attrs,
    window_out_dim,
    window_out_size,
    window_pads,
    windows,
)
from vinify.ops.shape_rules import normalize_axis
from vinify.shapes import DYNAMIC, Dimension, PartialShape, TensorType
from vinify.types import element_type

POOL_ATTRS = (Attr("strides", "ints"), Attr("pads_begin", "ints"), Attr("pads_end", "ints"),
              Attr("kernel", "ints"))
ROUNDING = Attr("rounding_type", "str", "floor", ("floor", "ceil"))
ROUNDING_14 = Attr("rounding_type", "str", "floor", ("floor", "ceil", "ceil_torch"))
INDEX_TYPE = Attr("index_element_type", "type", element_type("i64"))


def _dilations(attrs: dict, rank: int) -> tuple[int, ...]:
    return tuple(attrs.get("dilations") or (1,) * rank)


def pool_output_shape(ctx: InferContext) -> PartialShape:
    """[N, C, out...] for the window attributes of a pooling node."""
    data = ctx.shape(0)
    if not data.rank_is_static:
        return PartialShape(None) if not ctx.attrs["kernel"] else \
            PartialShape((DYNAMIC, DYNAMIC) + (DYNAMIC,) * len(ctx.attrs["kernel"]))
    rank = data.rank - 2
    if rank < 1:
        raise ctx.error(f"data must have rank >= 3, got {data}")
    spatial_attrs(ctx, rank, "strides", "pads_begin", "pads_end", "kernel")
    dilations = _dilations(ctx.attrs, rank)
    if len(dilations) != rank:
        raise ctx.error(f"attribute 'dilations' has {len(dilations)} values for {rank} axes")
    dims = []
    for i in range(rank):
        extent = (ctx.attrs["kernel"][i] - 1) * dilations[i] + 1
        pads = (ctx.attrs["pads_begin"][i], ctx.attrs["pads_end"][i])
        dims.append(window_out_dim(data[2 + i], extent, ctx.attrs["strides"][i],
                                   ctx.attrs["auto_pad"], pads, ctx.attrs["rounding_type"]))
    check_output_dims(ctx, dims)
    return PartialShape(data.dims[:2] + tuple(dims))


def pool_geometry(attrs: dict, spatial: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """Per axis: (pad_begin, pad_end including the ceil-mode tail, output size)."""
    rank = len(spatial)
    dilations = _dilations(attrs, rank)
    geometry = []
    for i, size in enumerate(spatial):
        extent = (attrs["kernel"][i] - 1) * dilations[i] + 1
        stride = attrs["strides"][i]
        begin, end = window_pads(size, extent, stride, attrs["auto_pad"],
                                 attrs["pads_begin"][i], attrs["pads_end"][i])
        out = window_out_size(size, extent, stride, (begin, end), attrs["rounding_type"])
        tail = max((out - 1) * stride + extent - (size + begin + end), 0)
        geometry.append((begin, end + tail, out))
    return geometry


def pooled_windows(x: np.ndarray, attrs: dict, fill) -> np.ndarray:
    """View [N, C, out..., k...] of x padded with `fill` (and cropped to the output size)."""
    geometry = pool_geometry(attrs, x.shape[2:])
    widths = [(0, 0), (0, 0)] + [(begin, end) for begin, end, _ in geometry]
    padded = np.pad(x, widths, constant_values=fill)
    rank = x.ndim - 2
    view = windows(padded, attrs["kernel"], attrs["strides"], _dilations(attrs, rank))
    return view[(slice(None), slice(None)) + tuple(slice(0, out) for _, _, out in geometry)]


def lowest_value(dtype: np.dtype):
    if dtype.kind == "b":
        return False
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    return -np.inf


def _window_axes(rank: int) -> tuple[int, ...]:
    return tuple(range(2 + rank, 2 + 2 * rank))


def max_pool_values(attrs: dict, x: np.ndarray) -> np.ndarray:
    rank = x.ndim - 2
    return pooled_windows(x, attrs, lowest_value(x.dtype)).max(axis=_window_axes(rank))


def max_pool_indices(attrs: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and flat indices (counted over the dimensions from `axis` on) of each maximum."""
    rank = x.ndim - 2
    view = pooled_windows(x, attrs, lowest_value(x.dtype))
    flat = view.reshape(view.shape[:2 + rank] + (-1,))
    local = np.argmax(flat, axis=-1)  # the first maximum wins ties
    values = np.take_along_axis(flat, local[..., None], axis=-1)[..., 0]
    offsets = np.unravel_index(local, attrs["kernel"])
    geometry = pool_geometry(attrs, x.shape[2:])
    dilations = _dilations(attrs, rank)
    index = np.zeros(local.shape, np.int64)
    for i in range(rank):
        grid_shape = [1] * local.ndim
        grid_shape[2 + i] = geometry[i][2]
        starts = (np.arange(geometry[i][2]) * attrs["strides"][i] - geometry[i][0])
        coordinate = starts.reshape(grid_shape) + offsets[i] * dilations[i]
        index = index * x.shape[2 + i] + coordinate
    planes = np.arange(x.shape[0] * x.shape[1]).reshape(x.shape[0], x.shape[1], *[1] * rank)
    index = index + planes * math.prod(x.shape[2:])
    axis = attrs["axis"] % x.ndim
    return values, index % math.prod(x.shape[axis:])


def _axis_counts(size: int, begin: int, end: int, out: int, stride: int, kernel: int,
                 exclude_pad: bool) -> np.ndarray:
    """How many window positions per output fall on the input (or on input + explicit pads)."""
    low, high = (begin, begin + size) if exclude_pad else (0, begin + size + end)
    positions = np.arange(out)[:, None] * stride + np.arange(kernel)[None, :]
    return ((positions >= low) & (positions < high)).sum(axis=1)


def avg_pool(attrs: dict, x: np.ndarray) -> np.ndarray:
    rank = x.ndim - 2
    wide = x.astype(np.float32) if x.dtype != np.float64 else x
    sums = pooled_windows(wide, attrs, 0).sum(axis=_window_axes(rank))
    spatial = x.shape[2:]
    counts = np.ones((), np.float64)
    for i, (begin, _, out) in enumerate(pool_geometry(attrs, spatial)):
        explicit_end = _explicit_end(attrs, spatial, i)
        axis_counts = _axis_counts(spatial[i], begin, explicit_end, out, attrs["strides"][i],
                                   attrs["kernel"][i], attrs["exclude-pad"])
        counts = np.multiply.outer(counts, axis_counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts  # a window wholly in the padding is 0/0 = nan, as in OpenVINO


def _explicit_end(attrs: dict, spatial: tuple[int, ...], axis: int) -> int:
    """The padding at the end of `axis` before the ceil-mode tail was added."""
    extent, stride = attrs["kernel"][axis], attrs["strides"][axis]
    return window_pads(spatial[axis], extent, stride, attrs["auto_pad"],
                       attrs["pads_begin"][axis], attrs["pads_end"][axis])[1]


class PoolBase(Op):
    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [TensorType(ctx.element_type(0), pool_output_shape(ctx))]


@register
class MaxPoolV1(PoolBase):
    """Max over each window; padding takes part as -inf."""

    name, version = "MaxPool", 1
    attributes = POOL_ATTRS + (ROUNDING, auto_pad_attr())

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        return max_pool_values(attrs, x)


class MaxPoolWithIndices(PoolBase):
    """Two outputs: the maxima and their flat indices into the input from dimension `axis` on."""

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 2

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        shape = pool_output_shape(ctx)
        if ctx.shape(0).rank_is_static:
            normalize_axis(ctx, ctx.attrs["axis"], ctx.shape(0).rank)
        index_type = ctx.attrs["index_element_type"]
        if index_type.name not in ("i32", "i64"):
            raise ctx.error(f"index_element_type must be i32 or i64, got {index_type}")
        return [TensorType(ctx.element_type(0), shape), TensorType(index_type, shape)]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return max_pool_indices(attrs, x)


@register
class MaxPoolV8(MaxPoolWithIndices):
    name, version = "MaxPool", 8
    attributes = (Attr("strides", "ints"), Attr("dilations", "ints", ()),
                  Attr("pads_begin", "ints"), Attr("pads_end", "ints"), Attr("kernel", "ints"),
                  ROUNDING, auto_pad_attr(), INDEX_TYPE, Attr("axis", "int", 0))


@register
class MaxPoolV14(MaxPoolWithIndices):
    """MaxPool<8> plus rounding_type ceil_torch (no window may start in the end padding)."""

    name, version = "MaxPool", 14
    attributes = (Attr("strides", "ints"), Attr("dilations", "ints", ()),
                  Attr("pads_begin", "ints"), Attr("pads_end", "ints"), Attr("kernel", "ints"),
                  ROUNDING_14, auto_pad_attr(), INDEX_TYPE, Attr("axis", "int", 0))


@register
class AvgPoolV1(PoolBase):
    """Mean over each window; `exclude-pad` leaves padding out of the divisor."""

    name, version = "AvgPool", 1
    attributes = POOL_ATTRS + (Attr("exclude-pad", "bool"), ROUNDING, auto_pad_attr())

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        return avg_pool(attrs, x)


@register
class AvgPoolV14(AvgPoolV1):
    name, version = "AvgPool", 14
    attributes = POOL_ATTRS + (Attr("exclude-pad", "bool"), ROUNDING_14, auto_pad_attr())


def adaptive_bins(size: int, out: int) -> list[tuple[int, int]]:
    """Bin i covers [floor(i*size/out), ceil((i+1)*size/out))."""
    return [(i * size // out, -(-(i + 1) * size // out)) for i in range(out)]


def _adaptive_shape(ctx: InferContext) -> PartialShape:
    data = ctx.shape(0)
    target = ctx.const(1)
    if ctx.element_type(1).kind != "int":
        raise ctx.error(f"output_shape must be i32 or i64, got {ctx.element_type(1)}")
    if not data.rank_is_static:
        return PartialShape(None)
    rank = data.rank - 2
    if rank < 1:
        raise ctx.error(f"data must have rank >= 3, got {data}")
    if target is None:
        return PartialShape(data.dims[:2] + (DYNAMIC,) * rank)
    if target.size != rank:
        raise ctx.error(f"output_shape has {target.size} values for {rank} spatial axes")
    return PartialShape(data.dims[:2] + tuple(Dimension.of(int(n)) for n in target.reshape(-1)))


@register
class AdaptiveAvgPool(Op):
    """Average over input bins chosen so that the output has the requested spatial shape."""

    name, version = "AdaptiveAvgPool", 8
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [TensorType(ctx.element_type(0), _adaptive_shape(ctx))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, target: np.ndarray) -> np.ndarray:
        """Averaging is separable: one (out x in) bin-mean matrix per spatial axis."""
        result = x.astype(np.float32) if x.dtype != np.float64 else x
        for i, out in enumerate(int(n) for n in np.asarray(target).reshape(-1)):
            size = x.shape[2 + i]
            weights = np.zeros((out, size), result.dtype)
            for row, (start, stop) in enumerate(adaptive_bins(size, out)):
                weights[row, start:stop] = 1.0 / (stop - start)
            result = np.moveaxis(np.tensordot(result, weights, axes=([2 + i], [1])), -1, 2 + i)
        return result


@register
class AdaptiveMaxPool(Op):
    """Max over adaptive bins; the second output holds flat spatial indices of the maxima."""

    name, version = "AdaptiveMaxPool", 8
    num_inputs = (2, 2)
    attributes = (INDEX_TYPE,)

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 2

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        shape = _adaptive_shape(ctx)
        return [TensorType(ctx.element_type(0), shape),
                TensorType(ctx.attrs["index_element_type"], shape)]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, target: np.ndarray):
        """One vectorized reduction per output position (outputs are small: 1x1 to 7x7)."""
        spatial = x.shape[2:]
        outs = [int(n) for n in np.asarray(target).reshape(-1)]
        bins = [adaptive_bins(size, out) for size, out in zip(spatial, outs)]
        values = np.empty(x.shape[:2] + tuple(outs), x.dtype)
        indices = np.empty(x.shape[:2] + tuple(outs), np.int64)
        for position in itertools.product(*[range(out) for out in outs]):
            box = tuple(slice(*bins[i][p]) for i, p in enumerate(position))
            block = x[(slice(None), slice(None)) + box].reshape(x.shape[:2] + (-1,))
            local = np.argmax(block, axis=-1)
            box_shape = [s.stop - s.start for s in box]
            coords = np.unravel_index(local, box_shape)
            flat = np.ravel_multi_index(
                tuple(c + s.start for c, s in zip(coords, box)), spatial)
            values[(Ellipsis,) + position] = np.take_along_axis(block, local[..., None], -1)[..., 0]
            indices[(Ellipsis,) + position] = flat
        return values, indices
