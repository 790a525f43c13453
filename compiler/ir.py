"""The graph IR: typed SSA values, nodes (an op version with attributes), and graphs.

Invariants (checked by `vinify.verify`):
- every `Value` is produced by exactly one node output (`value.node`, `value.index`);
- a `Graph` is its parameters, its results, and every node reachable from the results;
- node inputs are values of nodes in the same graph; the graph is acyclic;
- each node's output types agree with its op's type inference.
`Value.uses` lists (node, input index) pairs and is kept up to date by `Node.set_input`.
"""

from typing import Any, Iterable, Iterator, Sequence, Union

import numpy as np
from vinify.errors import IRError, VerificationError
from vinify.op import InferContext, Op, as_arrays, check_arity, lookup_op
from vinify.shapes import PartialShape, ShapeLike, TensorType
from vinify.types import ElementType, element_type


class Value:
    """An SSA value: output `index` of `node`, with a type and an optional tensor name."""

    __slots__ = ("type", "node", "index", "name", "uses")

    def __init__(self, node: "Node", index: int, type: TensorType, name: str | None = None):
        self.node = node
        self.index = index
        self.type = type
        self.name = name
        self.uses: list[tuple[Node, int]] = []

    @property
    def element_type(self) -> ElementType:
        return self.type.element_type

    @property
    def shape(self) -> PartialShape:
        return self.type.shape

    def replace_all_uses_with(self, other: "Value") -> None:
        for user, index in list(self.uses):
            user.set_input(index, other)

    def describe(self) -> str:
        label = f"'{self.name}'" if self.name else f"output {self.index}"
        return f"value {label} of {self.node.describe()}"

    def __repr__(self) -> str:
        return f"<Value {self.name or '?'}: {self.type} from {self.node.op.key()}>"


ValueLike = Union[Value, "Node"]


def as_value(item: ValueLike) -> Value:
    """A node with a single output stands for that output."""
    if isinstance(item, Value):
        return item
    if isinstance(item, Node):
        if len(item.outputs) != 1:
            raise IRError(f"{item.describe()} has {len(item.outputs)} outputs; pick one")
        return item.outputs[0]
    raise IRError(f"expected a Value or Node, got {type(item).__name__}")


class Node:
    """An op version applied to input values, with attributes and typed outputs."""

    __slots__ = ("op", "attrs", "inputs", "outputs", "name", "bodies", "rt_info")

    def __init__(
        self,
        op: type[Op],
        inputs: Sequence[ValueLike],
        attrs: dict[str, Any] | None = None,
        name: str | None = None,
        output_types: Sequence[TensorType] | None = None,
        output_names: Sequence[str | None] | None = None,
        bodies: Sequence["Graph"] = (),
    ):
        self.op = op
        self.name = name
        self.bodies = list(bodies)
        self.rt_info: dict[str, Any] = {}
        self.inputs: list[Value] = []
        check_arity(op, len(inputs), self.describe())
        self.attrs = op.complete_attrs(dict(attrs or {}), self.describe())
        for index, item in enumerate(inputs):
            value = as_value(item)
            self.inputs.append(value)
            value.uses.append((self, index))
        if output_types is None:
            output_types = op.infer(InferContext(self))
        count = op.num_outputs(self.attrs, len(self.inputs))
        if count is not None and len(output_types) != count:
            raise IRError(f"{self.describe()}: {len(output_types)} output types for "
                          f"{count} outputs")
        names = list(output_names or [None] * len(output_types))
        self.outputs = [Value(self, i, t, names[i]) for i, t in enumerate(output_types)]

    def describe(self) -> str:
        label = f" '{self.name}'" if self.name else ""
        return f"node{label} ({self.op.key()})"

    def set_input(self, index: int, value: ValueLike) -> None:
        value = as_value(value)
        old = self.inputs[index]
        old.uses.remove((self, index))
        self.inputs[index] = value
        value.uses.append((self, index))

    def drop(self) -> None:
        """Detach this node from its inputs (it must have no users left)."""
        for index, value in enumerate(self.inputs):
            if (self, index) in value.uses:
                value.uses.remove((self, index))

    def output(self, index: int = 0) -> Value:
        return self.outputs[index]

    def infer_types(self) -> list[TensorType]:
        return self.op.infer(InferContext(self))

    def evaluate(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run the op's numpy reference; outputs are cast to the node's output element types."""
        raw = as_arrays(self.op.evaluate(self.attrs, *inputs), len(self.outputs))
        results = []
        for value, array in zip(self.outputs, raw):
            dtype = value.element_type.dtype
            results.append(np.asarray(array, dtype=dtype) if dtype is not None else array)
        return results

    def __repr__(self) -> str:
        return f"<Node {self.describe()}>"


class Graph:
    """Parameters, results and the nodes between them; names are kept from the source model."""

    def __init__(
        self,
        parameters: Sequence[Node],
        results: Sequence[ValueLike],
        name: str = "graph",
    ):
        self.name = name
        self.parameters = list(parameters)
        self.results: list[Node] = []
        result_op = lookup_op("Result", 1)
        for item in results:
            if isinstance(item, Node) and item.op is result_op:
                self.results.append(item)
            else:
                value = as_value(item)
                self.results.append(Node(result_op, [value], name=value.name))
        self.rt_info: dict[str, Any] = {}

    @property
    def inputs(self) -> list[Value]:
        return [p.outputs[0] for p in self.parameters]

    @property
    def outputs(self) -> list[Value]:
        return [r.inputs[0] for r in self.results]

    def nodes(self) -> list[Node]:
        """All nodes in a deterministic topological order: parameters first, then from results."""
        return list(self._walk())

    def _walk(self) -> Iterator[Node]:
        emitted: set[int] = set()
        for parameter in self.parameters:
            emitted.add(id(parameter))
            yield parameter
        on_path: set[int] = set()
        for root in self.results:
            if id(root) in emitted:
                continue
            stack: list[tuple[Node, int]] = [(root, 0)]
            on_path.add(id(root))
            while stack:
                node, next_input = stack[-1]
                if next_input < len(node.inputs):
                    stack[-1] = (node, next_input + 1)
                    producer = node.inputs[next_input].node
                    if id(producer) in emitted:
                        continue
                    if id(producer) in on_path:
                        raise VerificationError(f"cycle through {producer.describe()}")
                    on_path.add(id(producer))
                    stack.append((producer, 0))
                    continue
                stack.pop()
                on_path.discard(id(node))
                emitted.add(id(node))
                yield node

    def reshape(self, shapes: Any) -> "Graph":
        """Sets new input shapes ({name or index: shape}, or one shape) and re-infers types."""
        from vinify.reshape import reshape

        return reshape(self, shapes)

    def op_histogram(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self.nodes():
            counts[node.op.key()] = counts.get(node.op.key(), 0) + 1
        return dict(sorted(counts.items()))

    def __repr__(self) -> str:
        return f"<Graph {self.name}: {len(self.parameters)} inputs, {len(self.results)} outputs>"

    def __str__(self) -> str:
        from vinify.text import print_graph

        return print_graph(self)


def parameter(name: str, elem: ElementType | str, shape: ShapeLike) -> Node:
    """A Parameter node whose output tensor is called `name`."""
    op = lookup_op("Parameter", 1)
    node = Node(op, [], {"element_type": element_type(elem), "shape": PartialShape.of(shape)},
                name=name, output_names=[name])
    return node


def constant(array: Any, elem: ElementType | str | None = None, name: str | None = None) -> Node:
    """A Constant node holding `array` (converted to `elem` when given)."""
    array = np.asarray(array) if elem is None else np.asarray(array, dtype=element_type(elem).dtype)
    return Node(lookup_op("Constant", 1), [], {"value": array}, name=name)


def make(op_name: str, version: int, inputs: Iterable[ValueLike] = (), name: str | None = None,
         **attrs: Any) -> Node:
    """A node of op_name<version> over the inputs, with its output types inferred."""
    return Node(lookup_op(op_name, version), list(inputs), attrs, name=name)


CONSTANT_FOLD_LIMIT = 4096  # elements: shape subgraphs are folded during inference, weights not


def constant_value(value: Value, limit: int = CONSTANT_FOLD_LIMIT,
                   _memo: dict | None = None) -> np.ndarray | None:
    """The value's array when it is computable from constants alone (small subgraphs only)."""
    memo = {} if _memo is None else _memo
    if id(value) not in memo:
        memo[id(value)] = _constant_value(value, limit, memo)
    return memo[id(value)]


def _constant_value(value: Value, limit: int, memo: dict) -> np.ndarray | None:
    node = value.node
    if node.op.name == "Constant":
        return node.attrs["value"]
    if node.op.name == "ShapeOf" and node.inputs[0].shape.is_static:
        return np.array(node.inputs[0].shape.to_tuple(), dtype=value.element_type.dtype)
    if node.op.name in ("Parameter", "Result") or node.bodies:
        return None
    if value.shape.is_static and int(np.prod(value.shape.to_tuple())) > limit:
        return None
    inputs = []
    for item in node.inputs:
        array = constant_value(item, limit, memo)
        if array is None or array.size > limit:
            return None
        inputs.append(array)
    try:
        return node.evaluate(inputs)[value.index]
    except NotImplementedError:
        return None


Model = Graph  # the OpenVINO name for a graph with parameters and results
