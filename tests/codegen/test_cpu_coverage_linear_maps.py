"""CPU against TEMPLATE for the Fourier transforms lowered as measured linear maps
(codegen/lowering/linear_maps.py)."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import linear_maps
from vinify.codegen.lowering.context import LOWERINGS
from vinify.errors import DeviceError
from vinify.runtime import Core

RNG = np.random.default_rng(59)


def ints(values):
    return ir.constant(np.asarray(values, np.int64))


CASES = [  # (op, input shape, axes, signal sizes or None)
    ("DFT", (2, 6, 2), [1], None), ("DFT", (3, 4, 2), [0, 1], [4, 3]),
    ("IDFT", (2, 5, 2), [-1], None), ("RDFT", (3, 8), [1], None),
    ("RDFT", (4, 6), [0, 1], [3, 6]), ("IRDFT", (2, 5, 2), [1], None),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}{c[2]}{c[3]}")
def test_fourier_transforms(case):
    name, shape, axes, sizes = case
    x = ir.parameter("x", "f32", shape)
    inputs = [x, ints(axes)] + ([ints(sizes)] if sizes else [])
    version = 7 if name in ("DFT", "IDFT") else 9
    graph = ir.Graph([x], [ir.make(name, version, inputs)])
    feeds = [RNG.normal(0, 1, shape).astype(np.float32)]
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(feeds)
    actual = core.compile_model(graph, "CPU")(feeds)
    np.testing.assert_allclose(np.asarray(actual[0]), np.asarray(expected[0]), rtol=1e-4,
                               atol=1e-5)


def test_large_transforms_are_refused_by_name():
    x = ir.parameter("x", "f32", (1, 5000, 2))
    graph = ir.Graph([x], [ir.make("DFT", 7, [x, ints([1])])])
    with pytest.raises(DeviceError, match="too large"):
        Core().compile_model(graph, "CPU")


def test_fourier_transforms_are_lowered_here():
    for name in linear_maps.LINEAR_OPS:
        assert LOWERINGS[name] is linear_maps.lower_linear_map
