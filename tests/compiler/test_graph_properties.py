"""Properties of random well-typed graphs: they verify, round-trip through the text form
unchanged, and evaluate on TEMPLATE to what a direct numpy evaluation gives."""

import numpy as np
from hypothesis import given

import vinify
from vinify.text import parse, print_graph
from vinify.verify import verify

from .graph_strategies import graph_cases


@given(graph_cases())
def test_random_graphs_verify(case):
    assert verify(case.graph) is case.graph


@given(graph_cases())
def test_random_graphs_round_trip_through_text(case):
    text = print_graph(case.graph, inline_limit=None)
    again = parse(text)
    verify(again)
    assert print_graph(again, inline_limit=None) == text


@given(graph_cases())
def test_template_matches_direct_numpy(case):
    outputs = vinify.compile_model(case.graph, "TEMPLATE")(case.inputs)
    assert len(outputs) == len(case.expected)
    for index, expected in enumerate(case.expected):
        assert outputs[index].dtype == np.float32
        np.testing.assert_allclose(outputs[index], expected, rtol=1e-5, atol=1e-6)


@given(graph_cases())
def test_text_round_trip_preserves_results(case):
    again = parse(print_graph(case.graph, inline_limit=None))
    first = vinify.compile_model(case.graph, "TEMPLATE")(case.inputs)
    second = vinify.compile_model(again, "TEMPLATE")(case.inputs)
    for index in range(len(case.expected)):
        np.testing.assert_array_equal(first[index], second[index])
