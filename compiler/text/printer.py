"""Prints a graph in the generic text form; `parse(print_graph(g))` rebuilds an equal graph.

Constants up to `inline_limit` elements are printed inline; larger ones as a SHA-256 digest of
their bytes (the parser then needs them in its `constants` store), unless `inline_limit=None`.
"""

import hashlib
import json
import re
from typing import Any

import numpy as np
from vinify.ir import Graph, Node, Value
from vinify.op import REQUIRED
from vinify.shapes import Dimension, PartialShape
from vinify.types import ElementType, element_type

_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-:/]*$")


def print_graph(graph: Graph, inline_limit: int | None = 16, indent: str = "") -> str:
    """The text form of `graph` (and of its body graphs, nested)."""
    return _Printer(inline_limit).graph(graph, indent)


def tensor_digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


class _Printer:
    def __init__(self, inline_limit: int | None):
        self.inline_limit = inline_limit

    def graph(self, graph: Graph, indent: str) -> str:
        ids = _value_ids(graph)
        lines = [f"{indent}graph {json.dumps(graph.name)} {{"]
        for node in graph.nodes():
            lines.append(self.statement(node, ids, indent + "  "))
        lines.append(f"{indent}}}")
        return "\n".join(lines)

    def statement(self, node: Node, ids: dict[int, str], indent: str) -> str:
        is_result = node.op.name == "Result"
        head = "" if is_result else ", ".join(ids[id(v)] for v in node.outputs) + " = "
        args = ", ".join(ids[id(v)] for v in node.inputs)
        text = f"{indent}{head}{node.op.name}<{node.op.version}>({args})"
        attrs = self.attributes(node)
        if attrs:
            text += " {" + attrs + "}"
        if not is_result:
            text += " : " + ", ".join(str(v.type) for v in node.outputs)
        if node.name is not None and not (node.outputs and node.name == node.outputs[0].name):
            text += f" name={json.dumps(node.name)}"
        if node.bodies:
            inner = ",\n".join(self.graph(body, indent + "  ") for body in node.bodies)
            text += " (\n" + inner + "\n" + indent + ")"
        return text

    def attributes(self, node: Node) -> str:
        parts = []
        for attr in node.op.attributes:
            value = node.attrs[attr.name]
            if attr.default is not REQUIRED and _same(value, attr.default):
                continue
            parts.append(f"{attr.name}={self.value(value)}")
        return ", ".join(parts)

    def value(self, value: Any) -> str:
        if isinstance(value, np.ndarray):
            return self.tensor(value)
        if isinstance(value, (bool, np.bool_)):
            return "true" if value else "false"
        if isinstance(value, (int, np.integer)):
            return str(int(value))
        if isinstance(value, (float, np.floating)):
            return _float(float(value))
        if isinstance(value, str):
            return json.dumps(value)
        if isinstance(value, (ElementType, PartialShape, Dimension)):
            return str(value)
        if isinstance(value, (tuple, list)):
            return "[" + ", ".join(self.value(v) for v in value) + "]"
        raise TypeError(f"cannot print attribute value {value!r}")

    def tensor(self, array: np.ndarray) -> str:
        elem = element_type(array.dtype)
        head = f"tensor<{elem}{PartialShape.of(array.shape)}: "
        if self.inline_limit is not None and array.size > self.inline_limit:
            return head + f"sha256 {json.dumps(tensor_digest(array))}>"
        flat = array.reshape(-1)
        if elem.name == "string":
            return head + "strings [" + ", ".join(json.dumps(str(s)) for s in flat) + "]>"
        if elem.name == "boolean":
            items = ["true" if b else "false" for b in flat]
        elif elem.is_float:
            items = [_float(x) for x in flat]
        else:
            items = [str(int(x)) for x in flat]
        return head + "[" + ", ".join(items) + "]>"


def _float(x: "float | np.floating") -> str:
    """The shortest text that reads back to the same value in x's own precision."""
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = repr(x) if isinstance(x, float) else str(x)
    return text if any(c in text for c in ".en") else text + ".0"


def _same(value: Any, default: Any) -> bool:
    if isinstance(value, np.ndarray) or isinstance(default, np.ndarray):
        return False
    return type(value) is type(default) and value == default


def _value_ids(graph: Graph) -> dict[int, str]:
    """A unique `%id` for every value: its tensor name when printable and unique, else a number."""
    ids: dict[int, str] = {}
    taken: set[str] = set()
    unnamed: list[Value] = []
    for node in graph.nodes():
        for value in node.outputs if node.op.name != "Result" else ():
            name = value.name
            if name is None or name.isdigit() or name in taken:
                unnamed.append(value)
                continue
            taken.add(name)
            ids[id(value)] = "%" + (name if _PLAIN_NAME.match(name) else json.dumps(name))
    counter = 0
    for value in unnamed:
        while str(counter) in taken:
            counter += 1
        ids[id(value)] = f"%{counter}"
        taken.add(str(counter))
    return ids
