"""Random generation: RandomUniform<8>, Multinomial<13> (OpenVINO opset semantics), and the
internal Det (vinify domain; no OpenVINO op computes determinants).

Random references draw from numpy's Philox generator seeded with (global_seed, op_seed), so a
given seed pair reproduces the same tensor on TEMPLATE; the numbers are not OpenVINO's.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import DYNAMIC, Dimension, PartialShape, TensorType

SEEDS = (Attr("global_seed", "int", 0), Attr("op_seed", "int", 0))


def _generator(attrs: dict) -> np.random.Generator:
    if attrs["global_seed"] == 0 and attrs["op_seed"] == 0:
        return np.random.default_rng()
    return np.random.Generator(np.random.Philox([attrs["global_seed"], attrs["op_seed"]]))


def _shape_from(ctx: InferContext, index: int) -> PartialShape:
    known = ctx.const(index)
    if known is not None:
        return PartialShape.of([int(n) for n in np.asarray(known).reshape(-1)])
    shape = ctx.shape(index)
    if shape.is_static:
        return PartialShape((DYNAMIC,) * shape.to_tuple()[0])
    return PartialShape(None)


@register
class RandomUniform(Op):
    """shape (1-D integer), min, max (scalars) -> values uniform in [min, max)."""

    name, version = "RandomUniform", 8
    num_inputs = (3, 3)
    attributes = (Attr("output_type", "type"),) + SEEDS

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if not ctx.element_type(0).is_integral:
            raise ctx.error(f"shape must be integer, got {ctx.element_type(0)}")
        return [TensorType(ctx.attrs["output_type"], _shape_from(ctx, 0))]

    @classmethod
    def evaluate(cls, attrs: dict, shape, low, high):
        dims = [int(n) for n in np.asarray(shape).reshape(-1)]
        dtype = attrs["output_type"].dtype
        generator = _generator(attrs)
        if np.dtype(dtype).kind in "iu":
            return generator.integers(int(low), int(high), dims).astype(dtype)
        values = generator.uniform(float(low), float(high), dims)
        return values.astype(dtype)


@register
class Multinomial(Op):
    """probs [batch?, classes] (or logs), num_samples -> class indices [batch?, num_samples]."""

    name, version = "Multinomial", 13
    num_inputs = (2, 2)
    attributes = (Attr("convert_type", "type"), Attr("with_replacement", "bool"),
                  Attr("log_probs", "bool", False)) + SEEDS

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        probs = ctx.shape(0)
        count = ctx.const(1)
        samples = DYNAMIC if count is None else Dimension.of(int(np.asarray(count).reshape(-1)[0]))
        if not probs.rank_is_static:
            return [TensorType(ctx.attrs["convert_type"], PartialShape(None))]
        if probs.rank not in (1, 2):
            raise ctx.error(f"probs must be 1-D or 2-D, got {probs}")
        dims = tuple(probs.dims[:-1]) + (samples,)
        return [TensorType(ctx.attrs["convert_type"], PartialShape(dims))]

    @classmethod
    def evaluate(cls, attrs: dict, probs, count):
        weights = probs.astype(np.float64)
        if attrs["log_probs"]:
            weights = np.exp(weights)
        batched = weights.reshape(-1, weights.shape[-1])
        generator = _generator(attrs)
        samples = int(np.asarray(count).reshape(-1)[0])
        rows = [generator.choice(row.size, samples, replace=attrs["with_replacement"],
                                 p=row / row.sum()) for row in batched]
        result = np.asarray(rows).reshape(weights.shape[:-1] + (samples,))
        return result.astype(attrs["convert_type"].dtype)


@register
class Det(Op):
    """Determinants of the [..., M, M] matrices of the input (vinify-internal, for ONNX Det)."""

    name, version, domain = "Det", 1, "vinify"

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        shape = ctx.shape(0)
        if not ctx.element_type(0).is_float:
            raise ctx.error(f"Det needs floating point input, got {ctx.element_type(0)}")
        if not shape.rank_is_static:
            return [TensorType(ctx.element_type(0), PartialShape(None))]
        if shape.rank < 2 or not shape[-1].compatible(shape[-2]):
            raise ctx.error(f"Det needs square matrices [..., M, M], got {shape}")
        return [TensorType(ctx.element_type(0), PartialShape(shape.dims[:-2]))]

    @classmethod
    def evaluate(cls, attrs: dict, x):
        return np.linalg.det(x.astype(np.float64)).astype(x.dtype)



