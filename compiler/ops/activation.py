"""Activations and softmax."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.elementwise import UnaryElementwise
from vinify.ops.shape_rules import normalize_axis, require_float
from vinify.shapes import TensorType


@register
class Relu(UnaryElementwise):
    name, version = "Relu", 1
    kinds = ("float", "int")

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        return np.maximum(x, np.zeros((), x.dtype))


@register
class Sigmoid(UnaryElementwise):
    name, version = "Sigmoid", 1
    kinds = ("float",)

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        wide = x.astype(np.float64)
        return 1.0 / (1.0 + np.exp(-wide))


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    wide = x.astype(np.float64) if x.dtype != np.float64 else x
    shifted = np.exp(wide - np.max(wide, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


class SoftmaxBase(Op):
    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_float(ctx, 0)
        shape = ctx.shape(0)
        if shape.rank_is_static:
            normalize_axis(ctx, ctx.attrs["axis"], max(shape.rank, 1))
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        return _softmax(x, attrs["axis"])


@register
class SoftmaxV1(SoftmaxBase):
    """Softmax over one non-negative axis."""

    name, version = "Softmax", 1
    attributes = (Attr("axis", "int", 1),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if ctx.attrs["axis"] < 0:
            raise ctx.error("Softmax<1> takes a non-negative axis")
        return super().infer(ctx)


@register
class SoftmaxV8(SoftmaxBase):
    """Softmax over one axis; negative axes count from the end."""

    name, version = "Softmax", 8
    attributes = (Attr("axis", "int", 1),)


# ---- activations from opsets 1-9 (ops-nn) ----------------------------------------------------

_ERFC_COEFFICIENTS = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807,
                      -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def erf(x: np.ndarray) -> np.ndarray:
    """Vectorized erf in f64 (numpy has none): the Maclaurin series near 0, where relative
    accuracy matters, and the classic Chebyshev fit of erfc (fractional error < 1.2e-7) beyond."""
    x = np.asarray(x, np.float64)
    small = np.abs(x) < 0.5
    z = np.where(small, 0.0, np.abs(x))
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.zeros_like(z)
    for coefficient in reversed(_ERFC_COEFFICIENTS[1:]):
        poly = (poly + coefficient) * t
    erfc = t * np.exp(-z * z + _ERFC_COEFFICIENTS[0] + poly)
    large = np.sign(x) * (1.0 - erfc)
    square, term, series = x * x, x.copy(), x.copy()
    for n in range(1, 14):
        term = term * -square / n
        series = series + term / (2 * n + 1)
    return np.where(small, series * 2.0 / np.sqrt(np.pi), large)


class FloatActivation(UnaryElementwise):
    """A float-only elementwise activation computed in f32/f64 (the node casts back)."""

    kinds = ("float",)

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        return cls.compute(attrs, x if x.dtype == np.float64 else x.astype(np.float32))

    @classmethod
    def compute(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _declare_activation(name: str, version: int, compute, attributes=()) -> type:
    cls = type(name, (FloatActivation,), {
        "name": name, "version": version, "attributes": tuple(attributes),
        "compute": classmethod(lambda cls, attrs, x: compute(attrs, x))})
    return register(cls)


def _gelu_erf(attrs, x):
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


def _gelu(attrs, x):
    if attrs["approximation_mode"].lower() == "erf":
        return _gelu_erf(attrs, x)
    inner = np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)
    return 0.5 * x * (1.0 + np.tanh(inner))


def _elu(attrs, x):
    return np.where(x > 0, x, attrs["alpha"] * np.expm1(np.minimum(x, 0)))


def _softplus(attrs, x):
    return np.logaddexp(0, x)


for _name, _version, _compute, _attributes in [
    ("Elu", 1, _elu, (Attr("alpha", "float"),)),
    ("Gelu", 2, _gelu_erf, ()),
    ("Gelu", 7, _gelu, (Attr("approximation_mode", "str", "ERF", ("ERF", "TANH", "erf", "tanh")),)),
    ("HSwish", 4, lambda a, x: x * np.clip(x + 3, 0, 6) / 6, ()),
    ("HSigmoid", 5, lambda a, x: np.clip(x + 3, 0, 6) / 6, ()),
    ("Mish", 4, lambda a, x: x * np.tanh(np.logaddexp(0, x)), ()),
    ("SoftPlus", 4, _softplus, ()),
    ("SoftSign", 9, lambda a, x: x / (1 + np.abs(x)), ()),
    ("Erf", 1, lambda a, x: erf(x), ()),
]:
    _declare_activation(_name, _version, _compute, _attributes)


@register
class Clamp(UnaryElementwise):
    """min(max(x, min), max); integer inputs use ceil(min) and floor(max) as bounds."""

    name, version = "Clamp", 1
    attributes = (Attr("min", "float"), Attr("max", "float"))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if ctx.attrs["min"] > ctx.attrs["max"]:
            raise ctx.error(f"min {ctx.attrs['min']} is greater than max {ctx.attrs['max']}")
        return super().infer(ctx)

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        low, high = attrs["min"], attrs["max"]
        if x.dtype.kind in "iu":
            info = np.iinfo(x.dtype)
            low = int(np.clip(np.ceil(low), info.min, info.max))
            high = int(np.clip(np.floor(high), info.min, info.max))
        return np.clip(x, np.asarray(low).astype(x.dtype), np.asarray(high).astype(x.dtype))


class ActivationWithScalars(Op):
    """x plus scalar (or broadcastable) parameter inputs of x's element type."""

    num_inputs = (1, 3)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_float(ctx, 0)
        ctx.same_element_type(*range(len(ctx.input_types)))
        for index in range(1, len(ctx.input_types)):
            shape = ctx.shape(index)
            if shape.is_static and int(np.prod(shape.to_tuple())) != 1:
                raise ctx.error(f"input {index} must hold one value, got {shape}")
        return [ctx.input_types[0]]


@register
class Swish(ActivationWithScalars):
    """x * sigmoid(beta * x); beta is an optional scalar input (default 1)."""

    name, version = "Swish", 4
    num_inputs = (1, 2)

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, beta=None) -> np.ndarray:
        wide = x.astype(np.float64)
        scale = 1.0 if beta is None else float(np.asarray(beta).reshape(-1)[0])
        return wide / (1.0 + np.exp(-scale * wide))


@register
class Selu(ActivationWithScalars):
    """lambda * (x if x > 0 else alpha * (exp(x) - 1)); inputs x, alpha, lambda."""

    name, version = "Selu", 1
    num_inputs = (3, 3)

    @classmethod
    def evaluate(cls, attrs: dict, x, alpha, scale) -> np.ndarray:
        wide = x.astype(np.float64)
        negative = alpha.reshape(-1)[0] * np.expm1(np.minimum(wide, 0))
        return scale.reshape(-1)[0] * np.where(wide > 0, wide, negative)


@register
class HardSigmoid(ActivationWithScalars):
    """max(0, min(1, alpha * x + beta)); inputs x, alpha, beta."""

    name, version = "HardSigmoid", 1
    num_inputs = (3, 3)

    @classmethod
    def evaluate(cls, attrs: dict, x, alpha, beta) -> np.ndarray:
        wide = x.astype(np.float64)
        return np.clip(alpha.reshape(-1)[0] * wide + beta.reshape(-1)[0], 0.0, 1.0)


@register
class PRelu(Op):
    """x if x >= 0 else slope * x. A 1D slope as long as x's axis 1 applies per channel;
    otherwise the slope broadcasts numpy-style."""

    name, version = "PRelu", 1
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        ctx.same_element_type(0, 1)
        data, slope = ctx.shape(0), ctx.shape(1)
        if data.rank_is_static and slope.rank_is_static and slope.rank > data.rank:
            raise ctx.error(f"slope {slope} has a higher rank than data {data}")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, slope: np.ndarray) -> np.ndarray:
        if slope.ndim == 1 and x.ndim >= 2 and slope.size == x.shape[1] and slope.size != 1:
            slope = slope.reshape((1, -1) + (1,) * (x.ndim - 2))
        return np.where(x >= 0, x, slope * x)


@register
class LogSoftmax(SoftmaxBase):
    """log(softmax(x)) over one axis (negative axes count from the end)."""

    name, version = "LogSoftmax", 5
    attributes = (Attr("axis", "int", 1),)

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        wide = x.astype(np.float64)
        shifted = wide - np.max(wide, axis=attrs["axis"], keepdims=True)
        return shifted - np.log(np.sum(np.exp(shifted), axis=attrs["axis"], keepdims=True))
