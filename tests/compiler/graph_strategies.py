"""Hypothesis strategies for random well-typed graphs, with an independent numpy evaluation.

Each generated case is (graph, inputs, expected): `expected` is computed step by step with plain
numpy formulas while the graph is built, not through vinify's op references.
"""

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from vinify import ir

UNARY = {
    "Relu": lambda x: np.maximum(x, 0),
    "Abs": np.abs,
    "Negative": np.negative,
    "Tanh": np.tanh,
    "Sigmoid": lambda x: 1 / (1 + np.exp(-x.astype(np.float64))),
}
BINARY = {
    "Add": np.add,
    "Subtract": np.subtract,
    "Multiply": np.multiply,
    "Maximum": np.maximum,
    "Minimum": np.minimum,
}
SHAPES = [(2, 3), (3,), (1, 3), (4, 2, 3), ()]


@dataclass
class GraphCase:
    graph: ir.Graph
    inputs: list[np.ndarray]
    expected: list[np.ndarray]


def _array(draw, shape) -> np.ndarray:
    seed = draw(st.integers(0, 2**31 - 1))
    return np.random.default_rng(seed).uniform(-2, 2, shape).astype(np.float32)


def _declared_shape(draw, shape):
    """The parameter's declared shape: each dim static, dynamic, or bounded around the size."""
    dims = []
    for size in shape:
        kind = draw(st.sampled_from(["static", "static", "dynamic", "bounded"]))
        dims.append(size if kind == "static" else "?" if kind == "dynamic" else f"1..{size + 3}")
    return dims


@st.composite
def graph_cases(draw, max_steps: int = 8) -> GraphCase:
    parameters, inputs = [], []
    values: list[tuple[ir.Value, np.ndarray]] = []
    for index in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(SHAPES))
        node = ir.parameter(f"in{index}", "f32", _declared_shape(draw, shape))
        array = _array(draw, shape)
        parameters.append(node)
        inputs.append(array)
        values.append((node.outputs[0], array))
    for step in range(draw(st.integers(1, max_steps))):
        kind = draw(st.sampled_from(["unary", "binary", "binary", "constant", "matmul", "softmax"]))
        value, array = draw(st.sampled_from(values))
        name = f"n{step}"
        if kind == "unary":
            op = draw(st.sampled_from(sorted(UNARY)))
            node, result = ir.make(op, 1, [value], name=name), UNARY[op](array)
        elif kind in ("binary", "constant"):
            op = draw(st.sampled_from(sorted(BINARY)))
            if kind == "constant":
                other_array = _array(draw, draw(st.sampled_from(SHAPES)))
                other = ir.constant(other_array).outputs[0]
            else:
                other, other_array = draw(st.sampled_from(values))
            try:
                result = BINARY[op](array, other_array)
            except ValueError:  # not broadcastable: skip this step
                continue
            node = ir.make(op, 1, [value, other], name=name)
        elif kind == "matmul":
            if array.ndim == 0 or array.shape[-1] != 3:
                continue
            weight = _array(draw, (3, 3))
            node = ir.make("MatMul", 1, [value, ir.constant(weight)], name=name)
            result = np.matmul(array, weight)
        else:
            if array.ndim == 0:
                continue
            shifted = np.exp(array - array.max(axis=-1, keepdims=True))
            node = ir.make("Softmax", 8, [value], axis=-1, name=name)
            result = shifted / shifted.sum(axis=-1, keepdims=True)
        values.append((node.outputs[0], np.asarray(result, np.float32)))
    chosen = draw(st.lists(st.sampled_from(values[len(parameters):] or values), min_size=1,
                           max_size=2, unique_by=lambda item: id(item[0])))
    graph = ir.Graph(parameters, [v for v, _ in chosen], "random")
    return GraphCase(graph, inputs, [a for _, a in chosen])
