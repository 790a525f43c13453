"""Body graphs in IR files: writing If<8>, Loop<5> and TensorIterator<1> with OpenVINO's port
maps (see `body_ports` for the mapping between vinify's fixed layouts and the port maps).

The body is copied before the boundary rewrites (a Squeeze or Unsqueeze for the iterated axis,
an unused Loop condition parameter left out), so that saving never changes the graph saved.
"""

import numpy as np
from vinify.errors import IRError
from vinify.ir import Graph, Node, Value, constant, make, parameter
from vinify.irfile.body_ports import is_axis_op, result_of
from vinify.shapes import PartialShape


def write_body_node(builder, node: Node) -> None:
    """Adds the layer of an If, Loop or TensorIterator node with its port maps and bodies."""
    writers = {"If": _write_if, "Loop": _write_loop, "TensorIterator": _write_tensor_iterator}
    if node.op.name not in writers:
        raise IRError(f"{node.describe()}: body graphs of {node.op.name} cannot be saved")
    writers[node.op.name](builder, node)


def _body_builder(builder, graph: Graph):
    from vinify.irfile.writer import NetBuilder

    body = NetBuilder(builder.compress, builder.weights)
    body.add_graph(graph)
    return body


def _copy(graph: Graph) -> Graph:
    """A copy to rewrite at the boundary without touching the graph being saved."""
    from vinify.reshape import reshaped

    return reshaped(graph, {})


def _render_body(tag: str, body):
    return lambda indent: [f"{indent}<{tag}>"] + body.render(indent + "\t") + [f"{indent}</{tag}>"]


def _render_maps(sections: list[tuple[str, list[tuple[str, list[tuple[str, str]]]]]]):
    """Port maps and back edges: [(tag, [(entry tag, [(attribute, value)])])]."""
    from vinify.irfile.writer import quote

    def render(indent: str) -> list[str]:
        lines = []
        for tag, entries in sections:
            lines.append(f"{indent}<{tag}>")
            for entry_tag, attributes in entries:
                text = " ".join(f"{key}={quote(value)}" for key, value in attributes)
                lines.append(f"{indent}\t<{entry_tag} {text} />")
            lines.append(f"{indent}</{tag}>")
        return lines

    return render


def _entry(kind: str, external: int, internal: int, axis: int | None = None,
           reverse: bool = False, purpose: str | None = None) -> tuple[str, list]:
    attributes = [] if axis is None else [("axis", str(axis))]
    attributes += [("external_port_id", str(external)), ("internal_layer_id", str(internal))]
    if axis is not None:
        start, end, stride = ("-1", "0", "-1") if reverse else ("0", "-1", "1")
        attributes += [("start", start), ("end", end), ("stride", stride), ("part_size", "1")]
    if purpose is not None:
        attributes.append(("purpose", purpose))
    return kind, attributes


def _back_edge(body, result: Node, param: Node) -> tuple[str, list]:
    return "edge", [("from-layer", str(body.layer_ids[id(result)])),
                    ("to-layer", str(body.layer_ids[id(param)]))]


def _write_if(builder, node: Node) -> None:
    bodies = [_body_builder(builder, graph) for graph in node.bodies]
    layer = builder.add_node(node, with_data=False)
    first_output = len(node.inputs)
    sections = []
    for branch, graph, body in zip(("then", "else"), node.bodies, bodies):
        entries = [_entry("input", node.attrs[f"{branch}_inputs"][j], body.layer_ids[id(param)])
                   for j, param in enumerate(graph.parameters)]
        entries += [_entry("output", first_output + k, body.layer_ids[id(graph.results[r])])
                    for k, r in enumerate(node.attrs[f"{branch}_outputs"])]
        sections.append((f"{branch}_port_map", entries))
    layer.port_maps = _render_maps(sections)
    then_body, else_body = _render_body("then_body", bodies[0]), _render_body("else_body",
                                                                              bodies[1])
    layer.bodies = lambda indent: then_body(indent) + else_body(indent)


def _write_loop(builder, node: Node) -> None:
    graph = _copy(node.bodies[0])
    carried = node.attrs["num_carried"]
    params, results = graph.parameters, graph.results
    scans = [_with_axis(r.inputs[0], 0) for r in results[1 + carried:]]
    condition_used = bool(params[1].outputs[0].uses)
    written = [params[0]] + ([params[1]] if condition_used else []) + params[2:]
    body = _body_builder(builder, Graph(written, results[:1 + carried] + scans, graph.name))
    layer = builder.add_node(node, with_data=False)
    lid, first_output = body.layer_ids, len(node.inputs)
    entries = [_entry("input", -1, lid[id(params[0])], purpose="current_iteration")]
    back = []
    if condition_used:
        entries.append(_entry("input", 1, lid[id(params[1])]))
        back.append(_back_edge(body, results[0], params[1]))
    for index, param in enumerate(params[2:], start=2):
        entries.append(_entry("input", index, lid[id(param)]))
        if index < 2 + carried:
            back.append(_back_edge(body, results[index - 1], param))
    entries += [_entry("output", first_output + k, lid[id(results[1 + k])])
                for k in range(carried)]
    entries += [_entry("output", first_output + carried + k, lid[id(scan)], axis=0)
                for k, scan in enumerate(scans)]
    entries.append(_entry("output", -1, lid[id(results[0])], purpose="execution_condition"))
    layer.port_maps = _render_maps([("port_map", entries), ("back_edges", back)])
    layer.bodies = _render_body("body", body)


def _write_tensor_iterator(builder, node: Node) -> None:
    graph, attrs = _copy(node.bodies[0]), node.attrs
    state, axes = attrs["num_state"], list(attrs["scan_input_axes"])
    out_axes = list(attrs["scan_output_axes"])
    in_reverse = [bool(d) for d in attrs["scan_input_directions"]] + [False] * len(axes)
    out_reverse = [bool(d) for d in attrs["scan_output_directions"]] + [False] * len(out_axes)
    params = list(graph.parameters)
    for index, axis in enumerate(axes):
        params[state + index] = _with_sliced_axis(params[state + index],
                                                  node.inputs[state + index].shape, axis)
    results = graph.results[:state] + [_with_axis(r.inputs[0], axis)
                                       for r, axis in zip(graph.results[state:], out_axes)]
    body = _body_builder(builder, Graph(params, results, name=graph.name))
    layer = builder.add_node(node, with_data=False)
    lid, first_output = body.layer_ids, len(node.inputs)
    entries, back = [], []
    for index, param in enumerate(params):
        scan = index - state
        sliced = 0 <= scan < len(axes)
        entries.append(_entry("input", index, lid[id(param)], axes[scan] if sliced else None,
                              sliced and in_reverse[scan]))
        if index < state:
            back.append(_back_edge(body, results[index], param))
    for k, result in enumerate(results):
        scan = k - state
        entries.append(_entry("output", first_output + k, lid[id(result)],
                              out_axes[scan] if scan >= 0 else None,
                              scan >= 0 and out_reverse[scan]))
    layer.port_maps = _render_maps([("port_map", entries), ("back_edges", back)])
    layer.bodies = _render_body("body", body)


def _with_axis(value: Value, axis: int) -> Node:
    """A Result of `value` with `axis` added (length 1), undoing a Squeeze if there is one."""
    if is_axis_op(value.node, "Squeeze", axis):
        return result_of(value.node.inputs[0])
    axes = constant(np.array([axis], np.int64), name=f"{value.node.name}/axis")
    unsqueezed = make("Unsqueeze", 1, [value, axes], name=f"{value.node.name}/unsqueeze")
    unsqueezed.outputs[0].name = value.name
    return result_of(unsqueezed.outputs[0])


def _with_sliced_axis(param: Node, sequence: PartialShape, axis: int) -> Node:
    """OpenVINO's slice parameter (length 1 on `axis`) standing in for vinify's (no axis)."""
    if not sequence.rank_is_static:
        raise IRError(f"{param.describe()}: a sliced sequence of dynamic rank cannot be saved")
    axis = axis % sequence.rank
    dims = list(param.outputs[0].shape.dims or ())
    dims.insert(axis, 1)
    fresh = parameter(param.outputs[0].name or param.name, param.outputs[0].element_type, dims)
    fresh.name = param.name
    fresh.rt_info.update(param.rt_info)
    old = param.outputs[0]
    users = list(old.uses)
    if users and all(is_axis_op(user, "Unsqueeze", axis) for user, _ in users):
        for user, _ in users:
            user.outputs[0].replace_all_uses_with(fresh.outputs[0])
        return fresh
    axes = constant(np.array([axis], np.int64), name=f"{param.name}/axis")
    squeezed = make("Squeeze", 1, [fresh, axes], name=f"{param.name}/squeeze")
    old.replace_all_uses_with(squeezed.outputs[0])
    return fresh
