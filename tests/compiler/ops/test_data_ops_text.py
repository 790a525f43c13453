"""Data-movement ops in the text form: attributes of every kind and multi-output nodes survive
print -> parse -> print, and the parsed graph computes the same numbers."""

import numpy as np
import vinify
from vinify import ir


def i64(*values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def _graph() -> ir.Graph:
    x = ir.parameter("x", "f32", ["?", 4, 6])
    shape = ir.make("ShapeOf", 3, [x], output_type="i32")
    sliced = ir.make("StridedSlice", 1, [x, ir.constant(i64(0, 1)), ir.constant(i64(0, -1))],
                     begin_mask=[1, 0], end_mask=[1, 0], new_axis_mask=[0, 0, 1])
    parts = ir.make("VariadicSplit", 1, [x, ir.constant(np.int64(2)), ir.constant(i64(1, -1, 2))])
    unique = ir.make("Unique", 10, [ir.make("Convert", 1, [x], destination_type="i32")],
                     sorted=False, index_element_type="i32")
    spread = ir.make("Broadcast", 3, [parts.outputs[0], ir.constant(i64(2, 1, 4, 1))],
                     mode="bidirectional")
    return ir.Graph([x], [shape, sliced, parts.outputs[1], unique.outputs[0], spread],
                    name="data_ops")


def test_round_trip_and_same_numbers():
    graph = _graph()
    text = vinify.print_graph(graph)
    parsed = vinify.parse(text)
    assert vinify.print_graph(parsed) == text
    data = np.random.default_rng(2).integers(0, 5, (3, 4, 6)).astype(np.float32)
    expected = vinify.compile_model(graph, "TEMPLATE")({"x": data})
    actual = vinify.compile_model(parsed, "TEMPLATE")({"x": data})
    for a, e in zip(list(actual.values()), list(expected.values())):
        np.testing.assert_array_equal(a, e)
    assert "begin_mask=[1, 0]" in text or "begin_mask=[1,0]" in text
