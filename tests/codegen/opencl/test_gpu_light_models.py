"""light_* models (seeded random weights) on GPU against TEMPLATE: the softmax outputs and the
logits before them (rtol 1e-3, atol 1e-4). CI runs SqueezeNet; bench/bench_gpu.py runs all nine."""

import numpy as np
import vinify
from vinify import ir
from vinify.runtime import Core

from tests.codegen.light_models import light_input, randomized_light_model


def with_logits(graph: ir.Graph) -> ir.Graph:
    """The graph with the softmax's input as a second output."""
    softmax = next(n for n in graph.nodes() if n.op.name == "Softmax")
    return ir.Graph(graph.parameters, [graph.outputs[0], softmax.inputs[0]], graph.name)


def test_squeezenet_matches_template():
    model = randomized_light_model("squeezenet", seed=11)
    graph = with_logits(vinify.read_model(model.SerializeToString()))
    feeds = light_input(model)
    core = Core()
    actual = core.compile_model(graph, "GPU")(feeds)
    expected = core.compile_model(graph, "TEMPLATE")(feeds)
    assert np.std(expected[1]) > 1e-2  # the logits really differ across classes
    for index in range(2):
        np.testing.assert_allclose(actual[index], expected[index], rtol=1e-3, atol=1e-4)
