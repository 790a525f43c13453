"""Algebraic simplification: identities that remove work without changing any value.

    x + 0, 0 + x, x - 0, x * 1, 1 * x, x / 1   ->  x      (when broadcasting keeps x's type)
    Transpose(Transpose(x, p1), p2)             ->  Transpose(x, p1[p2])  (or x if identity)
    Transpose(x, [0, 1, ..., n-1])              ->  x
    Reshape(Reshape(x, s1), s2)                 ->  Reshape(x, s2)   (static shapes; also any
                                                    chain of Reshape/Squeeze/Unsqueeze)
    Reshape/Squeeze/Unsqueeze(x) that keeps x's shape  ->  x
    Convert(x) to the element type of x         ->  x

For example `%1 = Multiply<1>(%x, %one) : f32[2,3]` with `%one` all ones disappears and its users
read `%x`. `x * 1` with a `1` that broadcasts `x` to a larger shape is kept.
"""

from dataclasses import dataclass

import numpy as np
from vinify.ir import Graph, Value, constant, make
from vinify.passes.pass_manager import Pass, register_pass
from vinify.passes.pattern import Match, all_close_to, any_value, op
from vinify.passes.pattern import constant as constant_pattern
from vinify.passes.rewriter import Rewrite, apply_rewrites


def _same_type(match: Match, name: str = "x") -> Value | None:
    """`match[name]` if it has exactly the root's type (so replacing changes no shape)."""
    value = match[name]
    root_type = match.root.outputs[0].type
    if not value.shape.rank_is_static:  # x * 1 may still broadcast a scalar x at run time
        return None
    if value.type.element_type != root_type.element_type:
        return None
    if value.type.shape != root_type.shape:
        return None
    return value


def _identity_rewrites() -> list[Rewrite]:
    zero, one = all_close_to(0.0, 0.0), all_close_to(1.0, 0.0)
    x = any_value("x")
    return [
        Rewrite("add-zero", op("Add", x, constant_pattern("c", zero), commutative=True),
                _same_type),
        Rewrite("subtract-zero", op("Subtract", x, constant_pattern("c", zero)), _same_type),
        Rewrite("multiply-one", op("Multiply", x, constant_pattern("c", one), commutative=True),
                _same_type),
        Rewrite("divide-one", op("Divide", x, constant_pattern("c", one)), _same_type),
        Rewrite("convert-same-type", op("Convert", x), _same_type),
    ]


def _permutation(array: np.ndarray) -> np.ndarray:
    return np.asarray(array, dtype=np.int64).reshape(-1)


def _transpose_identity(match: Match) -> Value | None:
    perm = _permutation(match.const("perm"))
    if perm.size == 0 or not np.array_equal(perm, np.arange(perm.size)):
        return None
    return _same_type(match)


def _merge_transposes(match: Match) -> Value | None:
    inner, outer = _permutation(match.const("inner")), _permutation(match.const("outer"))
    if inner.size == 0 or inner.size != outer.size:
        return None
    combined = inner[outer]
    if np.array_equal(combined, np.arange(combined.size)):
        return _same_type(match)
    return make("Transpose", 1, [match["x"], constant(combined)]).outputs[0]


def _merge_reshapes(match: Match) -> Value | None:
    root = match.root.outputs[0]
    if not root.shape.is_static:
        return None
    target = np.array(root.shape.to_tuple(), dtype=np.int64)
    return make("Reshape", 1, [match["x"], constant(target)], special_zero=False).outputs[0]


def _reshape_noop(match: Match) -> Value | None:
    return _same_type(match) if match["x"].shape.is_static else None


def _transpose_and_reshape_rewrites() -> list[Rewrite]:
    x = any_value("x")
    inner = op("Transpose", x, constant_pattern("inner"), single_use=True)
    views = ("Reshape", "Squeeze", "Unsqueeze")
    return [
        Rewrite("transpose-identity", op("Transpose", x, constant_pattern("perm")),
                _transpose_identity),
        Rewrite("transpose-transpose", op("Transpose", inner, constant_pattern("outer")),
                _merge_transposes),
        # a pattern with fewer inputs than the node constrains only the first ones: the data
        Rewrite("reshape-noop", op(views, x), _reshape_noop),
        Rewrite("reshape-reshape", op(views, op(views, x, single_use=True)), _merge_reshapes),
    ]





def algebraic_rewrites() -> list[Rewrite]:
    return _identity_rewrites() + _transpose_and_reshape_rewrites()


@register_pass
@dataclass(frozen=True)
class SimplifyAlgebra(Pass):
    name = "simplify-algebra"

    def run(self, graph: Graph) -> None:
        apply_rewrites(graph, algebraic_rewrites())
