"""If<8>, Loop<5> and TensorIterator<1>: type inference over bodies, references that run the
bodies on TEMPLATE, and the text round trip (a parsed node still finds its bodies)."""

import numpy as np
import pytest
import vinify
from vinify.errors import IRError
from vinify.ir import Graph, Node, constant, make, parameter
from vinify.op import lookup_op
from vinify.text import parse, print_graph


def body(inputs, build, name="body"):
    """A body graph over parameters given as (name, elem, shape); `build` returns results."""
    params = [parameter(n, e, s) for n, e, s in inputs]
    return Graph(params, build(*[p.outputs[0] for p in params]), name=name)


def if_graph():
    cond = parameter("c", "boolean", [])
    x = parameter("x", "f32", [2, 3])
    then_body = body([("a", "f32", [2, 3])], lambda a: [make("Add", 1, [a, a])], "then")
    else_body = body([("b", "f32", [2, 3])], lambda b: [make("Negative", 1, [b])], "else")
    node = Node(lookup_op("If", 8), [cond, x], {"then_inputs": [1], "else_inputs": [1],
                                               "then_outputs": [0], "else_outputs": [0]},
                name="choose", bodies=[then_body, else_body])
    return Graph([cond, x], [node.outputs[0]], name="if")


@pytest.mark.parametrize("condition", [True, False])
def test_if_runs_the_branch_taken(condition):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    result = vinify.compile_model(if_graph(), "TEMPLATE")({"c": np.array(condition), "x": x})[0]
    np.testing.assert_array_equal(result, x + x if condition else -x)


def test_if_survives_the_text_round_trip():
    text = print_graph(if_graph())
    parsed = parse(text)
    assert print_graph(parsed) == text
    x = np.ones((2, 3), np.float32)
    result = vinify.compile_model(parsed, "TEMPLATE")({"c": np.array(False), "x": x})[0]
    np.testing.assert_array_equal(result, -x)


def test_if_merges_branch_shapes():
    cond = parameter("c", "boolean", [])
    x = parameter("x", "f32", [2, 3])
    y = parameter("y", "f32", [2, 5])
    then_body = body([("a", "f32", [2, 3])], lambda a: [a], "then")
    else_body = body([("b", "f32", [2, 5])], lambda b: [b], "else")
    node = Node(lookup_op("If", 8), [cond, x, y], {"then_inputs": [1], "else_inputs": [2],
                                                  "then_outputs": [0], "else_outputs": [0]},
                bodies=[then_body, else_body])
    assert str(node.outputs[0].type) == "f32[2,?]"


def test_if_port_map_mismatch_names_the_node():
    cond = parameter("c", "boolean", [])
    branch = body([("a", "f32", [2])], lambda a: [a])
    with pytest.raises(IRError, match="'bad' \\(If<8>\\).*then_inputs maps 0 inputs onto 1"):
        Node(lookup_op("If", 8), [cond], {"then_outputs": [0], "else_outputs": [0]},
             name="bad", bodies=[branch, branch])


def test_loop_carries_values_and_stacks_scan_outputs():
    trip = parameter("n", "i64", [])
    start = parameter("s", "f32", [2])
    step = parameter("d", "f32", [2])
    loop_body = body([("i", "i64", []), ("go", "boolean", []), ("acc", "f32", [2]),
                      ("inc", "f32", [2])],
                     lambda i, go, acc, inc: [go, make("Add", 1, [acc, inc]),
                                              make("Multiply", 1, [acc, acc])])
    node = Node(lookup_op("Loop", 5), [trip, constant(np.array(True)), start, step],
                {"num_carried": 1, "num_scan_outputs": 1}, bodies=[loop_body])
    assert [str(v.type) for v in node.outputs] == ["f32[2]", "f32[?,2]"]
    graph = Graph([trip, start, step], list(node.outputs))
    feeds = {"n": np.array(3, np.int64), "s": np.array([1, 2], np.float32),
             "d": np.array([1, -1], np.float32)}
    final, squares = vinify.compile_model(graph, "TEMPLATE")(feeds).to_tuple()
    np.testing.assert_array_equal(final, [4, -1])
    np.testing.assert_array_equal(squares, [[1, 4], [4, 1], [9, 0]])


def test_loop_with_zero_trips_gives_empty_scan_outputs():
    loop_body = body([("i", "i64", []), ("go", "boolean", []), ("acc", "f32", [2])],
                     lambda i, go, acc: [go, acc, acc])
    start = parameter("s", "f32", [2])
    node = Node(lookup_op("Loop", 5), [constant(np.array(0, np.int64)),
                                       constant(np.array(True)), start],
                {"num_carried": 1, "num_scan_outputs": 1}, bodies=[loop_body])
    graph = Graph([start], list(node.outputs))
    final, scans = vinify.compile_model(graph, "TEMPLATE")({"s": np.ones(2, np.float32)}).to_tuple()
    assert scans.shape == (0, 2) and scans.dtype == np.float32


def test_tensor_iterator_scans_forward_and_backward():
    state = parameter("state", "f32", [3])
    seq = parameter("seq", "f32", [4, 3])
    step_body = body([("s", "f32", [3]), ("x", "f32", [3])],
                     lambda s, x: [make("Add", 1, [s, x]), make("Add", 1, [s, x])])
    outputs = {}
    for direction in (0, 1):
        node = Node(lookup_op("TensorIterator", 1), [state, seq],
                    {"num_state": 1, "scan_input_axes": [0], "scan_input_directions": [direction],
                     "scan_output_axes": [0], "scan_output_directions": [0]},
                    bodies=[step_body])
        graph = Graph([state, seq], list(node.outputs))
        feeds = {"state": np.zeros(3, np.float32),
                 "seq": np.arange(12, dtype=np.float32).reshape(4, 3)}
        outputs[direction] = vinify.compile_model(graph, "TEMPLATE")(feeds).to_tuple()
    sequence = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.testing.assert_array_equal(outputs[0][1], np.cumsum(sequence, axis=0))
    np.testing.assert_array_equal(outputs[1][1], np.cumsum(sequence[::-1], axis=0))
    np.testing.assert_array_equal(outputs[0][0], sequence.sum(axis=0))
