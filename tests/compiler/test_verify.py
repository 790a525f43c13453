"""The verifier and bad input: each malformed graph gets a typed error that names the culprit."""

import numpy as np
import pytest

import vinify
from vinify import ir
from vinify.errors import (
    InferenceError,
    IRError,
    TypeInferenceError,
    UnknownOpError,
    VerificationError,
)
from vinify.verify import verify


def small_graph():
    x = ir.parameter("x", "f32", [2, 3])
    add = ir.make("Add", 1, [x, x], name="add1")
    relu = ir.make("Relu", 1, [add], name="relu1")
    return x, add, relu, ir.Graph([x], [relu])


def test_a_well_formed_graph_verifies():
    *_, graph = small_graph()
    assert verify(graph) is graph
    assert [n.op.name for n in graph.nodes()] == ["Parameter", "Add", "Relu", "Result"]


def test_cycle_is_found_and_names_a_node_on_it():
    x, add, relu, graph = small_graph()
    add.set_input(1, relu)  # add -> relu -> add
    with pytest.raises(VerificationError, match=r"cycle through node '(add1|relu1)'"):
        verify(graph)


def test_dangling_parameter_is_named():
    x, add, relu, _ = small_graph()
    stray = ir.parameter("stray", "f32", [2, 3])
    add.set_input(1, stray)
    graph = ir.Graph([x], [relu])
    with pytest.raises(VerificationError, match="node 'stray' .*not one of the graph's param"):
        verify(graph)


def test_output_type_disagreeing_with_inference_is_named():
    x = ir.parameter("x", "f32", [2, 3])
    bad = ir.Node(vinify.op.lookup_op("Relu", 1), [x], name="r",
                  output_types=[ir.TensorType(x.outputs[0].element_type, ir.PartialShape.of([3]))])
    with pytest.raises(VerificationError, match=r"node 'r' \(Relu<1>\): output 0 is typed f32\[3\]"):
        verify(ir.Graph([x], [bad]))


def test_type_mismatch_at_construction_names_the_node():
    a = ir.parameter("a", "f32", [2])
    b = ir.parameter("b", "i32", [2])
    with pytest.raises(TypeInferenceError, match=r"node 'mix' \(Add<1>\).*one element type"):
        ir.make("Add", 1, [a, b], name="mix")


def test_shapes_that_do_not_broadcast_name_the_node():
    a = ir.parameter("a", "f32", [2, 3])
    b = ir.parameter("b", "f32", [4])
    with pytest.raises(TypeInferenceError, match=r"node 'bad' .*\[2,3\] and \[4\] do not broad"):
        ir.make("Add", 1, [a, b], name="bad")


def test_unknown_op_and_version():
    with pytest.raises(UnknownOpError, match=r"unknown op Frobnicate<1>"):
        ir.make("Frobnicate", 1, [])
    with pytest.raises(UnknownOpError, match=r"Relu<3>; known versions: \[1\]"):
        ir.make("Relu", 3, [ir.parameter("x", "f32", [1])])


def test_wrong_arity_and_attributes_name_the_node():
    x = ir.parameter("x", "f32", [2])
    with pytest.raises(IRError, match=r"node 'a' \(Add<1>\): Add<1> takes 2 inputs, got 1"):
        ir.make("Add", 1, [x], name="a")
    with pytest.raises(IRError, match=r"unknown attribute\(s\) \['color'\]"):
        ir.make("Relu", 1, [x], color="red")
    with pytest.raises(IRError, match=r"'auto_broadcast' must be one of"):
        ir.make("Add", 1, [x, x], auto_broadcast="sideways")


@pytest.mark.parametrize(
    "feed, message",
    [
        ({"x": np.ones((2, 4), np.float32)}, r"input 'x' expects shape \[2,3\], got \[2, 4\]"),
        ({"x": np.ones((2, 3), np.float64)}, r"input 'x' expects element type f32, got numpy f"),
        ({}, r"missing input\(s\) \['x'\]"),
        ({"x": np.ones((2, 3), np.float32), "y": 1}, r"model has no input 'y'"),
        ([np.ones((2, 3), np.float32)] * 2, r"takes 1 input\(s\) \['x'\], got 2"),
    ],
)
def test_bad_inputs_at_inference_are_named(feed, message):
    *_, graph = small_graph()
    compiled = vinify.compile_model(graph, "TEMPLATE")
    with pytest.raises(InferenceError, match=message):
        compiled(feed)
    # the model keeps working after a rejected request
    out = compiled({"x": np.full((2, 3), -1.0, np.float32)})
    np.testing.assert_array_equal(out[0], np.zeros((2, 3), np.float32))


def test_dynamic_input_accepts_any_conforming_shape():
    x = ir.parameter("x", "f32", ["?", "1..4"])
    compiled = vinify.compile_model(ir.Graph([x], [ir.make("Relu", 1, [x])]), "TEMPLATE")
    assert compiled(np.ones((5, 4), np.float32))[0].shape == (5, 4)
    with pytest.raises(InferenceError, match=r"expects shape \[\?,1\.\.4\], got \[5, 5\]"):
        compiled(np.ones((5, 5), np.float32))


def test_asking_for_a_device_that_does_not_exist_is_an_error():
    *_, graph = small_graph()
    with pytest.raises(vinify.errors.DeviceError, match="unknown device 'NPU'"):
        vinify.compile_model(graph, "NPU")
