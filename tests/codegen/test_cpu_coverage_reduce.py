"""CPU against TEMPLATE for codegen/lowering/reduction_extra.py: reductions over any constant
axes, CumSum and TopK."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import reduction_extra
from vinify.codegen.lowering.context import LOWERINGS
from vinify.runtime import Core

RNG = np.random.default_rng(17)


def run_both(graph, inputs, exact=False):
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(inputs)
    actual = core.compile_model(graph, "CPU")(inputs)
    for index in range(len(graph.outputs)):
        got, want = np.asarray(actual[index]), np.asarray(expected[index])
        assert got.dtype == want.dtype and got.shape == want.shape
        if exact:
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def ints(values):
    return ir.constant(np.asarray(values, np.int64))


@pytest.mark.parametrize("name", ["ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2"])
@pytest.mark.parametrize("axes,keep", [([0, 2], True), ([-1], False), ([0, 1, 2], False)])
def test_float_reductions_over_any_axes(name, axes, keep):
    x = ir.parameter("x", "f32", (3, 4, 5))
    graph = ir.Graph([x], [ir.make(name, 1 if name in ("ReduceMin", "ReduceProd") else 4,
                                   [x, ints(axes)], keep_dims=keep)])
    run_both(graph, [RNG.uniform(0.5, 1.5, (3, 4, 5)).astype(np.float32)
                     * RNG.choice([-1, 1], (3, 4, 5)).astype(np.float32)])


@pytest.mark.parametrize("name", ["ReduceMin", "ReduceProd", "ReduceL1"])
def test_integer_reductions(name):
    x = ir.parameter("x", "i64", (4, 6))
    graph = ir.Graph([x], [ir.make(name, 1 if name != "ReduceL1" else 4, [x, ints([1])])])
    run_both(graph, [RNG.integers(-4, 5, (4, 6))], exact=True)


@pytest.mark.parametrize("name", ["ReduceLogicalAnd", "ReduceLogicalOr"])
def test_logical_reductions(name):
    x = ir.parameter("x", "boolean", (3, 4, 2))
    graph = ir.Graph([x], [ir.make(name, 1, [x, ints([0, 2])], keep_dims=True)])
    run_both(graph, [RNG.integers(0, 4, (3, 4, 2)) > 0], exact=True)


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("dtype", ["f32", "i32"])
@pytest.mark.parametrize("name,version", [("CumSum", 3), ("CumProd", 1)])
def test_cumulative(exclusive, reverse, dtype, name, version):
    x = ir.parameter("x", dtype, (3, 5, 2))
    graph = ir.Graph([x], [ir.make(name, version, [x, ints(1)], exclusive=exclusive,
                                   reverse=reverse)])
    values = RNG.integers(-3, 4, (3, 5, 2)).astype(np.float32 if dtype == "f32" else np.int32)
    run_both(graph, [values], exact=True)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum_with_a_runtime_axis(axis):
    x = ir.parameter("x", "i32", (3, 4))
    axis_input = ir.parameter("axis", "i32", ())
    graph = ir.Graph([x, axis_input], [ir.make("CumSum", 3, [x, axis_input], reverse=True)])
    run_both(graph, [RNG.integers(-9, 10, (3, 4)).astype(np.int32), np.array(axis, np.int32)],
             exact=True)


@pytest.mark.parametrize("axis", [0, -1])
def test_hardmax_marks_the_first_maximum(axis):
    x = ir.parameter("x", "f32", (4, 6))
    values = RNG.integers(-2, 3, (4, 6)).astype(np.float32)  # ties: the first one wins
    run_both(ir.Graph([x], [ir.make("Hardmax", 1, [x], axis=axis)]), [values], exact=True)


@pytest.mark.parametrize("mode", ["max", "min"])
@pytest.mark.parametrize("sort", ["value", "index", "none"])
@pytest.mark.parametrize("axis", [1, -1])
def test_topk_with_ties(mode, sort, axis):
    x = ir.parameter("x", "f32", (2, 7, 3))
    node = ir.make("TopK", 11, [x, ir.constant(np.array(4, np.int64))], axis=axis, mode=mode,
                   sort=sort, index_element_type="i64")
    values = RNG.integers(-3, 4, (2, 7, 3)).astype(np.float32)  # many equal values
    run_both(ir.Graph([x], list(node.outputs)), [values], exact=True)


def test_topk_on_integers_with_k_above_the_axis():
    x = ir.parameter("x", "i32", (2, 3))
    node = ir.make("TopK", 3, [x, ir.constant(np.array(5, np.int32))], axis=1, mode="max",
                   sort="value", index_element_type="i32")
    run_both(ir.Graph([x], list(node.outputs)), [RNG.integers(-9, 9, (2, 3)).astype(np.int32)],
             exact=True)


def test_each_op_is_lowered_here():
    for name in reduction_extra.REDUCTIONS:
        assert LOWERINGS[name] is reduction_extra.lower_reduction, name
    for name in ("CumSum", "CumProd"):
        assert LOWERINGS[name] is reduction_extra.lower_cumulative, name
    assert LOWERINGS["Hardmax"] is reduction_extra.lower_hardmax
    assert LOWERINGS["TopK"] is reduction_extra.lower_topk
