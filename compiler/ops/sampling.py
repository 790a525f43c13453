"""Sampling ops: GridSample<9> (OpenVINO opset semantics; also accepts 3 spatial axes, which
ONNX GridSample-20 uses for volumes) and Col2Im<15>.

GridSample reads `data` [N, C, *spatial] at the normalized points of `grid` [N, *out, D]
(grid[..., 0] is x, the last spatial axis). Out-of-range points read zeros, the border, or the
image reflected at its edges.
"""

import itertools

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import DYNAMIC, Dimension, PartialShape, TensorType

CUBIC_A = -0.75


def _denormalize(coordinate: np.ndarray, size: int, align_corners: bool) -> np.ndarray:
    if align_corners:
        return (coordinate + 1.0) / 2.0 * (size - 1)
    return ((coordinate + 1.0) * size - 1.0) / 2.0


def _reflect(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """Coordinates outside [low, high] mirrored at the nearer edge until they fall inside."""
    span = high - low
    if span <= 0:
        return np.full_like(x, low)
    below, above = x < low, x > high
    distance = np.where(below, low - x, x - high)
    folds = np.floor(distance / span)
    rest = distance - folds * span
    even = folds % 2 == 0
    from_low = np.where(even, low + rest, high - rest)
    from_high = np.where(even, high - rest, low + rest)
    return np.where(below, from_low, np.where(above, from_high, x))


def _cubic_weights(t: np.ndarray) -> list[np.ndarray]:
    """Keys cubic convolution weights of the taps at offsets -1, 0, 1, 2 from floor(x)."""
    a = CUBIC_A

    def outer(d):  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    def inner(d):  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    return [outer(t + 1), inner(t), inner(1 - t), outer(2 - t)]


class Axis:
    """Sampling geometry of one spatial axis: its size and the in-range interval."""

    def __init__(self, size: int, align_corners: bool, padding: str):
        self.size, self.padding = size, padding
        self.low, self.high = (0.0, size - 1.0) if align_corners else (-0.5, size - 0.5)

    def fix_coordinate(self, x: np.ndarray) -> np.ndarray:
        outside = (x < self.low) | (x > self.high)
        if self.padding == "border":
            return np.where(outside, np.clip(x, 0, self.size - 1), x)
        if self.padding == "reflection":
            return _reflect(x, self.low, self.high)
        return x

    def tap(self, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(valid index, in-range mask) for integer tap positions."""
        if self.padding == "zeros":
            inside = (index >= 0) & (index < self.size)
            return np.clip(index, 0, self.size - 1), inside
        if self.padding == "border":
            return np.clip(index, 0, self.size - 1), np.ones(index.shape, bool)
        reflected = np.trunc(_reflect(index.astype(np.float64), self.low, self.high))
        return np.clip(reflected.astype(np.int64), 0, self.size - 1), np.ones(index.shape, bool)

    def taps(self, x: np.ndarray, mode: str) -> list[tuple[np.ndarray, np.ndarray]]:
        """(index, weight) pairs whose weighted sum interpolates at x."""
        if mode == "nearest":
            index, inside = self.tap(x.astype(np.int64))
            return [(index, inside.astype(np.float64))]
        base = np.floor(x)
        t = x - base
        base = base.astype(np.int64)
        if mode == "bilinear":
            offsets, weights = (0, 1), [1 - t, t]
        else:
            offsets, weights = (-1, 0, 1, 2), _cubic_weights(t)
        result = []
        for offset, weight in zip(offsets, weights):
            index, inside = self.tap(base + offset)
            result.append((index, weight * inside))
        return result


@register
class GridSample(Op):
    """data [N, C, *spatial], grid [N, *out, len(spatial)] -> [N, C, *out]."""

    name, version = "GridSample", 9
    num_inputs = (2, 2)
    attributes = (Attr("align_corners", "bool", False),
                  Attr("mode", "str", "bilinear", ("bilinear", "bicubic", "nearest")),
                  Attr("padding_mode", "str", "zeros", ("zeros", "border", "reflection")))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        data, grid = ctx.shape(0), ctx.shape(1)
        if not ctx.element_type(0).is_float or not ctx.element_type(1).is_float:
            raise ctx.error("data and grid must be floating point")
        if not (data.rank_is_static and grid.rank_is_static):
            return [TensorType(ctx.element_type(0), PartialShape(None))]
        if data.rank not in (4, 5) or grid.rank != data.rank:
            raise ctx.error(f"data {data} and grid {grid} must both be 4-D (or 5-D)")
        if not grid[-1].compatible(Dimension.of(data.rank - 2)):
            raise ctx.error(f"grid {grid} must end in {data.rank - 2} coordinates")
        batch = data[0] if data[0].is_static else grid[0]
        dims = (batch, data[1]) + tuple(grid.dims[1:-1])
        return [TensorType(ctx.element_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, grid: np.ndarray) -> np.ndarray:
        values = data.astype(np.float64)
        spatial = values.shape[2:]
        mode = attrs["mode"]
        axes = [Axis(size, attrs["align_corners"], attrs["padding_mode"]) for size in spatial]
        per_axis = []
        for i, axis in enumerate(axes):
            coordinate = grid[..., len(spatial) - 1 - i].astype(np.float64)
            x = _denormalize(coordinate, axis.size, attrs["align_corners"])
            if mode == "nearest":
                x = np.rint(x)
            per_axis.append(axis.taps(axis.fix_coordinate(x), mode))
        batch = np.arange(values.shape[0]).reshape((-1,) + (1,) * (grid.ndim - 2))
        output = np.zeros(grid.shape[:-1] + (values.shape[1],))
        for combination in itertools.product(*per_axis):
            weight = np.prod([w for _, w in combination], axis=0)
            picked = values[(batch, slice(None)) + tuple(i for i, _ in combination)]
            output += picked * weight[..., None]  # picked: [N, *out, C]
        return np.moveaxis(output, -1, 1).astype(data.dtype)


@register
class Col2Im(Op):
    """data [N?, C * prod(block), L], output_size [S], kernel_size [S] -> [N?, C, *output_size]:
    sums sliding blocks back into an image (the inverse of im2col). OpenVINO declares 2 spatial
    axes; the reference also serves ONNX's N-D Col2Im."""

    name, version = "Col2Im", 15
    num_inputs = (3, 3)
    attributes = (Attr("strides", "ints", (1, 1)), Attr("dilations", "ints", (1, 1)),
                  Attr("pads_begin", "ints", (0, 0)), Attr("pads_end", "ints", (0, 0)))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        data = ctx.shape(0)
        size, kernel = ctx.const(1), ctx.const(2)
        if data.rank_is_static and data.rank not in (2, 3):
            raise ctx.error(f"data must be [C*kh*kw, L] or [N, C*kh*kw, L], got {data}")
        if not data.rank_is_static:
            return [TensorType(ctx.element_type(0), PartialShape(None))]
        column = data[-2]
        channels = DYNAMIC
        if kernel is not None and column.is_static:
            channels = Dimension.of(column.min // int(np.prod(kernel)))
        count = ctx.shape(1)[0].min if ctx.shape(1).is_static else 2
        spatial = (DYNAMIC,) * count if size is None else tuple(
            Dimension.of(int(n)) for n in np.asarray(size).reshape(-1))
        dims = tuple(data.dims[:-2]) + (channels,) + spatial
        return [TensorType(ctx.element_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, attrs: dict, data, output_size, kernel_size):
        batched = data if data.ndim == 3 else data[None]
        sizes = [int(v) for v in np.asarray(output_size).reshape(-1)]
        kernel = [int(v) for v in np.asarray(kernel_size).reshape(-1)]
        strides, dilations = attrs["strides"], attrs["dilations"]
        begins, ends = attrs["pads_begin"], attrs["pads_end"]
        padded = [n + b + e for n, b, e in zip(sizes, begins, ends)]
        blocks = [(p - d * (k - 1) - 1) // s + 1
                  for p, d, k, s in zip(padded, dilations, kernel, strides)]
        channels = batched.shape[1] // int(np.prod(kernel))
        columns = batched.reshape([batched.shape[0], channels] + kernel + blocks)
        image = np.zeros([batched.shape[0], channels] + padded, np.float64)
        for tap in itertools.product(*[range(k) for k in kernel]):
            window = tuple(slice(t * d, t * d + s * (b - 1) + 1, s)
                           for t, d, s, b in zip(tap, dilations, strides, blocks))
            image[(slice(None), slice(None)) + window] += columns[(slice(None), slice(None))
                                                                  + tap]
        crop = tuple(slice(b, b + n) for b, n in zip(begins, sizes))
        image = image[(slice(None), slice(None)) + crop].astype(data.dtype)
        return image if data.ndim == 3 else image[0]


def _source_coordinates(mode: str, out: np.ndarray, in_size: int, out_size: int,
                        scale: float, roi: tuple[float, float]) -> np.ndarray:
    """Input coordinates of output positions `out` along one axis (ONNX Resize modes).

    Like ONNX, the modes that stretch corners use the unrounded output length scale * in_size.
    """
    length = scale * in_size
    if mode == "align_corners":
        return out * 0.0 if length == 1 else out * (in_size - 1) / (length - 1)
    if mode == "asymmetric":
        return out / scale
    if mode == "tf_crop_and_resize":
        start, end = roi
        if length == 1:
            return np.full(out.shape, (end - start) * (in_size - 1) / 2 + start * (in_size - 1))
        return out * (end - start) * (in_size - 1) / (length - 1) + start * (in_size - 1)
    if mode == "pytorch_half_pixel" and length == 1:
        return np.full(out.shape, -0.5)
    if mode == "half_pixel_symmetric":
        offset = in_size / 2 * (1 - out_size / length)
        return offset + (out + 0.5) / scale - 0.5
    return (out + 0.5) / scale - 0.5


def _tap_weights(attrs: dict, ratio: float, scale: float) -> np.ndarray:
    """Weights of the taps base + start .. around a point at base + ratio, ratio in (0, 1]."""
    mode, a = attrs["mode"], attrs["cubic_coeff_a"]
    if mode == "nearest":
        rule = attrs["nearest_mode"]
        if ratio == 1:
            return np.array([0.0, 1.0])
        up = {"round_prefer_floor": ratio > 0.5, "round_prefer_ceil": ratio >= 0.5,
              "floor": False, "ceil": True}[rule]
        return np.array([0.0, 1.0]) if up else np.array([1.0, 0.0])
    shrink = min(scale, 1.0) if attrs["antialias"] else 1.0
    reach = 1.0 if mode == "linear" else 2.0
    start = int(np.floor(-reach / shrink) + 1)
    distances = np.abs((np.arange(start, 2 - start) - ratio) * shrink)
    if mode == "linear":
        weights = np.clip(1 - distances, 0, 1)
    else:
        near = ((a + 2) * distances - (a + 3)) * distances * distances + 1
        far = ((a * distances - 5 * a) * distances + 8 * a) * distances - 4 * a
        weights = np.where(distances <= 1, near, np.where(distances < 2, far, 0.0))
    return weights / weights.sum() if attrs["antialias"] else weights


def resize_matrix(attrs: dict, in_size: int, out_size: int, scale: float,
                  roi: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """[out, in] interpolation weights along one axis, and the outputs outside the ROI."""
    coordinates = _source_coordinates(attrs["coordinate_transformation_mode"],
                                      np.arange(out_size, dtype=np.float64), in_size,
                                      out_size, scale, roi)
    matrix = np.zeros((out_size, in_size))
    outside = np.zeros(out_size, bool)
    if attrs["coordinate_transformation_mode"] == "tf_crop_and_resize":
        outside = (coordinates < 0) | (coordinates > in_size - 1)
    for row, x in enumerate(coordinates):
        base = int(np.ceil(x)) - 1
        weights = _tap_weights(attrs, x - base, scale)
        start = base - len(weights) // 2 + 1
        taps = np.arange(start, start + len(weights))
        if attrs["exclude_outside"]:
            weights = np.where((taps >= 0) & (taps < in_size), weights, 0.0)
            weights = weights / weights.sum()
        np.add.at(matrix[row], np.clip(taps, 0, in_size - 1), weights)
    return matrix, outside


@register
class OnnxResize(Op):
    """ONNX Resize with the features OpenVINO's Interpolate lacks (ROI crops with an
    extrapolation value, exclude_outside, half_pixel_symmetric, antialiasing as ONNX defines it).
    Inputs: data, output sizes (i64, every axis), scales (f32, every axis), roi (f32 [2 * rank]).
    Separable: one [out, in] weight matrix per axis, applied from the last axis to the first."""

    name, version, domain = "OnnxResize", 1, "vinify"
    num_inputs = (4, 4)
    attributes = (Attr("mode", "str", "nearest", ("nearest", "linear", "cubic")),
                  Attr("coordinate_transformation_mode", "str", "half_pixel"),
                  Attr("nearest_mode", "str", "round_prefer_floor"),
                  Attr("cubic_coeff_a", "float", -0.75), Attr("exclude_outside", "bool", False),
                  Attr("extrapolation_value", "float", 0.0), Attr("antialias", "bool", False))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        sizes = ctx.const(1)
        rank = ctx.shape(0).rank if ctx.shape(0).rank_is_static else None
        if sizes is None:
            dims = None if rank is None else (DYNAMIC,) * rank
        else:
            dims = tuple(Dimension.of(int(n)) for n in np.asarray(sizes).reshape(-1))
            if rank is not None and len(dims) != rank:
                raise ctx.error(f"{len(dims)} output sizes for a rank-{rank} input")
        return [TensorType(ctx.element_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, attrs: dict, data, sizes, scales, roi):
        result = data.astype(np.float64)
        rank = data.ndim
        roi = np.asarray(roi, np.float64).reshape(-1)
        for axis in reversed(range(rank)):
            out_size, in_size = int(sizes[axis]), data.shape[axis]
            if out_size == in_size and float(scales[axis]) == 1.0 and \
                    attrs["coordinate_transformation_mode"] != "tf_crop_and_resize":
                continue
            limits = (roi[axis], roi[rank + axis]) if roi.size else (0.0, 1.0)
            matrix, outside = resize_matrix(attrs, in_size, out_size, float(scales[axis]),
                                            limits)
            result = np.moveaxis(np.tensordot(matrix, np.moveaxis(result, axis, 0), 1), 0, axis)
            if outside.any():
                shape = [1] * rank
                shape[axis] = out_size
                result = np.where(outside.reshape(shape), attrs["extrapolation_value"], result)
        return result.astype(data.dtype)


def _bilinear_taps(plane_count: tuple[int, int], y: np.ndarray, x: np.ndarray):
    """(row, column, weight) of the four neighbours of each point; zero weight outside."""
    height, width = plane_count
    y0, x0 = np.floor(y).astype(np.int64), np.floor(x).astype(np.int64)
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
        rows, cols = y0 + dy, x0 + dx
        weight = (1 - np.abs(y - rows)) * (1 - np.abs(x - cols))
        inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
        yield np.clip(rows, 0, height - 1), np.clip(cols, 0, width - 1), weight * inside


@register
class DeformableConvolution(Op):
    """data [N, C, H, W], offsets [N, DG*kh*kw*2, OH, OW] ((y, x) per kernel tap), filters
    [O, C/group, kh, kw], optional mask [N, DG*kh*kw, OH, OW] -> [N, O, OH, OW]. Each tap reads
    the input bilinearly at its regular position plus its offset; outside the image it reads
    zeros, blended with the border when bilinear_interpolation_pad is set."""

    name, version = "DeformableConvolution", 8
    num_inputs = (3, 4)
    attributes = (Attr("strides", "ints"), Attr("pads_begin", "ints"), Attr("pads_end", "ints"),
                  Attr("dilations", "ints"),
                  Attr("auto_pad", "str", "explicit", ("explicit", "valid")),
                  Attr("group", "int", 1), Attr("deformable_group", "int", 1),
                  Attr("bilinear_interpolation_pad", "bool", False))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        data, offsets, filters = ctx.shape(0), ctx.shape(1), ctx.shape(2)
        for index, shape in enumerate((data, offsets, filters)):
            if shape.rank_is_static and shape.rank != 4:
                raise ctx.error(f"input {index} must be 4-D, got {shape}")
        batch = data[0] if data.rank_is_static else DYNAMIC
        out = filters[0] if filters.rank_is_static else DYNAMIC
        spatial = (offsets[2], offsets[3]) if offsets.rank_is_static else (DYNAMIC, DYNAMIC)
        return [TensorType(ctx.element_type(0), PartialShape((batch, out) + spatial))]

    @classmethod
    def evaluate(cls, attrs: dict, data, offsets, filters, mask=None):
        n, channels, height, width = data.shape
        _, _, kh, kw = filters.shape
        out_h, out_w = offsets.shape[2:]
        groups = attrs["deformable_group"]
        shifts = offsets.reshape(n, groups, kh, kw, 2, out_h, out_w).astype(np.float64)
        (sh, sw), (dh, dw) = attrs["strides"], attrs["dilations"]
        base_y = (np.arange(out_h) * sh - attrs["pads_begin"][0])[:, None]
        base_x = (np.arange(out_w) * sw - attrs["pads_begin"][1])[None, :]
        tap_y = np.arange(kh)[:, None, None, None] * dh
        tap_x = np.arange(kw)[None, :, None, None] * dw
        ys = base_y + tap_y + shifts[:, :, :, :, 0]  # [N, DG, kh, kw, OH, OW]
        xs = base_x + tap_x + shifts[:, :, :, :, 1]
        weights = np.ones_like(ys) if mask is None else mask.reshape(ys.shape).astype(np.float64)
        if not attrs["bilinear_interpolation_pad"]:  # points off the image read zero
            weights = weights * ((ys >= 0) & (ys <= height - 1) & (xs >= 0) & (xs <= width - 1))
        group_of = np.arange(channels) // (channels // groups)
        columns = np.zeros((n, channels, kh, kw, out_h, out_w))
        batch = np.arange(n)[:, None, None, None, None, None]
        channel = np.arange(channels)[None, :, None, None, None, None]
        for rows, cols, weight in _bilinear_taps((height, width), ys[:, group_of],
                                                 xs[:, group_of]):
            columns += data[batch, channel, rows, cols] * weight
        columns *= weights[:, group_of]
        return cls._convolve(attrs, columns, filters.astype(np.float64)).astype(data.dtype)

    @staticmethod
    def _convolve(attrs: dict, columns: np.ndarray, filters: np.ndarray) -> np.ndarray:
        groups = attrs["group"]
        n, channels = columns.shape[:2]
        per_in, per_out = channels // groups, filters.shape[0] // groups
        parts = [np.einsum("nckluv,ockl->nouv", columns[:, g * per_in:(g + 1) * per_in],
                           filters[g * per_out:(g + 1) * per_out]) for g in range(groups)]
        return np.concatenate(parts, axis=1)
