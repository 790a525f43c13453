"""Graph boundary ops: Parameter, Constant, Result."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import PartialShape, TensorType
from vinify.types import element_type


@register
class Parameter(Op):
    """A graph input. Its value comes from the caller at inference."""

    name, version = "Parameter", 1
    attributes = (Attr("element_type", "type"), Attr("shape", "shape"))
    num_inputs = (0, 0)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [TensorType(ctx.attrs["element_type"], ctx.attrs["shape"])]


@register
class Constant(Op):
    """A tensor known at compile time; its type is the value's dtype and shape."""

    name, version = "Constant", 1
    attributes = (Attr("value", "tensor"),)
    num_inputs = (0, 0)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        value: np.ndarray = ctx.attrs["value"]
        return [TensorType(element_type(value.dtype), PartialShape.of(value.shape))]

    @classmethod
    def evaluate(cls, attrs: dict) -> np.ndarray:
        return attrs["value"]


@register
class Result(Op):
    """A graph output; passes its input through."""

    name, version = "Result", 1

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        return x
