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
