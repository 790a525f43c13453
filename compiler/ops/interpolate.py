"""Interpolate (resize) versions 1, 4 and 11.

Every supported mode is separable: resizing is done one axis at a time, either by gathering
indices (nearest) or by multiplying with a dense (out x in) weight matrix (linear, linear_onnx,
cubic), so the reference is a few tensordots however large the image is.
"""

import math

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import normalize_axes
from vinify.shapes import DYNAMIC, Dimension, PartialShape, TensorType

SCALE_EPSILON = 1e-5  # floor(length * scale + eps): scales like 1/3 give the intended size

COORDINATE_MODES = ("half_pixel", "pytorch_half_pixel", "asymmetric", "tf_half_pixel_for_nn",
                    "align_corners")
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple")


def source_coordinates(mode: str, out_len: int, in_len: int, scale: float) -> np.ndarray:
    """For each output index along one axis, the input coordinate it samples."""
    x = np.arange(out_len, dtype=np.float64)
    if mode == "half_pixel":
        return (x + 0.5) / scale - 0.5
    if mode == "pytorch_half_pixel":
        return (x + 0.5) / scale - 0.5 if out_len > 1 else np.zeros(out_len)
    if mode == "asymmetric":
        return x / scale
    if mode == "tf_half_pixel_for_nn":
        return (x + 0.5) / scale
    if out_len == 1:  # align_corners
        return np.zeros(1)
    return x * (in_len - 1) / (out_len - 1)


def nearest_indices(coords: np.ndarray, mode: str, scale: float, in_len: int) -> np.ndarray:
    if mode == "round_prefer_floor":
        index = np.where(coords - np.floor(coords) == 0.5, np.floor(coords), np.round(coords))
    elif mode == "round_prefer_ceil":
        index = np.floor(coords + 0.5)
    elif mode == "floor":
        index = np.floor(coords)
    elif mode == "ceil":
        index = np.ceil(coords)
    else:  # simple: downsampling rounds up, upsampling truncates
        index = np.ceil(coords) if scale < 1 else np.trunc(coords)
    return np.clip(index, 0, in_len - 1).astype(np.int64)


def linear_onnx_weights(coords: np.ndarray, in_len: int) -> np.ndarray:
    """Two taps around the coordinate clamped into the input."""
    coords = np.clip(coords, 0, in_len - 1)
    low = np.floor(coords).astype(np.int64)
    high = np.minimum(low + 1, in_len - 1)
    fraction = coords - low
    weights = np.zeros((len(coords), in_len))
    rows = np.arange(len(coords))
    np.add.at(weights, (rows, low), 1 - fraction)
    np.add.at(weights, (rows, high), fraction)
    return weights


def cubic_weights(coords: np.ndarray, in_len: int, a: float) -> np.ndarray:
    """Keys' cubic convolution over four taps; taps past the edge repeat the edge."""
    base = np.floor(coords)
    t = coords - base
    taps = [((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
            ((a + 2) * t - (a + 3)) * t * t + 1,
            ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
            ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a]
    weights = np.zeros((len(coords), in_len))
    rows = np.arange(len(coords))
    for offset, tap in zip(range(-1, 3), taps):
        index = np.clip(base.astype(np.int64) + offset, 0, in_len - 1)
        np.add.at(weights, (rows, index), tap)
    return weights


def triangle_weights(coords: np.ndarray, in_len: int, scale: float,
                     antialias: bool) -> np.ndarray:
    """OpenVINO's `linear` mode: a triangle filter (widened by 1/scale when antialiasing a
    downscale) over in-range taps only, renormalized so the weights sum to one."""
    width = scale if antialias and scale < 1 else 1.0
    distance = np.abs(coords[:, None] - np.arange(in_len)[None, :])
    weights = np.maximum(0.0, 1.0 - distance * width) * width
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


def pillow_weights(out_len: int, in_len: int, kind: str, a: float) -> np.ndarray:
    """Pillow's resampling: a triangle (support 1) or Keys cubic (support 2) filter centred on
    (i + 0.5) * in/out, widened by in/out on a downscale, renormalized per row. Like Pillow and
    OpenVINO's CPU plugin, it always antialiases whatever the antialias attribute says."""
    ratio = in_len / out_len
    widen = max(ratio, 1.0)
    support = (1.0 if kind == "bilinear_pillow" else 2.0) * widen
    centers = (np.arange(out_len) + 0.5) * ratio
    taps = np.arange(in_len)[None, :]
    low = np.maximum(np.trunc(centers - support + 0.5), 0)[:, None]
    high = np.minimum(np.trunc(centers + support + 0.5), in_len)[:, None]
    distance = np.abs((taps - centers[:, None] + 0.5) / widen)
    if kind == "bilinear_pillow":
        weights = np.maximum(0.0, 1.0 - distance)
    else:
        near = ((a + 2) * distance - (a + 3)) * distance * distance + 1
        far = ((distance - 5) * distance + 8) * distance * a - 4 * a
        weights = np.where(distance < 1, near, np.where(distance < 2, far, 0.0))
    weights = np.where((taps >= low) & (taps < high), weights, 0.0)
    totals = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals != 0)


def axis_taps(attrs: dict, out_len: int, in_len: int, scale: float) -> np.ndarray:
    """One axis's taps: source indices for nearest, else the [out_len, in_len] filter matrix.
    The CPU/GPU lowering builds its tables from this, so devices follow the reference."""
    coords = source_coordinates(attrs["coordinate_transformation_mode"], out_len, in_len, scale)
    mode = attrs["mode"]
    if mode == "nearest":
        return nearest_indices(coords, attrs["nearest_mode"], scale, in_len)
    if mode == "linear_onnx":
        return linear_onnx_weights(coords, in_len)
    if mode == "cubic":
        return cubic_weights(coords, in_len, attrs["cube_coeff"])
    if mode == "linear":
        return triangle_weights(coords, in_len, scale, attrs["antialias"])
    if mode in ("bilinear_pillow", "bicubic_pillow"):
        return pillow_weights(out_len, in_len, mode, attrs["cube_coeff"])
    raise NotImplementedError(f"Interpolate mode '{mode}' has no reference yet")


def resize_axis(x: np.ndarray, axis: int, out_len: int, scale: float, attrs: dict) -> np.ndarray:
    """x resized along one axis to out_len samples."""
    in_len = x.shape[axis]
    weights = axis_taps(attrs, out_len, in_len, scale)
    if attrs["mode"] == "nearest":
        return np.take(x, weights, axis)
    wide = x if x.dtype == np.float64 else x.astype(np.float32)
    resized = np.tensordot(wide, weights.astype(wide.dtype), axes=([axis], [1]))
    resized = np.moveaxis(resized, -1, axis)
    if x.dtype.kind in "iu":
        return np.round(resized)
    return resized


def pad_data(x: np.ndarray, attrs: dict) -> np.ndarray:
    rank = x.ndim
    begin = list(attrs["pads_begin"]) + [0] * rank
    end = list(attrs["pads_end"]) + [0] * rank
    widths = [(begin[i], end[i]) for i in range(rank)]
    return np.pad(x, widths) if any(b or e for b, e in widths) else x


def scaled_length(length: int, scale: float) -> int:
    return int(math.floor(length * scale + SCALE_EPSILON))


def interpolate(x: np.ndarray, attrs: dict, axes: list[int], sizes=None, scales=None):
    """The shared reference: pad, then resize each axis by the given sizes or scales."""
    x = pad_data(x, attrs)
    for position, axis in enumerate(axes):
        out_len, scale = axis_target(attrs, x.shape[axis], position, scales, sizes)
        if out_len == x.shape[axis] and scale == 1.0:
            continue
        x = resize_axis(x, axis, out_len, scale, attrs)
    return x


def axis_target(attrs: dict, in_len: int, position: int, scales, sizes) -> tuple[int, float]:
    """(output length, scale) of the `position`-th resized axis, from scales or sizes as the
    shape_calculation_mode says."""
    if attrs["shape_calculation_mode"] == "scales":
        scale = float(scales[position])
        return scaled_length(in_len, scale), scale
    out_len = int(sizes[position])
    return out_len, out_len / in_len


def padded_dims(ctx: InferContext, shape: PartialShape) -> list[Dimension]:
    rank = shape.rank
    begin = list(ctx.attrs["pads_begin"]) + [0] * rank
    end = list(ctx.attrs["pads_end"]) + [0] * rank
    if any(p < 0 for p in begin[:rank] + end[:rank]):
        raise ctx.error("pads_begin and pads_end must be non-negative")
    return [dim + begin[i] + end[i] for i, dim in enumerate(shape.dims)]


def scaled_dim(dim: Dimension, scale: float) -> Dimension:
    high = None if dim.max is None else scaled_length(dim.max, scale)
    return Dimension(scaled_length(dim.min, scale), high)


def resized_shape(ctx: InferContext, axes: list[int] | None, sizes, scales) -> PartialShape:
    """Output shape: padded input dims, with each axis in `axes` set by its size or scale."""
    shape = ctx.shape(0)
    if not shape.rank_is_static:
        return shape
    dims = padded_dims(ctx, shape)
    if axes is None:
        return PartialShape((DYNAMIC,) * len(dims))  # which axes change is not known yet
    by_scales = ctx.attrs["shape_calculation_mode"] == "scales"
    values = scales if by_scales else sizes
    if values is not None and np.asarray(values).size != len(axes):
        raise ctx.error(f"{'scales' if by_scales else 'sizes'} has {np.asarray(values).size} "
                        f"values for {len(axes)} axes")
    for position, axis in enumerate(axes):
        if values is None:
            dims[axis] = DYNAMIC
        elif by_scales:
            dims[axis] = scaled_dim(dims[axis], float(np.asarray(values).ravel()[position]))
        else:
            dims[axis] = Dimension.of(int(np.asarray(values).ravel()[position]))
    return PartialShape(tuple(dims))


def _axes(ctx: InferContext, index: int | None) -> list[int] | None:
    """Axes from input `index` (None: every axis), normalized; None when not yet known."""
    shape = ctx.shape(0)
    if index is None or index >= len(ctx.input_types):
        return list(range(shape.rank)) if shape.rank_is_static else None
    if ctx.element_type(index).kind not in ("int", "uint"):
        raise ctx.error(f"axes must be an integer tensor, got {ctx.element_type(index)}")
    axes = ctx.const(index)
    if axes is None or not shape.rank_is_static:
        return None
    return normalize_axes(ctx, axes, shape.rank)


def _require_kind(ctx: InferContext, index: int, kinds: tuple[str, ...], what: str) -> None:
    if ctx.element_type(index).kind not in kinds:
        raise ctx.error(f"{what} must be {' or '.join(kinds)}, got {ctx.element_type(index)}")


COMMON_ATTRS = (
    Attr("shape_calculation_mode", "str", choices=("sizes", "scales")),
    Attr("coordinate_transformation_mode", "str", "half_pixel", COORDINATE_MODES),
    Attr("nearest_mode", "str", "round_prefer_floor", NEAREST_MODES),
    Attr("antialias", "bool", False),
    Attr("pads_begin", "ints", (0,)),
    Attr("pads_end", "ints", (0,)),
    Attr("cube_coeff", "float", -0.75),
)


@register
class InterpolateV4(Op):
    """Inputs: data, sizes (int), scales (float), optional axes; shape_calculation_mode picks
    which of sizes and scales sets the output shape (the other is still used for scales)."""

    name, version = "Interpolate", 4
    num_inputs = (3, 4)
    attributes = (Attr("mode", "str", choices=("nearest", "linear", "linear_onnx", "cubic")),
                  ) + COMMON_ATTRS

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        _require_kind(ctx, 1, ("int", "uint"), "sizes")
        _require_kind(ctx, 2, ("float",), "scales")
        axes = _axes(ctx, 3)
        shape = resized_shape(ctx, axes, ctx.const(1), ctx.const(2))
        return [TensorType(ctx.element_type(0), shape)]

    @classmethod
    def evaluate(cls, attrs: dict, x, sizes, scales, axes=None) -> np.ndarray:
        axes_list = list(range(x.ndim)) if axes is None else \
            [int(a) % x.ndim for a in np.asarray(axes).ravel()]
        return interpolate(x, attrs, axes_list, np.asarray(sizes).ravel(),
                           np.asarray(scales).ravel())


@register
class InterpolateV11(Op):
    """Inputs: data, scales or sizes (by shape_calculation_mode), optional axes."""

    name, version = "Interpolate", 11
    num_inputs = (2, 3)
    attributes = (Attr("mode", "str", choices=("nearest", "linear", "linear_onnx", "cubic",
                                               "bilinear_pillow", "bicubic_pillow")),
                  ) + COMMON_ATTRS

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        by_scales = ctx.attrs["shape_calculation_mode"] == "scales"
        _require_kind(ctx, 1, ("float",) if by_scales else ("int", "uint"),
                      "scales" if by_scales else "sizes")
        axes = _axes(ctx, 2)
        value = ctx.const(1)
        shape = resized_shape(ctx, axes, None if by_scales else value,
                              value if by_scales else None)
        return [TensorType(ctx.element_type(0), shape)]

    @classmethod
    def evaluate(cls, attrs: dict, x, scales_or_sizes, axes=None) -> np.ndarray:
        axes_list = list(range(x.ndim)) if axes is None else \
            [int(a) % x.ndim for a in np.asarray(axes).ravel()]
        values = np.asarray(scales_or_sizes).ravel()
        return interpolate(x, attrs, axes_list, values, values)


V1_MODE_AS_V4 = {"nearest": "nearest", "linear": "linear_onnx", "cubic": "cubic", "area": "area"}


@register
class InterpolateV1(Op):
    """Resize to target_spatial_shape on `axes`; expressed through the v4 reference with
    align_corners or asymmetric coordinates and `simple` nearest rounding."""

    name, version = "Interpolate", 1
    num_inputs = (2, 2)
    attributes = (Attr("axes", "ints"),
                  Attr("mode", "str", choices=("nearest", "linear", "cubic", "area")),
                  Attr("align_corners", "bool", False), Attr("antialias", "bool", False),
                  Attr("pads_begin", "ints", (0,)), Attr("pads_end", "ints", (0,)))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        _require_kind(ctx, 1, ("int", "uint"), "target_spatial_shape")
        shape = ctx.shape(0)
        axes = normalize_axes(ctx, ctx.attrs["axes"], shape.rank) if shape.rank_is_static \
            else None
        attrs = dict(ctx.attrs, shape_calculation_mode="sizes")
        view = _AttrsView(ctx, attrs)
        return [TensorType(ctx.element_type(0), resized_shape(view, axes, ctx.const(1), None))]

    @staticmethod
    def as_v4(attrs: dict) -> dict:
        return dict(pads_begin=attrs["pads_begin"], pads_end=attrs["pads_end"],
                    antialias=attrs["antialias"], mode=V1_MODE_AS_V4[attrs["mode"]],
                    shape_calculation_mode="sizes", nearest_mode="simple", cube_coeff=-0.75,
                    coordinate_transformation_mode="align_corners" if attrs["align_corners"]
                    else "asymmetric")

    @classmethod
    def evaluate(cls, attrs: dict, x, target) -> np.ndarray:
        axes = [a % x.ndim for a in attrs["axes"]]
        return interpolate(x, cls.as_v4(attrs), axes, np.asarray(target).ravel())


class _AttrsView:
    """An InferContext with substituted attributes (v1 reuses the v4 shape rule)."""

    def __init__(self, ctx: InferContext, attrs: dict):
        self._ctx, self.attrs = ctx, attrs

    def __getattr__(self, name):
        return getattr(self._ctx, name)
