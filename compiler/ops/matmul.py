"""Matrix multiplication."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import broadcast_shapes
from vinify.shapes import PartialShape, TensorType


@register
class MatMul(Op):
    """numpy matmul with optional transposes of the last two axes; rank-1 operands as in numpy."""

    name, version = "MatMul", 1
    num_inputs = (2, 2)
    attributes = (Attr("transpose_a", "bool", False), Attr("transpose_b", "bool", False))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.same_element_type(0, 1)
        a, b = ctx.shape(0), ctx.shape(1)
        if a.dims is None or b.dims is None:
            return [TensorType(elem, PartialShape(None))]
        a_dims, b_dims = list(a.dims), list(b.dims)
        if not a_dims or not b_dims:
            raise ctx.error("MatMul inputs must have rank >= 1")
        if len(a_dims) >= 2 and ctx.attrs["transpose_a"]:
            a_dims[-2], a_dims[-1] = a_dims[-1], a_dims[-2]
        if len(b_dims) >= 2 and ctx.attrs["transpose_b"]:
            b_dims[-2], b_dims[-1] = b_dims[-1], b_dims[-2]
        a_vector, b_vector = len(a_dims) == 1, len(b_dims) == 1
        if a_vector:
            a_dims = [PartialShape.of([1])[0]] + a_dims
        if b_vector:
            b_dims = b_dims + [PartialShape.of([1])[0]]
        if not a_dims[-1].compatible(b_dims[-2]):
            raise ctx.error(f"inner dimensions differ: {a} x {b}")
        batch = broadcast_shapes(ctx, PartialShape(tuple(a_dims[:-2])),
                                 PartialShape(tuple(b_dims[:-2])))
        dims = list(batch.dims) + ([] if a_vector else [a_dims[-2]]) + \
            ([] if b_vector else [b_dims[-1]])
        return [TensorType(elem, PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if attrs["transpose_a"] and a.ndim >= 2:
            a = np.swapaxes(a, -1, -2)
        if attrs["transpose_b"] and b.ndim >= 2:
            b = np.swapaxes(b, -1, -2)
        if a.dtype == np.float16:  # accumulate in f32 as devices do
            return np.matmul(a.astype(np.float32), b.astype(np.float32))
        return np.matmul(a, b)
