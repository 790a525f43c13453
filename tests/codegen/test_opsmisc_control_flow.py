"""CPU and GPU against TEMPLATE for If (codegen/lowering/control_flow.py): a condition read at
run time (both branches computed, then selected), a condition known at compile time (only the
taken branch), constant branches, branches reading different node inputs."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering.support import unsupported_reason
from vinify.ir import Graph, Node, parameter
from vinify.op import lookup_op

from tests.codegen import device_check

RNG = np.random.default_rng(83)


def then_body():
    """(a, b) -> (relu(a) + b, a * b)"""
    a, b = parameter("a", "f32", [2, 3]), parameter("b", "f32", [2, 3])
    return Graph([a, b], [ir.make("Add", 1, [ir.make("Relu", 1, [a]), b]),
                          ir.make("Multiply", 1, [a, b])])


def else_body():
    """(b) -> (exp(b), a constant)"""
    b = parameter("b", "f32", [2, 3])
    return Graph([b], [ir.make("Exp", 1, [b]), ir.constant(np.full((2, 3), 7.0, np.float32))])


def if_graph(cond):
    a, b = parameter("a", "f32", [2, 3]), parameter("b", "f32", [2, 3])
    params = [a, b] if isinstance(cond, np.ndarray) else [cond, a, b]
    cond_value = ir.constant(cond) if isinstance(cond, np.ndarray) else cond
    node = Node(lookup_op("If", 8), [cond_value, a, b],
                {"then_inputs": [1, 2], "else_inputs": [2], "then_outputs": [0, 1],
                 "else_outputs": [0, 1]}, bodies=[then_body(), else_body()])
    return Graph(params, list(node.outputs))


def values():
    return [RNG.normal(0, 1, (2, 3)).astype(np.float32) for _ in range(2)]


@pytest.mark.parametrize("taken", [True, False])
def test_if_condition_at_run_time(taken):
    graph = if_graph(parameter("cond", "boolean", []))
    device_check.check_against_template(graph, [np.array(taken)] + values(), "CPU")


@pytest.mark.parametrize("taken", [True, False])
def test_if_condition_known_at_compile_time(taken):
    graph = if_graph(np.array(taken))
    device_check.check_against_template(graph, values(), "CPU")


def test_if_on_gpu():
    graph = if_graph(parameter("cond", "boolean", []))
    device_check.check_against_template(graph, [np.array(False)] + values(), "GPU")


def test_if_with_a_branch_the_cpu_cannot_compile_is_reported():
    x = parameter("x", "f32", [4, 2])
    then_graph = Graph([x], [ir.make("Relu", 1, [x])])
    y = parameter("y", "f32", [4, 2])
    else_graph = Graph([y], [ir.make("EmbeddingBagPackedSum", 3, [
        y, ir.constant(np.array([[0, 1], [2, 3], [0, 0], [1, 1]], np.int64))])])
    cond, data = parameter("cond", "boolean", []), parameter("data", "f32", [4, 2])
    node = Node(lookup_op("If", 8), [cond, data],
                {"then_inputs": [1], "else_inputs": [1], "then_outputs": [0],
                 "else_outputs": [0]}, bodies=[then_graph, else_graph])
    reason = unsupported_reason(node)
    assert reason is not None and reason.startswith("the else branch: ")
    assert "EmbeddingBagPackedSum" in reason


def loop_body():
    """(i, cond, acc [2]; table [6]) -> (cond, acc + table[2i:2i+2] * i, acc): a slice at the
    iteration number, static only once the iteration number is a constant."""
    i, cond = parameter("i", "i64", []), parameter("cond", "boolean", [])
    acc, table = parameter("acc", "f32", [2]), parameter("table", "f32", [6])
    axis = ir.constant(np.array([0], np.int64))
    start = ir.make("Unsqueeze", 1, [ir.make("Multiply", 1, [i, ir.constant(np.int64(2))]),
                                     axis])
    stop = ir.make("Add", 1, [start, ir.constant(np.array([2], np.int64))])
    piece = ir.make("Slice", 8, [table, start, stop, ir.constant(np.array([1], np.int64))])
    scaled = ir.make("Multiply", 1, [piece, ir.make("Convert", 1, [i], destination_type="f32")])
    return Graph([i, cond, acc, table], [cond, ir.make("Add", 1, [acc, scaled]), acc])


def loop_graph(trips: int, keep_going: bool = True):
    acc, table = parameter("acc0", "f32", [2]), parameter("table", "f32", [6])
    node = Node(lookup_op("Loop", 5), [ir.constant(np.int64(trips)), ir.constant(
        np.array(keep_going)), acc, table], {"num_carried": 1, "num_scan_outputs": 1},
        bodies=[loop_body()])
    return Graph([acc, table], list(node.outputs)), node


def test_loop_with_a_known_iteration_count_has_static_shapes_and_is_unrolled():
    graph, node = loop_graph(3)
    assert [str(v.shape) for v in node.outputs] == ["[2]", "[3,2]"]
    feeds = [RNG.normal(0, 1, 2).astype(np.float32), RNG.normal(0, 1, 6).astype(np.float32)]
    device_check.check_against_template(graph, feeds, "CPU")
    device_check.check_against_template(graph, feeds, "GPU")


def test_loop_that_runs_no_iteration_keeps_dynamic_shapes():
    graph, node = loop_graph(3, keep_going=False)
    assert not node.outputs[1].shape.is_static
    assert unsupported_reason(node) == "dynamic shape [?,2]"


def test_if_with_a_known_condition_has_the_taken_branch_type():
    x = parameter("x", "f32", [3])
    scalar_then = Graph([x], [ir.constant(np.float32(1.0))])
    y = parameter("y", "f32", [3])
    vector_else = Graph([y], [ir.make("Relu", 1, [y])])
    data = parameter("data", "f32", [3])
    types = []
    for known in (True, False):
        node = Node(lookup_op("If", 8), [ir.constant(np.array([known])), data],
                    {"then_inputs": [1], "else_inputs": [1], "then_outputs": [0],
                     "else_outputs": [0]}, bodies=[scalar_then, vector_else])
        types.append(str(node.outputs[0].shape))
        device_check.check_against_template(Graph([data], list(node.outputs)),
                                            [RNG.normal(0, 1, 3).astype(np.float32)], "CPU")
    assert types == ["[]", "[3]"]


def test_tensor_iterator_with_a_shape_passed_into_its_body():
    """The body reshapes each slice to a shape it receives as an invariant input: static only
    once the constant is read inside the body, in inference and in the CPU lowering."""
    step, target = parameter("step", "f32", [6]), parameter("target", "i64", [2])
    reshaped = ir.make("Reshape", 1, [step, target], special_zero=False)
    body = Graph([step, target], [ir.make("Relu", 1, [reshaped])])
    seq = parameter("seq", "f32", [4, 6])
    node = Node(lookup_op("TensorIterator", 1), [seq, ir.constant(np.array([2, 3], np.int64))],
                {"num_state": 0, "scan_input_axes": [0], "scan_input_directions": [0],
                 "scan_output_axes": [0], "scan_output_directions": [0]}, bodies=[body])
    assert str(node.outputs[0].shape) == "[4,2,3]"
    device_check.check_against_template(Graph([seq], list(node.outputs)),
                                        [RNG.normal(0, 1, (4, 6)).astype(np.float32)], "CPU")
