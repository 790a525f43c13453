"""Model.reshape: give a graph's inputs new shapes and re-infer every type downstream.

`reshape(graph, shapes)` changes the graph in place, as OpenVINO's `Model.reshape` does; if any
node rejects the new shapes, the graph is left exactly as it was and the TypeInferenceError
names that node. `reshaped(graph, shapes)` returns a new graph and leaves the original alone:
devices that compile static shapes use it for each input shape they see.

`shapes` is a dict keyed by input name or index, a list in input order, or one shape when the
graph has a single input; a shape is anything PartialShape.of accepts ([1, 3, "?", "1..64"]).
"""

from typing import Any

from vinify.errors import IRError
from vinify.ir import Graph, Node, Value
from vinify.op import lookup_op
from vinify.shapes import PartialShape


def _shape_table(graph: Graph, shapes: Any) -> dict[int, PartialShape]:
    """Parameter index → new shape."""
    parameters = graph.parameters
    if isinstance(shapes, dict):
        table = {}
        for key, shape in shapes.items():
            table[_parameter_index(graph, key)] = PartialShape.of(shape)
        return table
    if isinstance(shapes, (PartialShape, str)) or _is_single_shape(shapes):
        if len(parameters) != 1:
            raise IRError(f"graph '{graph.name}' has {len(parameters)} inputs; give a dict of "
                          "shapes by input name")
        return {0: PartialShape.of(shapes)}
    shapes = list(shapes)
    if len(shapes) != len(parameters):
        raise IRError(f"graph '{graph.name}' has {len(parameters)} inputs, "
                      f"got {len(shapes)} shapes")
    return {index: PartialShape.of(shape) for index, shape in enumerate(shapes)}


def _is_single_shape(shapes: Any) -> bool:
    items = list(shapes)
    return all(not isinstance(item, (list, tuple, PartialShape)) for item in items)


def _parameter_index(graph: Graph, key: Any) -> int:
    for index, parameter in enumerate(graph.parameters):
        value = parameter.outputs[0]
        if key == index or key in (value.name, parameter.name):
            return index
    names = [p.outputs[0].name or p.name for p in graph.parameters]
    raise IRError(f"graph '{graph.name}' has no input {key!r}; inputs: {names}")


def reshape(graph: Graph, shapes: Any) -> Graph:
    """Sets new input shapes in place and re-infers all types; all-or-nothing."""
    table = _shape_table(graph, shapes)
    nodes = graph.nodes()
    saved_types = [(value, value.type) for node in nodes for value in node.outputs]
    saved_shapes = [(p, p.attrs["shape"]) for p in graph.parameters]
    try:
        for index, shape in table.items():
            parameter = graph.parameters[index]
            parameter.attrs["shape"] = shape
        for node in nodes:
            for value, new_type in zip(node.outputs, node.infer_types()):
                value.type = new_type
    except Exception:
        for value, old_type in saved_types:
            value.type = old_type
        for parameter, shape in saved_shapes:
            parameter.attrs["shape"] = shape
        raise
    return graph


def reshaped(graph: Graph, shapes: Any) -> Graph:
    """A copy of `graph` with new input shapes; the original is untouched."""
    table = _shape_table(graph, shapes)
    mapping: dict[int, Value] = {}
    parameters = []
    for index, old in enumerate(graph.parameters):
        element = old.attrs["element_type"]
        shape = table.get(index, old.attrs["shape"])
        new = Node(old.op, [], {"element_type": element, "shape": shape}, name=old.name,
                   output_names=[old.outputs[0].name])
        new.rt_info.update(old.rt_info)
        mapping[id(old.outputs[0])] = new.outputs[0]
        parameters.append(new)
    result_op = lookup_op("Result", 1)
    for node in graph.nodes():
        if node.op.name == "Parameter" or node.op is result_op:
            continue
        copy = Node(node.op, [mapping[id(v)] for v in node.inputs], dict(node.attrs),
                    name=node.name, output_names=[v.name for v in node.outputs],
                    bodies=node.bodies)
        copy.rt_info.update(node.rt_info)
        for old_value, new_value in zip(node.outputs, copy.outputs):
            mapping[id(old_value)] = new_value
    results = [Node(result_op, [mapping[id(r.inputs[0])]], name=r.name) for r in graph.results]
    copy_graph = Graph(parameters, results, name=graph.name)
    copy_graph.rt_info.update(graph.rt_info)
    return copy_graph


__all__ = ["reshape", "reshaped"]
