"""Editing a graph in place: replacing values, erasing dead nodes, and keeping provenance.

Every rewrite goes through `replace_value`, so the invariants a user relies on hold everywhere:
- the replacement keeps the tensor name of the value it replaces (graph outputs keep their names)
  and its producer keeps the friendly name of the replaced node;
- `node.rt_info["provenance"]` lists the names of the source-model nodes a new node came from,
  so profiling and errors can point back to the model;
- nodes left without users are detached from their inputs at once, so `Value.uses` counts only
  live users (fusions test "has one use" on it).
"""

from typing import Container, Iterable

import numpy as np
from vinify.ir import Graph, Node, Value

PROVENANCE = "provenance"


def provenance_of(node: Node) -> list[str]:
    """The source-node names `node` stands for: its recorded provenance, else its own name."""
    recorded = node.rt_info.get(PROVENANCE)
    if recorded is not None:
        return list(recorded)
    return [node.name] if node.name else []


def merge_provenance(nodes: Iterable[Node]) -> list[str]:
    merged: list[str] = []
    for node in nodes:
        for name in provenance_of(node):
            if name not in merged:
                merged.append(name)
    return merged


def new_nodes_between(value: Value, existing: Container[int]) -> list[Node]:
    """Nodes reachable upwards from `value` that are not in `existing` (ids): a rewrite's output."""
    found: list[Node] = []
    seen: set[int] = set()
    stack = [value.node]
    while stack:
        node = stack.pop()
        if id(node) in existing or id(node) in seen:
            continue
        seen.add(id(node))
        found.append(node)
        stack.extend(v.node for v in node.inputs)
    return found


def replace_value(old: Value, new: Value, sources: Iterable[Node] = (),
                  existing: Container[int] | None = None) -> list[Node]:
    """Redirects every use of `old` to `new`; names and provenance move to the new nodes.

    `sources` are the nodes the replacement was derived from (the matched nodes); `existing`
    holds ids of nodes that were in the graph before the rewrite, so the nodes the rewrite
    created can be found and labelled. Returns those created nodes.
    """
    sources = list(sources) or [old.node]
    created = new_nodes_between(new, existing) if existing is not None else []
    provenance = merge_provenance(sources)
    for node in created:
        node.rt_info.setdefault(PROVENANCE, provenance)
        if node.name is None:
            node.name = f"{old.node.name}/{node.op.name}" if old.node.name else None
    if new.node in created:
        new.node.name = old.node.name
    if old.name is not None and (new.name is None or new.node in created):
        new.name = old.name
    old.replace_all_uses_with(new)
    erase_if_dead(old.node)
    return created


def erase_if_dead(node: Node) -> None:
    """Detaches `node` and then its producers, as long as they have no users left."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.op.name in ("Parameter", "Result"):
            continue
        if any(value.uses for value in current.outputs):
            continue
        producers = [value.node for value in current.inputs]
        current.drop()
        stack.extend(producers)


def live_node_ids(graph: Graph) -> set[int]:
    return {id(node) for node in graph.nodes()}


def detach_dead_users(graph: Graph) -> int:
    """Removes uses by nodes no longer reachable from the results; returns how many were cut."""
    nodes = graph.nodes()
    live = {id(node) for node in nodes}
    removed = 0
    for node in nodes:
        for value in node.outputs:
            dead = [(user, index) for user, index in value.uses if id(user) not in live]
            for use in dead:
                value.uses.remove(use)
            removed += len(dead)
    return removed


def single_use(value: Value) -> bool:
    return len(value.uses) == 1


def is_dead(node: Node) -> bool:
    """True for a node whose outputs nobody uses any more (Results are never dead)."""
    if node.op.name == "Result":
        return False
    return not any(value.uses for value in node.outputs)


def feeds_result(value: Value) -> bool:
    return any(user.op.name == "Result" for user, _ in value.uses)


def float_attribute(array) -> float:
    """A one-element constant as a float attribute, by its shortest decimal form in its own
    precision (an f32 1e-05 stays 1e-05 rather than becoming 9.999999747378752e-06)."""
    scalar = np.asarray(array).reshape(-1)[0]
    return float(str(scalar))
