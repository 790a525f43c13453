"""Applies a set of pattern rewrites to a fixpoint in one worklist walk.

The worklist starts with every node in topological order. A node is tried against the rewrites
whose pattern root can be its op; when one fires, the root's output is replaced, and the nodes
the rewrite created plus the users of the new value go back on the worklist, so rewrites that
enable each other (x*1 exposing a double transpose, ...) all apply in the same walk.
"""

from collections import deque
from dataclasses import dataclass
from typing import Callable, Sequence

from vinify.errors import IRError
from vinify.ir import Graph, Node, Value
from vinify.passes.graph_edit import detach_dead_users, feeds_result, is_dead, replace_value
from vinify.passes.pattern import Match, Pattern, first_match, root_names

Replacement = Callable[[Match], "Value | None"]


@dataclass(frozen=True)
class Rewrite:
    """A named local rewrite: when `pattern` matches, `replace(match)` builds the new value.

    `replace` may return None to decline (a condition the pattern cannot express).
    """

    name: str
    pattern: Pattern
    replace: Replacement


MAX_REWRITES_PER_NODE = 64  # guards against a pair of rewrites that undo each other


def apply_rewrites(graph: Graph, rewrites: Sequence[Rewrite]) -> dict[str, int]:
    """Rewrites `graph` in place until no pattern matches; returns how often each rewrite fired."""
    by_op: dict[str | None, list[Rewrite]] = {}
    for rewrite in rewrites:
        for name in root_names(rewrite.pattern) or (None,):
            by_op.setdefault(name, []).append(rewrite)
    fired = {rewrite.name: 0 for rewrite in rewrites}
    detach_dead_users(graph)  # "single use" must count live users only
    # id -> node, holding every node seen so that no id is reused by a new node meanwhile
    existing = {id(node): node for node in graph.nodes()}
    worklist = deque(graph.nodes())
    queued = {id(node) for node in worklist}
    budget = MAX_REWRITES_PER_NODE * (len(worklist) + 1)
    while worklist:
        node = worklist.popleft()
        queued.discard(id(node))
        if is_dead(node) or node.op.name in ("Parameter", "Result"):
            continue
        candidates = by_op.get(node.op.name, []) + by_op.get(None, [])
        created = _rewrite_node(node, candidates, fired, existing)
        if created is None:
            continue
        budget -= 1
        if budget < 0:
            raise IRError("pattern rewriting does not converge (rewrites undo each other?)")
        for item in created:
            existing[id(item)] = item
            if id(item) not in queued:
                queued.add(id(item))
                worklist.append(item)
    return fired


def _rewrite_node(node: Node, candidates: list[Rewrite], fired: dict[str, int],
                  existing: dict[int, Node]) -> list[Node] | None:
    """Tries each rewrite on the node's first output; returns the nodes to revisit if one fired."""
    value = node.outputs[0]
    for rewrite in candidates:
        match = first_match(rewrite.pattern, value)
        if match is None:
            continue
        new = rewrite.replace(match)
        if new is None or new is value:
            continue
        if not _keeps_output_name(value, new, existing):
            continue
        created = replace_value(value, new, match.nodes, existing)
        fired[rewrite.name] += 1
        users = [user for user, _ in new.uses]
        return created + users
    return None


def _keeps_output_name(old: Value, new: Value, existing: dict[int, Node]) -> bool:
    """A graph output may only be forwarded to an older value if no name would be lost."""
    if not feeds_result(old) or id(new.node) not in existing:
        return True
    if new.node.op.name == "Parameter" or feeds_result(new):
        return False
    return new.name is None or new.name == old.name
