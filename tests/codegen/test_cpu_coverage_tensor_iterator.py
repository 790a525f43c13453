"""CPU against TEMPLATE for TensorIterator unrolled at compile time
(codegen/lowering/tensor_iterator.py): states, scans both ways, invariant inputs."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import tensor_iterator
from vinify.codegen.lowering.context import LOWERINGS, LoweringContext
from vinify.codegen.target import host_cpu_target
from vinify.errors import DeviceError
from vinify.ir import Graph, Node, parameter
from vinify.op import lookup_op
from vinify.runtime import Core

RNG = np.random.default_rng(47)


def step_body(op="Multiply"):
    """state [3], x [3] (a slice of the scan input), w [3] invariant -> (state', y)."""
    s, x, w = parameter("s", "f32", [3]), parameter("x", "f32", [3]), parameter("w", "f32", [3])
    mixed = ir.make("Add", 1, [ir.make(op, 1, [s, w]), x])
    return Graph([s, x, w], [ir.make("Tanh", 1, [mixed]), ir.make("Multiply", 1, [mixed, x])])


@pytest.mark.parametrize("in_direction,out_direction", [(0, 0), (1, 0), (0, 1)])
def test_tensor_iterator_matches_template(in_direction, out_direction):
    state = parameter("state", "f32", [3])
    seq = parameter("seq", "f32", [3, 5])
    weights = parameter("weights", "f32", [3])
    node = Node(lookup_op("TensorIterator", 1), [state, seq, weights],
                {"num_state": 1, "scan_input_axes": [1], "scan_input_directions": [in_direction],
                 "scan_output_axes": [0], "scan_output_directions": [out_direction]},
                bodies=[step_body()])
    graph = Graph([state, seq, weights], list(node.outputs))
    feeds = [RNG.normal(0, 1, 3).astype(np.float32), RNG.normal(0, 1, (3, 5)).astype(np.float32),
             RNG.normal(0, 1, 3).astype(np.float32)]
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(feeds)
    actual = core.compile_model(graph, "CPU")(feeds)
    for index in range(2):
        np.testing.assert_allclose(np.asarray(actual[index]), np.asarray(expected[index]),
                                   rtol=1e-5, atol=1e-6)


def test_a_body_the_cpu_cannot_compile_is_named():
    half = parameter("p", "f8e5m2", [2])  # an element type the kernel IR does not carry
    body = Graph([half], [ir.make("Relu", 1, [half])])
    node = Node(lookup_op("TensorIterator", 1), [parameter("state", "f8e5m2", [2])],
                {"num_state": 1}, bodies=[body])
    with pytest.raises(DeviceError, match="body has nodes the CPU cannot compile.*Relu"):
        tensor_iterator.check_body(LoweringContext(host_cpu_target()), node, body)


def test_tensor_iterator_is_lowered_here():
    assert LOWERINGS["TensorIterator"] is tensor_iterator.lower_tensor_iterator
