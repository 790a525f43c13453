"""Activation recognition: decomposed Swish, HSwish, HSigmoid and Mish become their ops.

    x * Sigmoid(x)                       ->  Swish<4>(x)
    x * Sigmoid(x * b)                   ->  Swish<4>(x, b)          (b a scalar constant)
    Clamp(x + 3, 0, 6) / 6               ->  HSigmoid<5>(x)          (or * 1/6)
    x * HSigmoid(x)                      ->  HSwish<4>(x)            (x * Clamp(x + 3, 0, 6) / 6)
    x * Tanh(SoftPlus(x))                ->  Mish<4>(x)

so that MobileNet/EfficientNet/YOLO-style exports reach devices as one activation each (which
fuse-conv-bias-activation then folds into the convolution). E.g.

    %s = Sigmoid<1>(%x) : f32[4]
    %y = Multiply<1>(%x, %s) : f32[4]          ->      %y = Swish<4>(%x) : f32[4]
"""

from dataclasses import dataclass

import numpy as np
from vinify.ir import Graph, Value, constant, make
from vinify.passes.pass_manager import Pass, register_pass
from vinify.passes.pattern import Match, Pattern, all_close_to, any_value, either, op
from vinify.passes.pattern import constant as constant_pattern
from vinify.passes.rewriter import Rewrite, apply_rewrites

TOLERANCE = 1e-4


def _near(target: float, capture: str | None = None):
    return constant_pattern(capture, all_close_to(target, TOLERANCE))


def _scalar(array: np.ndarray) -> bool:
    return array.size == 1 and array.dtype.kind == "f"


def _same_type_or_none(match: Match, new: Value) -> Value | None:
    return new if new.type == match.root.outputs[0].type else None


def _swish(match: Match) -> Value | None:
    inputs = [match["x"]]
    if "beta" in match.constants:
        beta = match.const("beta").reshape(())
        inputs.append(constant(np.asarray(beta, dtype=match["x"].element_type.dtype)))
    return _same_type_or_none(match, make("Swish", 4, inputs).outputs[0])


def _single(op_name: str, version: int):
    def replace(match: Match) -> Value | None:
        if not match["x"].element_type.is_float:
            return None
        return _same_type_or_none(match, make(op_name, version, [match["x"]]).outputs[0])

    return replace


def _relu6_of_shift(x: Pattern) -> Pattern:
    """Clamp(x + 3, 0, 6)."""
    shifted = op("Add", x, _near(3.0), commutative=True)
    return op("Clamp", shifted, min=lambda v: v == 0.0, max=lambda v: v == 6.0)


def _divided_by_six(value: Pattern) -> list[Pattern]:
    return [op("Divide", value, _near(6.0)),
            op("Multiply", value, _near(1.0 / 6.0), commutative=True)]


def activation_rewrites() -> list[Rewrite]:
    x = any_value("x")
    sigmoid = either(op("Sigmoid", x),
                     op("Sigmoid", op("Multiply", x, constant_pattern("beta", _scalar),
                                      commutative=True)))
    hard_sigmoid = _divided_by_six(_relu6_of_shift(x))
    x_times_relu6 = op("Multiply", x, _relu6_of_shift(x), commutative=True)
    hard_swish = [op("Multiply", x, either(*hard_sigmoid, op("HSigmoid", x)), commutative=True)]
    return [
        Rewrite("swish", op("Multiply", x, sigmoid, commutative=True), _swish),
        Rewrite("hsigmoid", either(*hard_sigmoid), _single("HSigmoid", 5)),
        Rewrite("hswish", either(*hard_swish, *_divided_by_six(x_times_relu6)),
                _single("HSwish", 4)),
        Rewrite("mish", op("Multiply", x, op("Tanh", op("SoftPlus", x)), commutative=True),
                _single("Mish", 4)),
    ]


@register_pass
@dataclass(frozen=True)
class RecognizeActivations(Pass):
    name = "recognize-activations"

    def run(self, graph: Graph) -> None:
        apply_rewrites(graph, activation_rewrites())
