"""CPU against TEMPLATE for the math and activation ops of codegen/lowering/unary_math.py."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import unary_math
from vinify.codegen.lowering.context import LOWERINGS
from vinify.runtime import Core

RNG = np.random.default_rng(5)
SHAPE = (3, 37)  # 111 elements: full vectors and a masked tail


def run_both(graph, inputs):
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(inputs)
    actual = core.compile_model(graph, "CPU")(inputs)
    count = len(graph.outputs)
    return ([np.asarray(actual[i]) for i in range(count)],
            [np.asarray(expected[i]) for i in range(count)])


def spread(low, high):
    values = RNG.uniform(low, high, SHAPE).astype(np.float32)
    values.flat[:6] = np.clip(np.array([0.0, 1e-5, -1e-5, 0.05, -0.05, 0.5]), low, high)
    return values


UNARY_CASES = [  # (op, version, attrs, low, high)
    ("Sin", 1, {}, -6, 6), ("Cos", 1, {}, -6, 6), ("Tan", 1, {}, -1.4, 1.4),
    ("Asin", 1, {}, -1, 1), ("Acos", 1, {}, -1, 1), ("Atan", 1, {}, -50, 50),
    ("Sinh", 1, {}, -5, 5), ("Cosh", 1, {}, -5, 5), ("Asinh", 4, {}, -40, 40),
    ("Acosh", 4, {}, 1, 40), ("Atanh", 4, {}, -0.99, 0.99), ("Erf", 1, {}, -4, 4),
    ("Sign", 1, {}, -2, 2), ("SoftPlus", 4, {}, -30, 30), ("SoftSign", 9, {}, -5, 5),
    ("Mish", 4, {}, -8, 8), ("Gelu", 2, {}, -5, 5), ("Gelu", 7, {"approximation_mode": "TANH"},
                                                      -5, 5),
    ("Gelu", 7, {"approximation_mode": "ERF"}, -5, 5),
]


@pytest.mark.parametrize("case", UNARY_CASES, ids=lambda c: f"{c[0]}{c[2]}")
def test_unary_math_matches_template(case):
    name, version, attrs, low, high = case
    x = ir.parameter("x", "f32", SHAPE)
    graph = ir.Graph([x], [ir.make(name, version, [x], **attrs)])
    actual, expected = run_both(graph, [spread(low, high)])
    np.testing.assert_allclose(actual[0], expected[0], rtol=2e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["half_to_even", "half_away_from_zero"])
def test_round_ties_and_signs(mode):
    values = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, -0.49999997, 3.7, -3.2,
                       8388609.0, -0.0, 1e-9], np.float32)
    x = ir.parameter("x", "f32", values.shape)
    graph = ir.Graph([x], [ir.make("Round", 5, [x], mode=mode)])
    actual, expected = run_both(graph, [values])
    np.testing.assert_array_equal(actual[0], expected[0])


def scalar(value):
    return ir.constant(np.array([value], np.float32))


def test_activations_with_scalar_inputs():
    x = ir.parameter("x", "f32", SHAPE)
    beta = ir.parameter("beta", "f32", (1,))
    swish = ir.make("Swish", 4, [x, beta])
    selu = ir.make("Selu", 1, [swish, scalar(1.67), scalar(1.05)])
    hard = ir.make("HardSigmoid", 1, [selu, scalar(0.2), scalar(0.5)])
    plain = ir.make("Swish", 4, [x])
    graph = ir.Graph([x, beta], [hard, plain])
    actual, expected = run_both(graph, [spread(-4, 4), np.array([0.7], np.float32)])
    for got, want in zip(actual, expected):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)


def test_each_math_op_is_lowered_here():
    for name in unary_math.UNARY_MATH_OPS:
        assert LOWERINGS[name] is unary_math.lower_unary_math, name
