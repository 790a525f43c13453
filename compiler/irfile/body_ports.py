"""Body graphs in IR files: reading the port maps of If<8>, Loop<5> and TensorIterator<1>.

OpenVINO joins a body to its layer with port maps: `<input external_port_id internal_layer_id>`
(plus `axis start end stride part_size` for a sliced input, or `purpose="current_iteration"`),
`<output external_port_id internal_layer_id>` (plus `axis` for an output concatenated over the
iterations, or `purpose="execution_condition"`), and `<back_edges>` from a body Result to the
body Parameter it feeds on the next iteration. vinify's ops keep fixed layouts instead (see
vinify.ops.control_flow); this module translates between the two:
- If: `then_inputs`/`else_inputs` and `then_outputs`/`else_outputs` are the port maps.
- Loop: body parameters (iteration, condition, carried..., invariant...), body results
  (condition, carried..., per-iteration...); back edges mark the carried values.
- TensorIterator: body parameters (state..., slices..., invariant...), results (state...,
  per-iteration...).
A per-iteration slice or output has the iterated axis in OpenVINO (length 1) and not in vinify,
so a Squeeze or Unsqueeze stands at the body boundary; when the body already has the opposite
one there, it is removed instead, so that reading and writing again gives the same file.
`body_writer` does the opposite translation.
"""

from dataclasses import dataclass

import numpy as np
from vinify.errors import ModelFileError
from vinify.ir import Graph, Node, Value, constant, make, parameter
from vinify.irfile.document import LayerSpec
from vinify.op import lookup_op
from vinify.ops.control_flow import with_bodies
from vinify.shapes import PartialShape

BODY_TAGS = ("body", "then_body", "else_body")
MAX_BODY_DEPTH = 32  # bodies within bodies; deeper nesting is hostile, not a model


def has_bodies(layer: LayerSpec) -> bool:
    return any(layer.element.find(tag) is not None for tag in BODY_TAGS)


@dataclass
class MapEntry:
    """One <input> or <output> of a port map."""

    kind: str  # "input" or "output"
    external: int
    internal: int
    axis: int | None = None
    stride: int = 1
    part_size: int = 1
    purpose: str | None = None
    start: int = 0
    end: int = -1


def _port_map(layer: LayerSpec, tag: str, where: str) -> list[MapEntry]:
    element = layer.element.find(tag)
    if element is None:
        raise ModelFileError(f"{where}: the layer has no <{tag}>")
    entries = []
    for item in element:
        try:
            entries.append(MapEntry(
                item.tag, int(item.get("external_port_id")), int(item.get("internal_layer_id")),
                None if item.get("axis") is None else int(item.get("axis")),
                int(item.get("stride", "1")), int(item.get("part_size", "1")),
                item.get("purpose"), int(item.get("start", "0")), int(item.get("end", "-1"))))
        except (TypeError, ValueError):
            raise ModelFileError(f"{where}: malformed <{tag}> entry {dict(item.attrib)}") \
                from None
    return entries


def _back_edges(layer: LayerSpec, where: str) -> dict[int, int]:
    """Body Parameter layer id -> the body Result layer id feeding it next iteration."""
    edges = {}
    for edge in layer.element.findall("back_edges/edge"):
        try:
            edges[int(edge.get("to-layer"))] = int(edge.get("from-layer"))
        except (TypeError, ValueError):
            raise ModelFileError(f"{where}: malformed back edge {dict(edge.attrib)}") from None
    return edges


# --- reading ----------------------------------------------------------------------------------

def read_body_node(reader, layer: LayerSpec, inputs: list[Value],
                   where: str) -> tuple[Node, list[Value]]:
    """The node for a layer with bodies, and the value behind each of its output ports."""
    readers = {"If": _read_if, "Loop": _read_loop, "TensorIterator": _read_tensor_iterator}
    if layer.type not in readers:
        raise ModelFileError(f"{where}: body graphs of {layer.type} layers are not supported")
    return readers[layer.type](reader, layer, inputs, where)


class _Body:
    """A body graph read from the file, with its nodes by layer id."""

    def __init__(self, reader, layer: LayerSpec, tag: str, where: str):
        element = layer.element.find(tag)
        if element is None:
            raise ModelFileError(f"{where}: the layer has no <{tag}>")
        if reader.depth >= MAX_BODY_DEPTH:
            raise ModelFileError(f"{where}: body graphs nest deeper than {MAX_BODY_DEPTH} levels")
        self.graph, self.nodes = reader.read_body(element, f"{layer.name}/{tag}")
        self.where = f"{where} <{tag}>"

    def node(self, layer_id: int, kind: str) -> Node:
        node = self.nodes.get(layer_id)
        if node is None or node.op.name != kind:
            raise ModelFileError(f"{self.where}: port map names layer id={layer_id}, which is "
                                 f"not a {kind} of the body")
        return node

    def result_value(self, layer_id: int) -> Value:
        return self.node(layer_id, "Result").inputs[0]


def _make(op_name: str, version: str, layer: LayerSpec, inputs: list[Value], attrs: dict,
          bodies: list[Graph]) -> Node:
    from vinify.irfile.reader import resolve_op

    op = with_bodies(resolve_op(op_name, version, layer.name), bodies)
    return Node(op, inputs, attrs, name=layer.name, bodies=bodies)


def _name_outputs(layer: LayerSpec, values: list[Value]) -> None:
    for port, value in zip(layer.outputs, values):
        if port.names:
            value.name = port.names[0]


def _read_if(reader, layer: LayerSpec, inputs: list[Value], where: str):
    input_index = {port.id: i for i, port in enumerate(layer.inputs)}
    attrs, bodies = {}, []
    for branch in ("then", "else"):
        body = _Body(reader, layer, f"{branch}_body", where)
        entries = _port_map(layer, f"{branch}_port_map", where)
        sources = {e.internal: e.external for e in entries if e.kind == "input"}
        attrs[f"{branch}_inputs"] = [
            input_index[_mapped(sources, body, param, input_index)]
            for param in body.graph.parameters]
        targets = {e.external: e.internal for e in entries if e.kind == "output"}
        results = [id(r) for r in body.graph.results]
        attrs[f"{branch}_outputs"] = [
            results.index(id(body.node(_required(targets, port.id, where), "Result")))
            for port in layer.outputs]
        bodies.append(body.graph)
    node = _make("If", layer.version, layer, inputs, attrs, bodies)
    _name_outputs(layer, node.outputs)
    return node, node.outputs


def _mapped(sources: dict[int, int], body: _Body, param: Node, valid: dict) -> int:
    layer_id = next(i for i, n in body.nodes.items() if n is param)
    external = sources.get(layer_id)
    if external is None or external not in valid:
        raise ModelFileError(f"{body.where}: body parameter '{param.name}' (layer id="
                             f"{layer_id}) is not mapped to an input of the layer")
    return external


def _input_position(position: dict[int, int], entry: MapEntry, where: str) -> int:
    if entry.external not in position:
        raise ModelFileError(f"{where}: port map input names port {entry.external}, which is "
                             "not an input port of the layer")
    return position[entry.external]


def _required(table: dict[int, int], port_id: int, where: str) -> int:
    if port_id not in table:
        raise ModelFileError(f"{where}: output port {port_id} is not mapped to a body result")
    return table[port_id]


def _read_loop(reader, layer: LayerSpec, inputs: list[Value], where: str):
    body = _Body(reader, layer, "body", where)
    entries, back = _port_map(layer, "port_map", where), _back_edges(layer, where)
    position = {port.id: i for i, port in enumerate(layer.inputs)}
    iteration = parameter("iteration", "i64", [])
    condition = parameter("condition", "boolean", [])
    carried, invariant = [], []
    for entry in (e for e in entries if e.kind == "input"):
        if entry.purpose == "current_iteration":
            iteration = body.node(entry.internal, "Parameter")
            continue
        if entry.axis is not None:
            raise ModelFileError(f"{where}: sliced Loop inputs are not supported")
        param = body.node(entry.internal, "Parameter")
        index = _input_position(position, entry, where)
        if index == 1:
            condition = param
            continue
        target = carried if entry.internal in back else invariant
        target.append((index, param, back.get(entry.internal)))
    _check_all_mapped(body, [iteration, condition] + [p for _, p, _ in carried + invariant])
    results = [_loop_condition(body, entries)] + [body.node(b, "Result") for _, _, b in carried]
    scans, port_outputs = [], []
    carried_results = [b for _, _, b in carried]
    for port in layer.outputs:
        entry = next((e for e in entries if e.kind == "output" and e.external == port.id), None)
        if entry is None:
            raise ModelFileError(f"{where}: output port {port.id} is not mapped to a body result")
        if entry.axis is None:
            if entry.internal not in carried_results:
                raise ModelFileError(f"{where}: output port {port.id} is the last value of a "
                                     "body result that is not carried; not supported")
            port_outputs.append(carried_results.index(entry.internal))
            continue
        if entry.axis != 0:
            raise ModelFileError(f"{where}: Loop outputs concatenated on axis {entry.axis} "
                                 "are not supported (axis 0 only)")
        scans.append(_without_axis(body.result_value(entry.internal), 0))
        port_outputs.append(len(carried) + len(scans) - 1)
    params = [iteration, condition] + [p for _, p, _ in carried + invariant]
    graph = Graph(params, results + scans, name=body.graph.name)
    node_inputs = inputs[:2] + [inputs[i] for i, _, _ in carried + invariant]
    node = _make("Loop", layer.version, layer, node_inputs,
                 {"num_carried": len(carried), "num_scan_outputs": len(scans)}, [graph])
    values = [node.outputs[i] for i in port_outputs]
    _name_outputs(layer, values)
    return node, values


def _loop_condition(body: _Body, entries: list[MapEntry]) -> Node:
    """The body's condition Result; without one the loop runs its trip count (always true)."""
    for entry in entries:
        if entry.kind == "output" and entry.purpose == "execution_condition":
            return body.node(entry.internal, "Result")
    return result_of(constant(np.array(True), name="condition").outputs[0])


def result_of(value: Value) -> Node:
    return Node(lookup_op("Result", 1), [value], name=value.name)


def _check_all_mapped(body: _Body, params: list[Node]) -> None:
    known = {id(p) for p in params}
    for param in body.graph.parameters:
        if id(param) not in known:
            raise ModelFileError(f"{body.where}: body parameter '{param.name}' is not mapped "
                                 "to an input of the layer")


def _read_tensor_iterator(reader, layer: LayerSpec, inputs: list[Value], where: str):
    body = _Body(reader, layer, "body", where)
    entries, back = _port_map(layer, "port_map", where), _back_edges(layer, where)
    position = {port.id: i for i, port in enumerate(layer.inputs)}
    state, sliced, invariant, mapped = [], [], [], []
    for entry in (e for e in entries if e.kind == "input"):
        param = body.node(entry.internal, "Parameter")
        index = _input_position(position, entry, where)
        mapped.append(param)
        if entry.axis is not None:
            _check_unit_slices(entry, where)
            sliced.append((index, _sliced_parameter(param, entry.axis), entry))
        elif entry.internal in back:
            state.append((index, param, back[entry.internal]))
        else:
            invariant.append((index, param, None))
    _check_all_mapped(body, mapped)
    state_results = [b for _, _, b in state]
    results = [body.node(b, "Result") for b in state_results]
    scans, axes, directions, port_outputs = [], [], [], []
    for port in layer.outputs:
        entry = next((e for e in entries if e.kind == "output" and e.external == port.id), None)
        if entry is None:
            raise ModelFileError(f"{where}: output port {port.id} is not mapped to a body result")
        if entry.axis is None:
            if entry.internal not in state_results:
                raise ModelFileError(f"{where}: output port {port.id} is the last value of a "
                                     "body result that is not carried; not supported")
            port_outputs.append(state_results.index(entry.internal))
            continue
        _check_unit_slices(entry, where)
        scans.append(_without_axis(body.result_value(entry.internal), entry.axis))
        axes.append(entry.axis)
        directions.append(1 if entry.stride < 0 else 0)
        port_outputs.append(len(state) + len(scans) - 1)
    params = [p for _, p, _ in state] + [s for _, s, _ in sliced] + [p for _, p, _ in invariant]
    graph = Graph(params, results + scans, name=body.graph.name)
    node_inputs = [inputs[i] for i, _, _ in state + sliced + invariant]
    attrs = {"num_state": len(state), "scan_input_axes": [e.axis for _, _, e in sliced],
             "scan_input_directions": [1 if e.stride < 0 else 0 for _, _, e in sliced],
             "scan_output_axes": axes, "scan_output_directions": directions}
    node = _make("TensorIterator", layer.version, layer, node_inputs, attrs, [graph])
    values = [node.outputs[i] for i in port_outputs]
    _name_outputs(layer, values)
    return node, values


def _check_unit_slices(entry: MapEntry, where: str) -> None:
    """vinify iterates whole sequences one step at a time, forward or backward."""
    whole = (entry.start, entry.end) == ((0, -1) if entry.stride > 0 else (-1, 0))
    if entry.part_size != 1 or abs(entry.stride) != 1 or not whole:
        raise ModelFileError(f"{where}: TensorIterator slices with part_size {entry.part_size}, "
                             f"stride {entry.stride}, start {entry.start}, end {entry.end} are "
                             "not supported (whole sequences, one step at a time)")


def _sliced_parameter(param: Node, axis: int) -> Node:
    """vinify's slice parameter (the axis dropped) standing in for OpenVINO's (length 1 there)."""
    shape = param.outputs[0].shape
    if not shape.rank_is_static:
        raise ModelFileError(f"body parameter '{param.name}' is sliced but has a dynamic rank")
    axis = axis % shape.rank
    dims = shape.dims[:axis] + shape.dims[axis + 1:]
    fresh = parameter(param.outputs[0].name or param.name, param.outputs[0].element_type,
                      PartialShape(dims))
    fresh.name = param.name
    fresh.rt_info.update(param.rt_info)
    _replace_with_axis_added(param.outputs[0], fresh.outputs[0], axis)
    return fresh


def _replace_with_axis_added(old: Value, new: Value, axis: int) -> None:
    """Feeds `old`'s users from `new` with `axis` put back; Squeezes of that axis just go."""
    users = list(old.uses)
    if users and all(is_axis_op(user, "Squeeze", axis) for user, _ in users):
        for user, _ in users:
            user.outputs[0].replace_all_uses_with(new)
        return
    axes = constant(np.array([axis], np.int64), name=f"{new.node.name}/axis")
    unsqueezed = make("Unsqueeze", 1, [new, axes], name=f"{new.node.name}/unsqueeze")
    old.replace_all_uses_with(unsqueezed.outputs[0])


def _without_axis(value: Value, axis: int) -> Node:
    """A Result of `value` with `axis` (length 1) removed, undoing an Unsqueeze if there is one."""
    if is_axis_op(value.node, "Unsqueeze", axis):
        return result_of(value.node.inputs[0])
    axes = constant(np.array([axis], np.int64), name=f"{value.node.name}/axis")
    squeezed = make("Squeeze", 1, [value, axes], name=f"{value.node.name}/squeeze")
    squeezed.outputs[0].name = value.name
    return result_of(squeezed.outputs[0])


def is_axis_op(node: Node, op_name: str, axis: int) -> bool:
    """True for `op_name`<1>(x, [axis]) with a constant axis list naming just `axis`."""
    if node.op.name != op_name or len(node.inputs) != 2:
        return False
    if node.inputs[1].node.op.name != "Constant":
        return False
    axes = np.asarray(node.inputs[1].node.attrs["value"]).reshape(-1)
    shape = node.outputs[0].shape if op_name == "Unsqueeze" else node.inputs[0].shape
    if axes.size != 1 or not shape.rank_is_static or shape.rank == 0:
        return False
    return int(axes[0]) % shape.rank == axis % shape.rank
