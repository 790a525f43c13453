"""CPU and GPU against TEMPLATE for the training optimizer steps Adagrad, Momentum and Adam
(codegen/lowering/optimizers.py): one and two optimized tensors, first and later steps."""

import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

RNG = np.random.default_rng(67)
ATTRS = {
    "Adagrad": {"decay_factor": 0.1, "epsilon": 1e-5, "norm_coefficient": 0.001},
    "Momentum": {"alpha": 0.95, "beta": 0.1, "mode": "standard", "norm_coefficient": 0.001},
    "Adam": {"alpha": 0.95, "beta": 0.1, "epsilon": 1e-7, "norm_coefficient": 0.001,
             "norm_coefficient_post": 0.01},
}
STATES = {"Adagrad": 1, "Momentum": 1, "Adam": 2}


def optimizer_graph(name: str, shapes: list[tuple], **overrides):
    rate, step = ir.parameter("R", "f32", []), ir.parameter("T", "i64", [])
    tensors = [ir.parameter(f"t{k}", "f32", shape)
               for k, shape in enumerate(shapes * (2 + STATES[name]))]
    node = ir.make(name, 1, [rate, step] + tensors, **{**ATTRS[name], **overrides})
    outputs = list(node.outputs) if hasattr(node, "outputs") else [node]
    return ir.Graph([rate, step] + tensors, outputs)


def feeds(name: str, shapes: list[tuple], step: int) -> list[np.ndarray]:
    arrays = [np.float32(0.1), np.int64(step)]
    for k, shape in enumerate(shapes * (2 + STATES[name])):
        positive = k >= 2 * len(shapes)  # accumulated squares stay non-negative
        values = RNG.uniform(0, 2, shape) if positive else RNG.normal(0, 1, shape)
        arrays.append(values.astype(np.float32))
    return [np.asarray(a) for a in arrays]


@pytest.mark.parametrize("name", ["Adagrad", "Momentum", "Adam"])
@pytest.mark.parametrize("step", [0, 3])
def test_optimizer_step_matches_template(name, step):
    shapes = [(2, 3), (4,)]
    graph = optimizer_graph(name, shapes)
    device_check.check_against_template(graph, feeds(name, shapes, step), "CPU", rtol=1e-4,
                                        atol=1e-5)


def test_nesterov_momentum():
    graph = optimizer_graph("Momentum", [(5,)], mode="nesterov")
    device_check.check_against_template(graph, feeds("Momentum", [(5,)], 1), "CPU", rtol=1e-4,
                                        atol=1e-5)


def test_adam_on_gpu():
    graph = optimizer_graph("Adam", [(3,), (2, 2)])
    device_check.check_against_template(graph, feeds("Adam", [(3,), (2, 2)], 2), "GPU",
                                        rtol=1e-4, atol=1e-5)
