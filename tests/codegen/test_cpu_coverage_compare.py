"""CPU against TEMPLATE for comparisons, logical ops, Select, FloorMod/Mod and number tests
(codegen/lowering/comparison.py), on f32 and integer tensors."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import comparison
from vinify.codegen.lowering.context import LOWERINGS
from vinify.codegen.lowering.support import unsupported_reason
from vinify.runtime import Core

RNG = np.random.default_rng(3)


def run_both(graph, inputs):
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(inputs)
    actual = core.compile_model(graph, "CPU")(inputs)
    count = len(graph.outputs)
    return ([np.asarray(actual[i]) for i in range(count)],
            [np.asarray(expected[i]) for i in range(count)])


def sample(dtype, shape):
    if dtype == "boolean":
        return RNG.integers(0, 2, shape).astype(bool)
    if dtype == "f32":
        return RNG.integers(-3, 4, shape).astype(np.float32) / 2  # many equal pairs
    return RNG.integers(-5, 6, shape).astype({"i32": np.int32, "i64": np.int64,
                                              "u8": np.uint8, "i8": np.int8}[dtype])


@pytest.mark.parametrize("name", sorted(comparison.COMPARISONS))
@pytest.mark.parametrize("dtype", ["f32", "i64", "i32", "u8"])
def test_comparisons_broadcast(name, dtype):
    a = ir.parameter("a", dtype, (2, 3, 20))
    b = ir.parameter("b", dtype, (3, 1))
    graph = ir.Graph([a, b], [ir.make(name, 1, [a, b])])
    actual, expected = run_both(graph, [sample(dtype, (2, 3, 20)), sample(dtype, (3, 1))])
    assert actual[0].dtype == np.bool_
    np.testing.assert_array_equal(actual[0], expected[0])


@pytest.mark.parametrize("name", ["LogicalAnd", "LogicalOr", "LogicalXor", "LogicalNot"])
def test_logical_ops(name):
    a = ir.parameter("a", "boolean", (4, 9))
    b = ir.parameter("b", "boolean", (9,))
    inputs = [a] if name == "LogicalNot" else [a, b]
    graph = ir.Graph(inputs, [ir.make(name, 1, inputs)])
    feeds = [sample("boolean", (4, 9)), sample("boolean", (9,))][:len(inputs)]
    actual, expected = run_both(graph, feeds)
    np.testing.assert_array_equal(actual[0], expected[0])


@pytest.mark.parametrize("name", ["BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot"])
@pytest.mark.parametrize("dtype", ["boolean", "u8", "i32", "i64"])
def test_bitwise_ops(name, dtype):
    a = ir.parameter("a", dtype, (3, 8))
    b = ir.parameter("b", dtype, (8,))
    inputs = [a] if name == "BitwiseNot" else [a, b]
    graph = ir.Graph(inputs, [ir.make(name, 13, inputs)])
    feeds = [sample(dtype, (3, 8)), sample(dtype, (8,))][:len(inputs)]
    actual, expected = run_both(graph, feeds)
    np.testing.assert_array_equal(actual[0], expected[0])


@pytest.mark.parametrize("name", ["BitwiseLeftShift", "BitwiseRightShift"])
@pytest.mark.parametrize("dtype", ["u8", "i8", "i32", "i64"])
def test_shifts_including_out_of_range_amounts(name, dtype):
    width = {"u8": 8, "i8": 8, "i32": 32, "i64": 64}[dtype]
    cast = {"u8": np.uint8, "i8": np.int8, "i32": np.int32, "i64": np.int64}[dtype]
    a = ir.parameter("a", dtype, (4, 9))
    b = ir.parameter("b", dtype, (4, 9))
    info = np.iinfo(cast)
    values = RNG.integers(info.min, info.max, (4, 9), dtype=cast, endpoint=True)
    amounts = np.arange(-2, width + 2)[np.arange(36) % (width + 4)].reshape(4, 9)
    if dtype == "u8":
        amounts = np.clip(amounts, 0, None)
    graph = ir.Graph([a, b], [ir.make(name, 15, [a, b])])
    actual, expected = run_both(graph, [values, amounts.astype(cast)])
    np.testing.assert_array_equal(actual[0], expected[0])


@pytest.mark.parametrize("dtype", ["f32", "i32", "i64"])
def test_select_with_broadcast_condition(dtype):
    cond = ir.parameter("c", "boolean", (5, 1))
    then = ir.parameter("t", dtype, (5, 37))
    other = ir.parameter("e", dtype, (37,))
    graph = ir.Graph([cond, then, other], [ir.make("Select", 1, [cond, then, other])])
    feeds = [sample("boolean", (5, 1)), sample(dtype, (5, 37)), sample(dtype, (37,))]
    actual, expected = run_both(graph, feeds)
    np.testing.assert_array_equal(actual[0], expected[0])


@pytest.mark.parametrize("name", ["FloorMod", "Mod"])
@pytest.mark.parametrize("dtype", ["f32", "i32", "i64", "i8"])
def test_remainders_keep_the_reference_signs(name, dtype):
    a = ir.parameter("a", dtype, (6, 7))
    b = ir.parameter("b", dtype, (6, 7))
    left = RNG.integers(-20, 21, (6, 7))
    right = RNG.choice([-7, -3, -2, 2, 3, 5], (6, 7))
    if dtype == "f32":
        left, right = left * 0.75, right * 0.5
    cast = {"f32": np.float32, "i32": np.int32, "i64": np.int64, "i8": np.int8}[dtype]
    graph = ir.Graph([a, b], [ir.make(name, 1, [a, b])])
    actual, expected = run_both(graph, [left.astype(cast), right.astype(cast)])
    np.testing.assert_allclose(actual[0], expected[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["FloorMod", "Mod"])
def test_float_remainder_edge_cases(name):
    a_values = np.array([0, -0.0, -3, 3, -1, 1, np.inf, 1, np.nan, 1, 7.5], np.float32)
    b_values = np.array([-2, 2, np.inf, np.inf, -np.inf, -np.inf, 2, 0, 2, np.nan, -2], np.float32)
    a = ir.parameter("a", "f32", a_values.shape)
    b = ir.parameter("b", "f32", b_values.shape)
    with np.errstate(invalid="ignore"):  # the reference computes NaNs on purpose here
        actual, expected = run_both(ir.Graph([a, b], [ir.make(name, 1, [a, b])]),
                                    [a_values, b_values])
    np.testing.assert_allclose(actual[0], expected[0], rtol=1e-6)


def test_number_tests():
    values = np.array([0.0, -1.5, np.inf, -np.inf, np.nan, 3e38], np.float32)
    x = ir.parameter("x", "f32", values.shape)
    outputs = [ir.make("IsNaN", 10, [x]), ir.make("IsFinite", 10, [x]),
               ir.make("IsInf", 10, [x]), ir.make("IsInf", 10, [x], detect_negative=False),
               ir.make("IsInf", 10, [x], detect_positive=False)]
    actual, expected = run_both(ir.Graph([x], outputs), [values])
    for got, want in zip(actual, expected):
        np.testing.assert_array_equal(got, want)


def test_each_op_is_lowered_here_and_accepted_on_integers():
    for name in comparison.TYPED_ELEMENTWISE_OPS:
        assert LOWERINGS[name] is comparison.lower_typed_elementwise, name
    a = ir.parameter("a", "i64", (3,))
    assert unsupported_reason(ir.make("Less", 1, [a, a])) is None
