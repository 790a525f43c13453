"""GELU recognition: the decomposed formulas exported by frameworks become one Gelu<7>.

    0.5 * x * (1 + erf(x / sqrt(2)))                                   ->  Gelu<7>(x) ERF
    0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))            ->  Gelu<7>(x) TANH

in any association of the three factors (x * (1 + erf) * 0.5, (0.5 * x) * (1 + erf), ...) and
with x / sqrt(2) written as x * (1 / sqrt(2)). E.g.

    %0 = Divide<1>(%x, %sqrt2) : f32[4]
    %1 = Erf<1>(%0) : f32[4]
    %2 = Add<1>(%1, %one) : f32[4]
    %3 = Multiply<1>(%x, %2) : f32[4]
    %4 = Multiply<1>(%3, %half) : f32[4]
  becomes
    %4 = Gelu<7>(%x) : f32[4]
"""

import math
from dataclasses import dataclass

from vinify.ir import Graph, Value, make
from vinify.passes.pass_manager import Pass, register_pass
from vinify.passes.pattern import Match, Pattern, all_close_to, any_value, either, op
from vinify.passes.pattern import constant as constant_pattern
from vinify.passes.rewriter import Rewrite, apply_rewrites

TOLERANCE = 1e-3


def _near(target: float) -> Pattern:
    return constant_pattern(where=all_close_to(target, TOLERANCE))


def _erf_factor(x: Pattern) -> Pattern:
    argument = either(op("Divide", x, _near(math.sqrt(2.0))),
                      op("Multiply", x, _near(1.0 / math.sqrt(2.0)), commutative=True))
    return op("Add", op("Erf", argument), _near(1.0), commutative=True)


def _tanh_factor(x: Pattern) -> Pattern:
    cube = either(op("Power", x, _near(3.0)),
                  op("Multiply", x, op("Multiply", x, x), commutative=True))
    inner = op("Add", x, op("Multiply", cube, _near(0.044715), commutative=True),
               commutative=True)
    scaled = op("Multiply", inner, _near(math.sqrt(2.0 / math.pi)), commutative=True)
    return op("Add", op("Tanh", scaled), _near(1.0), commutative=True)


def _gelu_forms(x: Pattern, factor: Pattern) -> Pattern:
    """x * factor * 0.5 in each of its three associations."""
    half = _near(0.5)
    return either(
        op("Multiply", op("Multiply", x, factor, commutative=True), half, commutative=True),
        op("Multiply", op("Multiply", x, half, commutative=True), factor, commutative=True),
        op("Multiply", x, op("Multiply", factor, half, commutative=True), commutative=True),
    )


def _gelu(mode: str):
    def replace(match: Match) -> Value | None:
        x = match["x"]
        if not x.element_type.is_float:
            return None
        new = make("Gelu", 7, [x], approximation_mode=mode).outputs[0]
        return new if new.type == match.root.outputs[0].type else None

    return replace


def gelu_rewrites() -> list[Rewrite]:
    x = any_value("x")
    return [
        Rewrite("gelu-erf", _gelu_forms(x, _erf_factor(x)), _gelu("ERF")),
        Rewrite("gelu-tanh", _gelu_forms(x, _tanh_factor(x)), _gelu("TANH")),
    ]


@register_pass
@dataclass(frozen=True)
class RecognizeGelu(Pass):
    name = "recognize-gelu"

    def run(self, graph: Graph) -> None:
        apply_rewrites(graph, gelu_rewrites())
