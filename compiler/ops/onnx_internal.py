"""Internal ops (domain "vinify") for ONNX constructs that no OpenVINO opset op expresses.

They are declared with the same mechanism as the OpenVINO ops (attributes, inference, numpy
reference) but live in their own domain, so IR files mark them as vinify's own.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import normalize_axis
from vinify.shapes import TensorType


@register
class Hardmax(Op):
    """1 at the first maximum along `axis`, 0 elsewhere (ONNX Hardmax, opset 13 semantics)."""

    name, version, domain = "Hardmax", 1, "vinify"
    attributes = (Attr("axis", "int", -1),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        shape = ctx.shape(0)
        if shape.rank_is_static:
            normalize_axis(ctx, ctx.attrs["axis"], max(shape.rank, 1))
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        axis = attrs["axis"] % max(x.ndim, 1)
        winners = np.expand_dims(np.argmax(x, axis=axis), axis)
        result = np.zeros_like(x)
        np.put_along_axis(result, winners, 1, axis=axis)
        return result
