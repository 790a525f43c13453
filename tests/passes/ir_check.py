"""Shared checks of the pass tests: run passes over text IR, compare text and numbers."""

import textwrap

import numpy as np
import vinify
from vinify.ir import Graph
from vinify.passes import PassManager
from vinify.text import parse, print_graph


def run_passes(text: str, *names: str) -> Graph:
    """The graph of `text` after the named passes, verified after each one."""
    graph = parse(textwrap.dedent(text).strip())
    return PassManager(list(names), verify=True).run(graph)


def ir_text(graph: Graph) -> str:
    """The text form with every constant inline, so comparisons include constant values."""
    return print_graph(graph, inline_limit=None)


def assert_ir(graph: Graph, expected: str) -> None:
    assert ir_text(graph).splitlines() == textwrap.dedent(expected).strip().splitlines()


def random_inputs(graph: Graph, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for value in graph.inputs:
        shape = tuple(d.get_length() if d.is_static else 2 for d in value.shape)
        arrays.append(rng.standard_normal(shape).astype(value.element_type.dtype))
    return arrays


def outputs_on_template(graph: Graph, inputs: list[np.ndarray]) -> list[np.ndarray]:
    results = vinify.compile_model(graph, "TEMPLATE")(inputs)
    return [np.asarray(results[i]) for i in range(len(graph.outputs))]


def assert_same_numbers(text: str, *names: str, rtol: float = 1e-5, atol: float = 1e-6) -> Graph:
    """Runs the passes over `text` and checks TEMPLATE gives the same outputs before and after."""
    before = parse(textwrap.dedent(text).strip())
    inputs = random_inputs(before)
    expected = outputs_on_template(before, inputs)
    after = run_passes(text, *names)
    for want, got in zip(expected, outputs_on_template(after, inputs)):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    return after


def assert_unchanged(text: str, *names: str) -> Graph:
    """The passes must not fire: the output prints exactly like the input."""
    expected = ir_text(parse(textwrap.dedent(text).strip()))
    graph = run_passes(text, *names)
    assert ir_text(graph).splitlines() == expected.splitlines()
    return graph
