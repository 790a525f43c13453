"""Elementwise fusion: connected elementwise ops become one ElementwiseGroup for codegen.

A group grows upwards from its last op over producers that are elementwise and whose every user
is already in the group (so no intermediate value is needed outside it, and no cycle can form).
Small constants (up to 16 elements) are copied into the body; other values become inputs.

    %0 = Multiply<1>(%x, %y) : f32[4]
    %1 = Add<1>(%0, %y) : f32[4]
    %2 = Relu<1>(%1) : f32[4]
  becomes
    %2 = ElementwiseGroup<1>(%x, %y) {body="graph \\"group\\" { ... }"} : f32[4]

A single elementwise op is left alone (there is nothing to fuse).
"""

from dataclasses import dataclass

from vinify.ir import Graph, Node, Value, constant, make, parameter
from vinify.passes.elementwise_ops import is_elementwise
from vinify.passes.graph_edit import detach_dead_users, replace_value
from vinify.passes.pass_manager import Pass, register_pass
from vinify.text import print_graph

INLINE_CONSTANT_ELEMENTS = 16


@register_pass
@dataclass(frozen=True)
class FuseElementwise(Pass):
    name = "fuse-elementwise"
    min_ops: int = 2

    def run(self, graph: Graph) -> None:
        detach_dead_users(graph)  # a dead user must not keep a producer out of a group
        grouped: set[int] = set()
        for node in reversed(graph.nodes()):
            if id(node) in grouped or not is_elementwise(node) or not node.outputs[0].uses:
                continue
            members = _grow_group(node, grouped)
            if len(members) < self.min_ops:
                continue
            if _replace_with_group(node, members):
                grouped.update(id(member) for member in members)


def _grow_group(root: Node, taken: set[int]) -> list[Node]:
    """The root plus every elementwise producer all of whose users are in the group."""
    members = [root]
    inside = {id(root)}
    changed = True
    while changed:
        changed = False
        for member in list(members):
            for value in member.inputs:
                producer = value.node
                if id(producer) in inside or id(producer) in taken:
                    continue
                if not is_elementwise(producer):
                    continue
                if all(id(user) in inside for user, _ in value.uses):
                    members.append(producer)
                    inside.add(id(producer))
                    changed = True
    return members


def _is_inlined(value: Value) -> bool:
    node = value.node
    return node.op.name == "Constant" and node.attrs["value"].size <= INLINE_CONSTANT_ELEMENTS


def _replace_with_group(root: Node, members: list[Node]) -> bool:
    inside = {id(member) for member in members}
    ordered = _topological(root, inside)
    external: list[Value] = []
    mapping: dict[int, Value] = {}
    for node in ordered:
        for value in node.inputs:
            if id(value.node) in inside or id(value) in mapping:
                continue
            if _is_inlined(value):
                mapping[id(value)] = constant(value.node.attrs["value"]).outputs[0]
                continue
            external.append(value)
            mapping[id(value)] = parameter(f"p{len(external) - 1}", value.element_type,
                                           value.shape).outputs[0]
    if not external:
        return False  # a constant subexpression: fold-constants' job, not a kernel
    parameters = [mapping[id(value)].node for value in external]
    for node in ordered:
        clone = make(node.op.name, node.op.version, [mapping[id(v)] for v in node.inputs],
                     **node.attrs)
        mapping[id(node.outputs[0])] = clone.outputs[0]
    body = Graph(parameters, [mapping[id(root.outputs[0])]], name="group")
    text = " ".join(line.strip() for line in print_graph(body, inline_limit=None).splitlines())
    group = make("ElementwiseGroup", 1, external, body=text)
    replace_value(root.outputs[0], group.outputs[0], ordered, existing=_ids_except(group))
    return True


def _ids_except(group: Node) -> set[int]:
    return {id(value.node) for value in group.inputs}


def _topological(root: Node, inside: set[int]) -> list[Node]:
    """The group's members, producers first."""
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((value.node, False) for value in node.inputs if id(value.node) in inside)
    return order
