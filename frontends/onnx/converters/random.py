"""Random converters: RandomUniform(Like), RandomNormal(Like), Bernoulli, Multinomial.

Only the output shapes and element types are reproducible across runtimes; the numbers come
from vinify's own generator (seeded by the ONNX `seed` when given).
"""

import math

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import convert, i64_const, scalar_like, shape_of
from vinify.frontends.onnx.registry import converter
from vinify.frontends.onnx.types import element_type_of
from vinify.ir import Value, as_value
from vinify.types import ElementType, f32


def _seeds(ctx: NodeContext) -> dict:
    seed = ctx.attr("seed", None)
    if seed is None:
        return {"global_seed": 0, "op_seed": 0}
    return {"global_seed": 1, "op_seed": int(np.float32(seed).view(np.int32))}


def _element_type(ctx: NodeContext, like: Value | None = None) -> ElementType:
    code = ctx.attr("dtype", None)
    if code is not None:
        return element_type_of(code, ctx.name)
    return like.element_type if like is not None else f32


def uniform(ctx: NodeContext, shape: Value, elem: ElementType, low: float,
            high: float) -> Value:
    return as_value(ctx.make("RandomUniform", 8, shape, ctx.const(np.asarray(low, elem.dtype)),
                             ctx.const(np.asarray(high, elem.dtype)), output_type=str(elem),
                             **_seeds(ctx)))


def _target(ctx: NodeContext, like: bool) -> tuple[Value, ElementType]:
    if like:
        data = ctx.input(0)
        return shape_of(ctx, data), _element_type(ctx, data)
    return i64_const(ctx, ctx.attr("shape")), _element_type(ctx)


def _uniform_node(ctx: NodeContext, like: bool) -> Value:
    shape, elem = _target(ctx, like)
    return uniform(ctx, shape, elem, ctx.attr("low", 0.0), ctx.attr("high", 1.0))


def _normal_node(ctx: NodeContext, like: bool) -> Value:
    """Box-Muller: sqrt(-2 ln(1 - u1)) * cos(2 pi u2) * scale + mean."""
    shape, elem = _target(ctx, like)
    first, second = uniform(ctx, shape, elem, 0.0, 1.0), uniform(ctx, shape, elem, 0.0, 1.0)

    def op(name: str, a: Value, b: Value) -> Value:
        return as_value(ctx.make(name, 1, a, b))

    logarithm = as_value(ctx.make("Log", 1, op("Subtract", scalar_like(ctx, 1, first), first)))
    radius = as_value(ctx.make("Sqrt", 1, op("Multiply", logarithm, scalar_like(ctx, -2, first))))
    angle = as_value(ctx.make("Cos", 1, op("Multiply", second,
                                            scalar_like(ctx, 2 * math.pi, second))))
    normal = op("Multiply", op("Multiply", radius, angle), scalar_like(ctx, ctx.attr("scale", 1.0),
                                                                       first))
    return op("Add", normal, scalar_like(ctx, ctx.attr("mean", 0.0), first))


for _name, _build, _like in (("RandomUniform", _uniform_node, False),
                             ("RandomUniformLike", _uniform_node, True),
                             ("RandomNormal", _normal_node, False),
                             ("RandomNormalLike", _normal_node, True)):
    converter(_name, since=1)(lambda ctx, build=_build, like=_like: build(ctx, like))


@converter("Bernoulli", since=15)
def bernoulli(ctx: NodeContext) -> Value:
    """1 where a uniform draw falls below the input probability."""
    probability = ctx.input(0)
    draws = uniform(ctx, shape_of(ctx, probability), probability.element_type, 0.0, 1.0)
    hits = as_value(ctx.make("Less", 1, draws, probability))
    return convert(ctx, hits, _element_type(ctx, probability))


@converter("Multinomial", since=7)
def multinomial(ctx: NodeContext) -> Value:
    """Samples classes from unnormalized log-probabilities, with replacement."""
    code = ctx.attr("dtype", 6)
    return as_value(ctx.make("Multinomial", 13, ctx.input(0),
                             i64_const(ctx, ctx.attr("sample_size", 1)),
                             convert_type=str(element_type_of(code, ctx.name)),
                             with_replacement=True, log_probs=True, **_seeds(ctx)))
