"""Common subexpression elimination: nodes computing the same thing become one.

Two nodes are the same when they have the same op version, attributes and input values; two
constants when they have the same element type, shape and bytes (constants above
`max_constant_elements` are compared only when they are single-value splats).

    %0 = Relu<1>(%x) : f32[4]
    %1 = Relu<1>(%x) : f32[4]
    %2 = Add<1>(%0, %1) : f32[4]      ->     %2 = Add<1>(%0, %0) : f32[4]
"""

import hashlib
from dataclasses import dataclass
from typing import Any, Hashable

import numpy as np
from vinify.ir import Graph, Node, Value
from vinify.passes.graph_edit import feeds_result, replace_value
from vinify.passes.pass_manager import Pass, register_pass

NEVER_MERGED = frozenset({"Parameter", "Result", "RandomUniform", "ReadValue", "Assign"})


@register_pass
@dataclass(frozen=True)
class EliminateCommonSubexpressions(Pass):
    name = "eliminate-common-subexpressions"
    max_constant_elements: int = 1 << 16

    def run(self, graph: Graph) -> None:
        seen: dict[Hashable, Node] = {}
        for node in graph.nodes():
            key = self._key(node)
            if key is None:
                continue
            twin = seen.setdefault(key, node)
            if twin is node:
                continue
            if any(_renames_output(old, new) for old, new in zip(node.outputs, twin.outputs)):
                continue
            for old, new in zip(node.outputs, twin.outputs):
                if old.uses:
                    replace_value(old, new, [node])

    def _key(self, node: Node) -> Hashable | None:
        if node.op.name in NEVER_MERGED or node.bodies:
            return None
        if node.op.name == "Constant":
            return self._constant_key(node.attrs["value"])
        attributes = tuple((name, _hashable(value)) for name, value in sorted(node.attrs.items()))
        inputs = tuple(id(value) for value in node.inputs)
        return (node.op.domain, node.op.name, node.op.version, attributes, inputs)

    def _constant_key(self, array: np.ndarray) -> Hashable | None:
        if array.dtype == object:
            return None
        if array.size > self.max_constant_elements:
            if array.size == 0 or any(stride != 0 for stride in array.strides):
                return None
            first = array.reshape(-1)[:1]  # a splat: its one value says it all
            return ("splat", str(array.dtype), array.shape, first.tobytes())
        digest = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
        return ("constant", str(array.dtype), array.shape, digest)


def _hashable(value: Any) -> Hashable:
    if isinstance(value, np.ndarray):
        return ("array", str(value.dtype), value.shape,
                hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest())
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(item) for item in value)
    return value


def _renames_output(old: Value, new: Value) -> bool:
    """Merging would give a graph output another value's name (outputs keep their names)."""
    return feeds_result(old) and old.name is not None and new.name != old.name
