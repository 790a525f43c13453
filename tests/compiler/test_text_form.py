"""The text form: printing and parsing round-trip, and parse errors carry line and column."""

import numpy as np
import pytest

from vinify import ir
from vinify.errors import ParseError
from vinify.text import parse, print_graph

GRAPH = """graph "g" {
  %x = Parameter<1>() {element_type=f32, shape=[2,?,1..8]} : f32[2,?,1..8]
  %0 = Constant<1>() {value=tensor<f32[3]: [0.0, 0.1, -inf]>} : f32[3]
  %1 = Add<1>(%x, %0) : f32[2,?,3]
  Result<1>(%1)
  %"a b" = Divide<1>(%1, %1) {m_pythondiv=false} : f32[2,?,3] name="div"
  Result<1>(%"a b")
}"""


def test_print_parse_round_trip_is_exact():
    assert print_graph(parse(GRAPH)) == GRAPH


def test_parse_keeps_names_types_and_constants():
    graph = parse(GRAPH)
    assert [v.name for v in graph.outputs] == [None, "a b"]
    assert graph.outputs[1].node.name == "div"
    assert str(graph.outputs[0].type) == "f32[2,?,3]"
    constant = graph.outputs[0].node.inputs[1].node.attrs["value"]
    np.testing.assert_array_equal(constant, np.array([0.0, 0.1, -np.inf], np.float32))


def test_large_constants_print_as_digest_and_resolve_from_store():
    array = np.arange(100, dtype=np.float32)
    x = ir.parameter("x", "f32", [100])
    graph = ir.Graph([x], [ir.make("Add", 1, [x, ir.constant(array)])])
    text = print_graph(graph)
    assert "sha256" in text and "99.0" not in text
    from vinify.text import tensor_digest

    again = parse(text, constants={tensor_digest(array): array})
    assert print_graph(again) == text
    with pytest.raises(ParseError, match="no constant data for sha256"):
        parse(text)


@pytest.mark.parametrize(
    "broken, message, line",
    [
        (GRAPH.replace("(%x, %0)", "(%x, %9)"), "use of undefined value %9", 4),
        (GRAPH.replace("Add<1>", "Add<99>"), "unknown op Add<99>", 4),
        (GRAPH.replace("%1 = Add", "%1 Add"), "unexpected input", 4),
        (GRAPH.replace("m_pythondiv=false", "m_pythondiv=3"), "m_pythondiv", 6),
        (GRAPH.replace("%1 = Add", "%x = Add"), "defined twice", 4),
        (GRAPH.replace("f32[2,?,3] name", "q32[2,?,3] name"), "unknown element type 'q32'", 6),
    ],
)
def test_parse_errors_name_the_item_and_the_line(broken, message, line):
    with pytest.raises(ParseError, match=message) as info:
        parse(broken)
    assert info.value.line == line


def test_attribute_names_with_dashes_round_trip():
    x = ir.parameter("x", "f32", [1, 1, 4, 4])
    pool = ir.make("AvgPool", 1, [x], strides=[1, 1], pads_begin=[0, 0], pads_end=[0, 0],
                   kernel=[2, 2], **{"exclude-pad": True})
    text = print_graph(ir.Graph([x], [pool]))
    assert "exclude-pad=true" in text
    assert print_graph(parse(text)) == text


def test_dynamic_rank_parameter_round_trips():
    text = """graph "g" {
  %x = Parameter<1>() {element_type=f32, shape=[...]} : f32[...]
  %0 = Relu<1>(%x) : f32[...]
  Result<1>(%0)
}"""
    graph = parse(text)
    assert not graph.inputs[0].shape.rank_is_static
    assert print_graph(graph) == text
