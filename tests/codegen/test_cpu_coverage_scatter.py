"""CPU against TEMPLATE for ScatterElementsUpdate and ScatterNDUpdate
(codegen/lowering/scatter.py): repeated and negative indices, every reduction."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import scatter
from vinify.codegen.lowering.context import LOWERINGS
from vinify.runtime import Core

RNG = np.random.default_rng(29)


def run_both(graph, inputs):
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(inputs)
    actual = core.compile_model(graph, "CPU")(inputs)
    np.testing.assert_allclose(np.asarray(actual[0]), np.asarray(expected[0]), rtol=1e-6,
                               atol=1e-6)


def values(shape, dtype):
    numbers = RNG.integers(-6, 7, shape)
    return numbers.astype(np.float32) / 2 if dtype == "f32" else numbers.astype(np.int64)


@pytest.mark.parametrize("reduction,use_init", [
    ("none", True), ("sum", True), ("sum", False), ("prod", False), ("min", True),
    ("min", False), ("max", False), ("mean", True), ("mean", False)])
@pytest.mark.parametrize("dtype", ["f32", "i64"])
def test_scatter_elements(reduction, use_init, dtype):
    data = ir.parameter("data", dtype, (4, 5))
    indices = ir.parameter("indices", "i64", (3, 5))
    updates = ir.parameter("updates", dtype, (3, 5))
    node = ir.make("ScatterElementsUpdate", 12,
                   [data, indices, updates, ir.constant(np.array(0, np.int64))],
                   reduction=reduction, use_init_val=use_init)
    feeds = [values((4, 5), dtype), RNG.integers(-4, 4, (3, 5)), values((3, 5), dtype)]
    run_both(ir.Graph([data, indices, updates], [node]), feeds)


@pytest.mark.parametrize("reduction", ["none", "sum", "sub", "prod", "min", "max"])
def test_scatter_nd(reduction):
    data = ir.parameter("data", "f32", (4, 3, 2))
    indices = ir.parameter("indices", "i64", (5, 2))
    updates = ir.parameter("updates", "f32", (5, 2))
    node = ir.make("ScatterNDUpdate", 15, [data, indices, updates], reduction=reduction)
    index_values = np.stack([RNG.integers(-4, 4, 5), RNG.integers(0, 3, 5)], -1)
    feeds = [values((4, 3, 2), "f32"), index_values, values((5, 2), "f32")]
    run_both(ir.Graph([data, indices, updates], [node]), feeds)


def test_scatter_ops_are_lowered_here():
    for name in scatter.SCATTER_OPS:
        assert LOWERINGS[name] is scatter.lower_scatter, name
