"""Node order of an ONNX graph: topological sorting, cycles, undefined inputs, duplicate outputs.

ONNX requires nodes to be listed in topological order, but exporters do not always comply; the
importer sorts them itself (keeping the file's order where it is already valid) and names the
node when a graph cannot be ordered.
"""

from typing import Iterable, Sequence

from onnx import AttributeProto, GraphProto, NodeProto
from vinify.errors import ConversionError


def node_label(node: NodeProto) -> str:
    name = node.name or (node.output[0] if node.output else "")
    return f"'{name}' ({node.op_type})" if name else f"({node.op_type})"


def subgraphs_of(node: NodeProto) -> Iterable[GraphProto]:
    for attr in node.attribute:
        if attr.type == AttributeProto.GRAPH:
            yield attr.g
        elif attr.type == AttributeProto.GRAPHS:
            yield from attr.graphs


def initializer_names(graph: GraphProto) -> set[str]:
    return {t.name for t in graph.initializer} | {s.values.name for s in graph.sparse_initializer}


def free_names(graph: GraphProto) -> set[str]:
    """Names a (sub)graph reads without defining them: values it captures from outer scopes."""
    defined = {i.name for i in graph.input} | initializer_names(graph)
    used: set[str] = set()
    for node in graph.node:
        used.update(name for name in node.input if name)
        for body in subgraphs_of(node):
            used |= free_names(body)
        defined.update(name for name in node.output if name)
    used.update(o.name for o in graph.output)
    return used - defined


def node_dependencies(node: NodeProto) -> list[str]:
    names = [name for name in node.input if name]
    for body in subgraphs_of(node):
        names.extend(sorted(free_names(body)))
    return names


def topological_order(nodes: Sequence[NodeProto], available: set[str], where: str
                      ) -> list[NodeProto]:
    """`nodes` ordered so that each follows its producers; names in `available` exist already."""
    defined = set(available)
    in_order = True
    for node in nodes:
        if any(name not in defined for name in node_dependencies(node)):
            in_order = False
            break
        defined.update(name for name in node.output if name)
    if in_order:
        return list(nodes)
    return _kahn_order(nodes, available, where)


def _kahn_order(nodes: Sequence[NodeProto], available: set[str], where: str) -> list[NodeProto]:
    producers = {name: node for node in nodes for name in node.output if name}
    for node in nodes:
        for name in node_dependencies(node):
            if name not in available and name not in producers:
                raise ConversionError(f"{where}: node {node_label(node)} reads '{name}', which no "
                                      "node, input or initializer defines")
    defined = set(available)
    remaining = list(nodes)
    order: list[NodeProto] = []
    while remaining:
        ready = [n for n in remaining if all(d in defined for d in node_dependencies(n))]
        if not ready:
            names = ", ".join(node_label(n) for n in remaining[:5])
            raise ConversionError(f"{where}: the graph has a cycle through node(s) {names}")
        ready_ids = {id(n) for n in ready}
        remaining = [n for n in remaining if id(n) not in ready_ids]
        for node in ready:
            order.append(node)
            defined.update(name for name in node.output if name)
    return order


def check_graph_structure(graph: GraphProto, source: str, outer: set[str] | None = None) -> None:
    """Raises ConversionError for cycles, undefined inputs and duplicate names in `graph`."""
    where = f"{source}: graph '{graph.name}'" if graph.name else source
    available = set(outer or ()) | {i.name for i in graph.input} | initializer_names(graph)
    seen: dict[str, NodeProto] = {}
    for node in graph.node:
        for name in node.output:
            if name and name in seen:
                raise ConversionError(f"{where}: nodes {node_label(seen[name])} and "
                                      f"{node_label(node)} both produce '{name}'")
            if name:
                seen[name] = node
    topological_order(graph.node, available, where)
    outputs = [o.name for o in graph.output]
    duplicates = sorted({name for name in outputs if outputs.count(name) > 1})
    if duplicates:
        raise ConversionError(f"{where}: duplicate graph output name(s) {duplicates}")
    defined = available | set(seen)
    for name in outputs:
        if name not in defined:
            raise ConversionError(f"{where}: graph output '{name}' is not produced by any node")
