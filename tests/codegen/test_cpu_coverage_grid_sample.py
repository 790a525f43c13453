"""CPU against TEMPLATE for GridSample (codegen/lowering/grid_sample.py): every mode, padding
and corner alignment, points inside and well outside the image, 2 and 3 spatial axes."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import grid_sample
from vinify.codegen.lowering.context import LOWERINGS
from vinify.runtime import Core

RNG = np.random.default_rng(37)


@pytest.mark.parametrize("mode", ["nearest", "bilinear", "bicubic"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_2d(mode, padding, align):
    data = ir.parameter("data", "f32", (2, 3, 4, 5))
    grid = ir.parameter("grid", "f32", (2, 3, 6, 2))
    node = ir.make("GridSample", 9, [data, grid], mode=mode, padding_mode=padding,
                   align_corners=align)
    graph = ir.Graph([data, grid], [node])
    feeds = [RNG.normal(0, 1, (2, 3, 4, 5)).astype(np.float32),
             RNG.uniform(-2.5, 2.5, (2, 3, 6, 2)).astype(np.float32)]
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(feeds)
    actual = core.compile_model(graph, "CPU")(feeds)
    np.testing.assert_allclose(np.asarray(actual[0]), np.asarray(expected[0]), rtol=1e-4,
                               atol=1e-5)


def test_grid_sample_volume():
    data = ir.parameter("data", "f32", (1, 2, 3, 4, 3))
    grid = ir.parameter("grid", "f32", (1, 2, 2, 3, 3))
    graph = ir.Graph([data, grid], [ir.make("GridSample", 9, [data, grid])])
    feeds = [RNG.normal(0, 1, (1, 2, 3, 4, 3)).astype(np.float32),
             RNG.uniform(-1.2, 1.2, (1, 2, 2, 3, 3)).astype(np.float32)]
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(feeds)
    actual = core.compile_model(graph, "CPU")(feeds)
    np.testing.assert_allclose(np.asarray(actual[0]), np.asarray(expected[0]), rtol=1e-4,
                               atol=1e-5)


def test_grid_sample_is_lowered_here():
    assert LOWERINGS["GridSample"] is grid_sample.lower_grid_sample
