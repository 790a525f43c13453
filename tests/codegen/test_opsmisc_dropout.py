"""TrainingDropout on CPU and GPU (codegen/lowering/dropout.py): the identity outside training
or with ratio 0 (as TEMPLATE); in training, the dropout rule on the device's own random mask,
the same mask on CPU and GPU for one seed."""

import numpy as np
import pytest
from vinify import ir
from vinify.runtime import Core

from tests.codegen import device_check

RNG = np.random.default_rng(103)


def dropout_graph(shape, seed=None):
    x, ratio = ir.parameter("x", "f32", shape), ir.parameter("ratio", "f32", [])
    training = ir.parameter("training", "boolean", [])
    attrs = {"seed": seed, "has_seed": True} if seed is not None else {}
    node = ir.make("TrainingDropout", 1, [x, ratio, training], **attrs)
    return ir.Graph([x, ratio, training], list(node.outputs))


@pytest.mark.parametrize("ratio,training", [(0.0, True), (0.4, False), (0.0, False)])
def test_dropout_is_the_identity_outside_training(ratio, training):
    feeds = [RNG.normal(0, 1, (3, 4, 5)).astype(np.float32), np.array(ratio, np.float32),
             np.array(training)]
    device_check.check_against_template(dropout_graph((3, 4, 5), seed=3), feeds, "CPU")


def test_dropout_in_training_follows_the_rule_with_one_mask_on_cpu_and_gpu():
    graph = dropout_graph((100, 100), seed=7)
    x = RNG.uniform(1, 2, (100, 100)).astype(np.float32)
    feeds = [x, np.array(0.25, np.float32), np.array(True)]
    y, mask = Core().compile_model(graph, "CPU")(feeds).to_tuple()
    np.testing.assert_allclose(y, np.where(mask, x / 0.75, 0.0), rtol=1e-6)
    assert 0.23 < 1.0 - mask.mean() < 0.27
    gpu_y, gpu_mask = Core().compile_model(graph, "GPU")(feeds).to_tuple()
    np.testing.assert_array_equal(gpu_mask, mask)
    np.testing.assert_allclose(gpu_y, y, rtol=1e-6)
