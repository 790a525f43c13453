"""Scaled dot-product attention recognition: the decomposed attention becomes one op.

    s = MatMul(q, k, transpose_b=true)          (or MatMul(q, Transpose(k, [..., -1, -2])))
    s = s * c   or   s / c                      (optional constant scale)
    s = s + mask                                (optional)
    y = MatMul(Softmax(s, axis=-1), v)
  becomes
    y = ScaledDotProductAttention<13>(q, k, v, mask, scale)

A missing mask becomes a scalar 0 (the spec allows it); the scale is always passed explicitly so
that a pattern without one keeps scale 1 (the op's default would be 1/sqrt(E)).
"""

from dataclasses import dataclass

import numpy as np
from vinify.ir import Graph, Value, constant, make
from vinify.passes.pass_manager import Pass, register_pass
from vinify.passes.pattern import Match, any_value, either, op
from vinify.passes.pattern import constant as constant_pattern
from vinify.passes.rewriter import Rewrite, apply_rewrites


def _scalar(array: np.ndarray) -> bool:
    return array.size == 1 and array.dtype.kind == "f"


def attention_pattern():
    scores = op("MatMul", any_value("q"), any_value("k"), transpose_a=False, single_use=True,
                capture="scores")
    scaled = either(
        op("Multiply", scores, constant_pattern("scale", _scalar), commutative=True,
           single_use=True),
        op("Divide", scores, constant_pattern("divisor", _scalar), single_use=True),
        scores,
    )
    masked = either(op("Add", scaled, any_value("mask"), commutative=True, single_use=True),
                    scaled)
    softmax = op("Softmax", masked, single_use=True, capture="probs")
    return op("MatMul", softmax, any_value("v"), transpose_a=False, transpose_b=False)


def _key(match: Match) -> Value | None:
    """The key as [..., S, E]: undo the transpose the scores MatMul applies."""
    key = match["k"]
    if match.node("scores").attrs["transpose_b"]:
        return key
    if not key.shape.rank_is_static or key.shape.rank < 2:
        return None
    rank = key.shape.rank
    swap = np.array(list(range(rank - 2)) + [rank - 1, rank - 2], dtype=np.int64)
    return make("Transpose", 1, [key, constant(swap)]).outputs[0]


def _softmax_on_last_axis(match: Match) -> bool:
    probs = match["probs"]
    axis = probs.node.attrs["axis"]
    return probs.shape.rank_is_static and axis % probs.shape.rank == probs.shape.rank - 1


def _scale(match: Match, elem) -> np.ndarray:
    if "scale" in match.constants:
        return np.asarray(match.const("scale").reshape(()), dtype=elem.dtype)
    if "divisor" in match.constants:
        return np.asarray(1.0 / match.const("divisor").reshape(()), dtype=elem.dtype)
    return np.asarray(1.0, dtype=elem.dtype)


def _attention(match: Match) -> Value | None:
    query = match["q"]
    if not query.element_type.is_float or not _softmax_on_last_axis(match):
        return None
    key = _key(match)
    if key is None:
        return None
    elem = query.element_type
    mask = match.values.get("mask")
    if mask is None:
        mask = constant(np.zeros((), elem.dtype)).outputs[0]
    scale = constant(_scale(match, elem)).outputs[0]
    new = make("ScaledDotProductAttention", 13, [query, key, match["v"], mask, scale])
    return new.outputs[0] if new.outputs[0].type == match.root.outputs[0].type else None


@register_pass
@dataclass(frozen=True)
class RecognizeAttention(Pass):
    name = "recognize-attention"

    def run(self, graph: Graph) -> None:
        apply_rewrites(graph, [Rewrite("attention", attention_pattern(), _attention)])
