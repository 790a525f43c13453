"""Normalizations: BatchNormInference (1, 5), MVN (2, 6), NormalizeL2, LRN, GRN.

The references compute in f32 (f64 stays f64) so that f16 models are as accurate as devices that
accumulate wide; the node casts the result back to the input type.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import normalize_axes, require_float
from vinify.shapes import Dimension, PartialShape, TensorType


def wide(x: np.ndarray) -> np.ndarray:
    return x if x.dtype == np.float64 else x.astype(np.float32)


def _axes_from_input(ctx: InferContext, index: int) -> list[int] | None:
    """The normalized constant axes of input `index`, or None if unknown at compile time."""
    if ctx.element_type(index).kind not in ("int", "uint"):
        raise ctx.error(f"axes must be an integer tensor, got {ctx.element_type(index)}")
    axes = ctx.const(index)
    shape = ctx.shape(0)
    if axes is None or not shape.rank_is_static:
        return None
    return normalize_axes(ctx, axes, shape.rank)


class BatchNormBase(Op):
    """y = gamma * (x - mean) / sqrt(variance + epsilon) + beta, per channel (axis 1)."""

    num_inputs = (5, 5)
    attributes = (Attr("epsilon", "float"),)
    data_index = 0

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.same_element_type(0, 1, 2, 3, 4)
        if not elem.is_float:
            raise ctx.error(f"BatchNormInference takes floating point inputs, got {elem}")
        data = ctx.shape(cls.data_index)
        if data.rank_is_static and data.rank < 2:
            raise ctx.error(f"data must have rank >= 2, got {data}")
        if ctx.attrs["epsilon"] < 0:
            raise ctx.error(f"epsilon must be non-negative, got {ctx.attrs['epsilon']}")
        channels = data[1] if data.rank_is_static else Dimension()
        for index in range(5):
            if index == cls.data_index:
                continue
            shape = ctx.shape(index)
            if shape.rank_is_static and (shape.rank != 1 or not shape[0].compatible(channels)):
                raise ctx.error(f"input {index} must be [{channels}] (one value per channel), "
                                f"got {shape}")
        return [ctx.input_types[cls.data_index]]

    @staticmethod
    def normalize(attrs: dict, x, gamma, beta, mean, variance) -> np.ndarray:
        shape = (1, -1) + (1,) * (x.ndim - 2)
        scale = wide(gamma) / np.sqrt(wide(variance) + attrs["epsilon"])
        shift = wide(beta) - wide(mean) * scale
        return wide(x) * scale.reshape(shape) + shift.reshape(shape)


@register
class BatchNormInferenceV1(BatchNormBase):
    """Inputs in opset1 order: gamma, beta, data, mean, variance."""

    name, version = "BatchNormInference", 1
    data_index = 2

    @classmethod
    def evaluate(cls, attrs: dict, gamma, beta, x, mean, variance) -> np.ndarray:
        return cls.normalize(attrs, x, gamma, beta, mean, variance)


@register
class BatchNormInferenceV5(BatchNormBase):
    """Inputs in opset5 order: data, gamma, beta, mean, variance."""

    name, version = "BatchNormInference", 5

    @classmethod
    def evaluate(cls, attrs: dict, x, gamma, beta, mean, variance) -> np.ndarray:
        return cls.normalize(attrs, x, gamma, beta, mean, variance)


def mean_variance_normalize(x: np.ndarray, axes: tuple[int, ...], normalize_variance: bool,
                            eps: float, inside_sqrt: bool = True) -> np.ndarray:
    x = wide(x)
    centered = x - x.mean(axis=axes, keepdims=True)
    if not normalize_variance:
        return centered
    variance = np.mean(np.square(centered), axis=axes, keepdims=True)
    if inside_sqrt:
        return centered / np.sqrt(variance + eps)
    return centered / (np.sqrt(variance) + eps)


@register
class MVNV2(Op):
    """MVN-1 (opset2): mean (and variance) over reduction_axes, or over C,H,W / H,W."""

    name, version = "MVN", 2
    attributes = (Attr("across_channels", "bool", False), Attr("normalize_variance", "bool", False),
                  Attr("eps", "float"), Attr("reduction_axes", "ints", ()))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_float(ctx, 0)
        shape = ctx.shape(0)
        if shape.rank_is_static:
            if shape.rank < 2 and not ctx.attrs["reduction_axes"]:
                raise ctx.error(f"data must have rank >= 2, got {shape}")
            normalize_axes(ctx, ctx.attrs["reduction_axes"], shape.rank)
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        axes = tuple(a % x.ndim for a in attrs["reduction_axes"])
        if not axes:
            axes = tuple(range(1 if attrs["across_channels"] else 2, x.ndim))
        return mean_variance_normalize(x, axes, attrs["normalize_variance"], attrs["eps"])


@register
class MVNV6(Op):
    """MVN over the axes given as input 1; eps inside or outside the square root."""

    name, version = "MVN", 6
    num_inputs = (2, 2)
    attributes = (Attr("normalize_variance", "bool"), Attr("eps", "float"),
                  Attr("eps_mode", "str", choices=("inside_sqrt", "outside_sqrt")))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_float(ctx, 0)
        _axes_from_input(ctx, 1)
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, axes: np.ndarray) -> np.ndarray:
        normalized = tuple(int(a) % x.ndim for a in np.asarray(axes).reshape(-1))
        return mean_variance_normalize(x, normalized, attrs["normalize_variance"], attrs["eps"],
                                       attrs["eps_mode"] == "inside_sqrt")


@register
class NormalizeL2(Op):
    """x / sqrt(sum(x^2 over axes) (+ or max) eps); empty axes normalize each element alone."""

    name, version = "NormalizeL2", 1
    num_inputs = (2, 2)
    attributes = (Attr("eps", "float"), Attr("eps_mode", "str", choices=("add", "max")))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_float(ctx, 0)
        _axes_from_input(ctx, 1)
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, axes: np.ndarray) -> np.ndarray:
        normalized = tuple(int(a) % max(x.ndim, 1) for a in np.asarray(axes).reshape(-1))
        x = wide(x)
        squares = np.sum(np.square(x), axis=normalized, keepdims=True)
        if attrs["eps_mode"] == "add":
            return x / np.sqrt(squares + attrs["eps"])
        return x / np.sqrt(np.maximum(squares, attrs["eps"]))


def _window_sum(squares: np.ndarray, axis: int, size: int) -> np.ndarray:
    """Sum over [i - (size-1)//2, i + (size-1)//2] along `axis`, clipped to the tensor: the
    spec's integer halving, so an even size covers size-1 elements (as OpenVINO's CPU does)."""
    before = after = (size - 1) // 2
    cumulative = np.cumsum(squares, axis=axis)
    zeros = np.zeros_like(np.take(cumulative, [0], axis=axis))
    cumulative = np.concatenate([zeros, cumulative], axis=axis)
    length = squares.shape[axis]
    index = np.arange(length)
    high = np.minimum(index + after + 1, length)
    low = np.maximum(index - before, 0)
    return np.take(cumulative, high, axis=axis) - np.take(cumulative, low, axis=axis)


@register
class LRN(Op):
    """Local response normalization over a size-wide window on each axis in input 1."""

    name, version = "LRN", 1
    num_inputs = (2, 2)
    attributes = (Attr("alpha", "float"), Attr("beta", "float"), Attr("bias", "float"),
                  Attr("size", "int"))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_float(ctx, 0)
        if ctx.attrs["size"] < 1:
            raise ctx.error(f"size must be positive, got {ctx.attrs['size']}")
        _axes_from_input(ctx, 1)
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, axes: np.ndarray) -> np.ndarray:
        normalized = [int(a) % x.ndim for a in np.asarray(axes).reshape(-1)]
        x = wide(x)
        total = np.square(x)
        for axis in normalized:
            total = _window_sum(total, axis, attrs["size"])
        scale = attrs["alpha"] / attrs["size"] ** len(normalized)
        return x / (attrs["bias"] + scale * total) ** attrs["beta"]


@register
class GRN(Op):
    """Global response normalization: x / sqrt(sum over channels of x^2 + bias)."""

    name, version = "GRN", 1
    attributes = (Attr("bias", "float"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_float(ctx, 0)
        shape: PartialShape = ctx.shape(0)
        if shape.rank_is_static and not 2 <= shape.rank <= 4:
            raise ctx.error(f"data must have rank 2 to 4, got {shape}")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        x = wide(x)
        return x / np.sqrt(np.sum(np.square(x), axis=1, keepdims=True) + attrs["bias"])
