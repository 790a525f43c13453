"""What a converter sees of one ONNX node: its inputs as IR values, attributes, and a builder."""

from typing import Any, Sequence

import numpy as np
from onnx import AttributeProto, NodeProto, numpy_helper
from vinify.errors import ConversionError
from vinify.ir import Node, Value, as_value, constant, constant_value, make
from vinify.op import REQUIRED


class NodeContext:
    """The conversion context of one ONNX node.

    `input(i)` is the IR value feeding input i; `attr(name, default)` an attribute as a Python
    value (ints, floats, str, lists, numpy arrays for tensors, GraphProto for graphs); `make`
    creates an IR node named after the ONNX node; `const` a constant; `opset` is the opset
    version of the node's domain in this model.
    """

    def __init__(self, node: NodeProto, inputs: Sequence[Value | None], opset: int,
                 importer: Any = None):
        self.node = node
        self.name = node.name or (node.output[0] if node.output else node.op_type)
        self.op_type = node.op_type
        self.domain = node.domain
        self.opset = opset
        self.importer = importer  # the model importer (subgraphs, value lookup)
        self._inputs = list(inputs)
        self._attrs = {a.name: a for a in node.attribute}
        self.created: list[Node] = []

    # inputs -----------------------------------------------------------------------------------
    @property
    def num_inputs(self) -> int:
        return len(self._inputs)

    def input(self, index: int) -> Value:
        value = self.optional_input(index)
        if value is None:
            raise self.error(f"input {index} is required")
        return value

    def optional_input(self, index: int) -> Value | None:
        return self._inputs[index] if index < len(self._inputs) else None

    def inputs(self) -> list[Value | None]:
        return list(self._inputs)

    def const_value(self, item: Value | Node | None) -> np.ndarray | None:
        """The value's array if known at conversion time, else None."""
        return None if item is None else constant_value(as_value(item))

    def require_const(self, index: int, what: str = "") -> np.ndarray:
        array = self.const_value(self.optional_input(index))
        if array is None:
            raise self.error(f"input {index}{' (' + what + ')' if what else ''} must be a "
                             "constant (known at conversion time)")
        return array

    # attributes -------------------------------------------------------------------------------
    def has_attr(self, name: str) -> bool:
        return name in self._attrs

    def attr(self, name: str, default: Any = REQUIRED) -> Any:
        if name not in self._attrs:
            if default is REQUIRED:
                raise self.error(f"attribute '{name}' is required")
            return default
        return attribute_value(self._attrs[name])

    # building ---------------------------------------------------------------------------------
    def make(self, op_name: str, version: int, *inputs: Value | Node, **attrs: Any) -> Node:
        node = make(op_name, version, inputs, name=self.name, **attrs)
        self.created.append(node)
        return node

    def const(self, array: Any, dtype: Any = None) -> Value:
        return constant(array, dtype).outputs[0]

    def error(self, message: str) -> ConversionError:
        return ConversionError(f"ONNX node '{self.name}' ({self.op_type}, opset {self.opset}): "
                               f"{message}")


def attribute_value(attr: AttributeProto) -> Any:
    kind = attr.type
    if kind == AttributeProto.INT:
        return int(attr.i)
    if kind == AttributeProto.FLOAT:
        return float(attr.f)
    if kind == AttributeProto.STRING:
        return attr.s.decode("utf-8", errors="replace")
    if kind == AttributeProto.INTS:
        return [int(v) for v in attr.ints]
    if kind == AttributeProto.FLOATS:
        return [float(v) for v in attr.floats]
    if kind == AttributeProto.STRINGS:
        return [s.decode("utf-8", errors="replace") for s in attr.strings]
    if kind == AttributeProto.TENSOR:
        return numpy_helper.to_array(attr.t)
    if kind == AttributeProto.TENSORS:
        return [numpy_helper.to_array(t) for t in attr.tensors]
    if kind == AttributeProto.GRAPH:
        return attr.g
    if kind == AttributeProto.GRAPHS:
        return list(attr.graphs)
    raise ConversionError(f"attribute '{attr.name}' has unsupported type {kind}")
