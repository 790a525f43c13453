"""The pattern matcher and the worklist rewriter."""

import numpy as np
import pytest
from vinify.errors import IRError
from vinify.ir import make
from vinify.passes.pattern import (
    all_close_to,
    any_value,
    constant,
    either,
    first_match,
    op,
)
from vinify.passes.rewriter import Rewrite, apply_rewrites
from vinify.text import parse

from tests.passes.ir_check import assert_ir

GRAPH = """graph "g" {
  %x = Parameter<1>() {element_type=f32, shape=[2]} : f32[2]
  %two = Constant<1>() {value=tensor<f32[]: [2.0]>} : f32[]
  %a = Multiply<1>(%two, %x) : f32[2]
  %b = Relu<1>(%a) : f32[2]
  %c = Add<1>(%b, %b) : f32[2]
  Result<1>(%c)
}"""


def _values(graph):
    return {v.name: v for n in graph.nodes() for v in n.outputs if v.name}


def test_captures_constants_and_commutative_inputs():
    values = _values(parse(GRAPH))
    pattern = op("Multiply", any_value("x"), constant("k", all_close_to(2.0)), commutative=True)
    match = first_match(pattern, values["a"])
    assert match["x"] is values["x"]
    assert float(match.const("k")) == 2.0
    assert [n.name for n in match.nodes] == ["a"]
    assert first_match(op("Multiply", any_value("x"), constant("k")), values["a"]) is None


def test_a_capture_used_twice_must_bind_the_same_value():
    values = _values(parse(GRAPH))
    same = op("Add", any_value("v"), any_value("v"))
    assert first_match(same, values["c"])["v"] is values["b"]
    different = op("Multiply", any_value("v"), any_value("v"))
    assert first_match(different, values["a"]) is None


def test_alternatives_attribute_predicates_and_single_use():
    values = _values(parse(GRAPH))
    relu_or_sigmoid = either(op("Sigmoid", any_value("x")), op("Relu", any_value("x")))
    assert first_match(relu_or_sigmoid, values["b"])["x"] is values["a"]
    assert first_match(op("Add", relu_or_sigmoid, any_value()), values["c"]) is not None
    assert first_match(op("Relu", single_use=True), values["b"]) is None  # %b has two uses
    assert first_match(op("Add", auto_broadcast="numpy"), values["c"]) is not None
    assert first_match(op("Add", auto_broadcast=lambda v: v == "none"), values["c"]) is None
    assert first_match(any_value(where=lambda t: t.shape.rank == 3), values["c"]) is None


def test_rewrites_enable_each_other_in_one_walk_and_keep_names_and_provenance():
    graph = parse(GRAPH)

    def relu_of_double(match):  # relu(2x) -> 2 relu(x)  (then Add(b, b) -> Multiply(b, 2))
        inner = make("Relu", 1, [match["x"]])
        return make("Multiply", 1, [inner, match["k"]]).outputs[0]

    def double(match):
        return make("Multiply", 1, [match["v"], make("Constant", 1, value=np.float32(2.0))])

    rewrites = [
        Rewrite("relu-of-double", op("Relu", op("Multiply", any_value("x"), constant(
            "k", all_close_to(2.0)), commutative=True, capture="k2")), relu_of_double),
        Rewrite("add-self", op("Add", any_value("v"), any_value("v")), double),
    ]
    fired = apply_rewrites(graph, [Rewrite(r.name, r.pattern, _outputs(r.replace))
                                   for r in rewrites])
    assert fired == {"relu-of-double": 1, "add-self": 1}
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2]} : f32[2]
          %0 = Relu<1>(%x) : f32[2] name="b/Relu"
          %two = Constant<1>() {value=tensor<f32[]: [2.0]>} : f32[]
          %b = Multiply<1>(%0, %two) : f32[2]
          %1 = Constant<1>() {value=tensor<f32[]: [2.0]>} : f32[] name="c/Constant"
          %c = Multiply<1>(%b, %1) : f32[2]
          Result<1>(%c)
        }""")
    relu = graph.outputs[0].node.inputs[0].node.inputs[0].node
    assert relu.rt_info["provenance"] == ["b", "a"]


def _outputs(replace):
    def wrapped(match):
        result = replace(match)
        return result.outputs[0] if hasattr(result, "outputs") else result

    return wrapped


def test_rewrites_that_undo_each_other_are_stopped():
    graph = parse(GRAPH)
    flip = [Rewrite("to-sigmoid", op("Relu", any_value("x")),
                    lambda m: make("Sigmoid", 1, [m["x"]]).outputs[0]),
            Rewrite("to-relu", op("Sigmoid", any_value("x")),
                    lambda m: make("Relu", 1, [m["x"]]).outputs[0])]
    with pytest.raises(IRError, match="does not converge"):
        apply_rewrites(graph, flip)
