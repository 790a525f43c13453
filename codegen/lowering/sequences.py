"""Sequences and optionals on devices that compile tensors only (CPU, GPU): unrolled at compile
time into a graph of plain tensors.

The kernel IR has no sequence type, and it needs none when a sequence's length and its items'
shapes are known when compiling: the runtime compiles once per input structure (a sequence
input's "shape" is the tuple of its items' shapes, see runtime/sequence_values.py), so every
sequence value is a Python tuple of tensor values while this module walks the graph, and an
optional is a tuple of zero or one. The container ops only rearrange those tuples; what they
compute becomes ordinary tensor nodes (SplitToSequence -> VariadicSplit, ConcatFromSequence ->
Concat), SequenceMap and Loops over sequences are unrolled, and an If whose branches produce
containers keeps the branch its (compile-time) condition picks.

Before, a graph with an input sequence `xs` of two f32[3] items:

    %xs = Parameter<1>() {element_type=sequence<f32>, ...}
    %n = SequenceLength<1>(%xs) : i64[]
    %y = ConcatFromSequence<1>(%xs) {axis=0} : f32[...]

after (flat parameters `xs[0]`, `xs[1]`; `n` is a constant result):

    %y = Concat<1>(%xs[0], %xs[1]) {axis=0} : f32[6]

Positions, trip counts and conditions must be compile-time constants. When one is computed from
tensor inputs alone, `NeedsValues` names those inputs and the runtime compiles per value of them
(as it does for a Reshape target given as an input); anything else is an UnsupportedOpError.
"""

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from vinify.errors import InferenceError, UnsupportedOpError
from vinify.ir import Graph, Node, Value, constant, constant_value, make, parameter
from vinify.ops.onnx_sequences import _position, item_type

MAX_UNROLLED_ITERATIONS = 4096  # a Loop over containers longer than this is refused


@dataclass(frozen=True)
class Container:
    """A sequence or optional value during unrolling: its items (Values or Containers)."""

    kind: str
    items: tuple


Item = Value | Container


class NeedsValues(Exception):
    """The unrolling needs the values of these graph inputs (indices) as constants."""

    def __init__(self, indices: set[int], reason: str):
        super().__init__(reason)
        self.indices = frozenset(indices)


@dataclass
class FlatModel:
    """The tensor-only graph and how its ports map to the original graph's.

    `inputs[k]` is the path of flat parameter k in the original inputs: (input index, item
    position, nested item position...). `outputs[i]` is the layout of original output i: an int
    (a flat result) or ("sequence" | "optional", [layouts of the items]).
    """

    graph: Graph | None
    inputs: list[tuple[int, ...]]
    outputs: list[Any]


def is_container_type(elem: Any) -> bool:
    return elem.kind in ("sequence", "optional")


def unroll_sequences(graph: Graph, structures: Sequence[Any],
                     values: dict[int, np.ndarray] | None = None) -> FlatModel:
    """The tensor graph computing `graph` for inputs of these structures (see
    runtime/sequence_values.structure_of); inputs in `values` are read as constants."""
    unroller = _Unroller(values or {})
    env: dict[int, Item] = {}
    for index, (node, structure) in enumerate(zip(graph.parameters, structures)):
        env[id(node.outputs[0])] = unroller.graph_input(node, (index,), structure)
    items = unroller.run_graph(graph, env, "")
    results: list[Value] = []
    layouts = [_layout(item, results) for item in items]
    flat = Graph(unroller.parameters, results, name=graph.name) if results else None
    return FlatModel(flat, unroller.paths, layouts)


def _layout(item: Item, results: list[Value]) -> Any:
    if isinstance(item, Container):
        return (item.kind, [_layout(x, results) for x in item.items])
    results.append(item)
    return len(results) - 1


class _Unroller:
    def __init__(self, values: dict[int, np.ndarray]):
        self.values = values
        self.parameters: list[Node] = []
        self.paths: list[tuple[int, ...]] = []
        self._path_of: dict[int, tuple[int, ...]] = {}

    # ------------------------------------------------------------------ inputs
    def graph_input(self, node: Node, path: tuple[int, ...], structure: Any) -> Item:
        elem, name = node.outputs[0].element_type, node.outputs[0].name or node.name
        return self._input(elem, name, path, structure)

    def _input(self, elem: Any, name: str, path: tuple[int, ...], structure: Any) -> Item:
        if is_container_type(elem):
            if structure[0] != "items":
                raise InferenceError(f"input '{name}' expects a {elem.kind}, got a tensor")
            inner = item_type(elem)
            items = tuple(self._input(inner, f"{name}[{p}]", path + (p,), s)
                          for p, s in enumerate(structure[1]))
            if elem.kind == "optional" and len(items) > 1:
                raise InferenceError(f"input '{name}': an optional holds at most one value")
            return Container(elem.kind, items)
        if structure[0] != "tensor":
            raise InferenceError(f"input '{name}' expects a {elem.name} tensor, got a container")
        if elem.dtype is not None and structure[2] != elem.dtype.str:
            raise InferenceError(f"input '{name}' expects {elem.name}, got numpy "
                                 f"{np.dtype(structure[2])}")
        if len(path) == 1 and path[0] in self.values:
            return constant(self.values[path[0]], elem).outputs[0]
        node = parameter(name, elem, structure[1])
        self.parameters.append(node)
        self.paths.append(path)
        self._path_of[id(node)] = path
        return node.outputs[0]

    # ------------------------------------------------------------------ walking
    def run_graph(self, graph: Graph, env: dict[int, Item], prefix: str) -> list[Item]:
        for node in graph.nodes():
            if node.op.name in ("Parameter", "Result"):
                continue
            inputs = [env[id(v)] for v in node.inputs]
            outputs = self.node(node, inputs, prefix)
            for value, item in zip(node.outputs, outputs):
                env[id(value)] = item
        return [env[id(v)] for v in graph.outputs]

    def node(self, node: Node, inputs: list[Item], prefix: str) -> list[Item]:
        handler = CONTAINER_OPS.get(node.op.name)
        touches = any(isinstance(x, Container) for x in inputs) or \
            any(is_container_type(v.element_type) for v in node.outputs)
        if handler is not None and (touches or node.op.name in ("OptionalHasElement",
                                                                "OptionalGetElement")):
            return handler(self, node, inputs, prefix)
        if touches and node.op.name == "Identity":
            return list(inputs)
        if touches:
            raise UnsupportedOpError(f"{node.describe()}: sequence and optional values are "
                                     "not supported there on this device")
        return self.clone(node, inputs, prefix)

    def clone(self, node: Node, inputs: list[Item], prefix: str) -> list[Value]:
        name = f"{prefix}{node.name}" if node.name else None
        copy = Node(node.op, inputs, dict(node.attrs), name=name, bodies=node.bodies,
                    output_names=[f"{prefix}{v.name}" if v.name else None
                                  for v in node.outputs])
        copy.rt_info.update(node.rt_info)
        return copy.outputs

    def inline(self, body: Graph, arguments: Sequence[Item], prefix: str) -> list[Item]:
        env = {id(p.outputs[0]): a for p, a in zip(body.parameters, arguments)}
        return self.run_graph(body, env, prefix)

    # ------------------------------------------------------------------ constants
    def constant_of(self, item: Item, what: str, node: Node) -> np.ndarray:
        """The compile-time value of `item`, or NeedsValues naming the inputs it comes from."""
        if isinstance(item, Container):
            raise UnsupportedOpError(f"{node.describe()}: {what} must be a tensor")
        array = constant_value(item)
        if array is not None:
            return np.asarray(array)
        sources = self._input_sources(item)
        reason = f"{node.describe()}: {what} must be known when compiling"
        if sources is None:
            raise UnsupportedOpError(reason + " (it is computed from sequence items)")
        raise NeedsValues(sources, reason)

    def _input_sources(self, value: Value) -> set[int] | None:
        """Graph input indices `value` is computed from; None if a sequence item is one."""
        found: set[int] = set()
        seen: set[int] = set()
        stack = [value.node]
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            path = self._path_of.get(id(node))
            if path is not None and len(path) > 1:
                return None
            if path is not None:
                found.add(path[0])
            stack.extend(v.node for v in node.inputs)
        return found


# ---------------------------------------------------------------------- container ops
def _sequence(item: Item, node: Node) -> tuple:
    if not isinstance(item, Container):
        raise UnsupportedOpError(f"{node.describe()}: expected a sequence")
    return item.items


def _at(unroller: _Unroller, node: Node, inputs: list[Item], length: int, default: int,
        inserting: bool, index: int) -> int:
    if len(inputs) <= index:
        return default
    position = unroller.constant_of(inputs[index], "the position", node)
    try:
        return _position(position, length, default, inserting)
    except IndexError as error:
        raise InferenceError(f"{node.describe()}: {error}") from None


def _construct(unroller, node, inputs, prefix):
    return [Container("sequence", tuple(inputs))]


def _empty(unroller, node, inputs, prefix):
    return [Container("sequence", ())]


def _insert(unroller, node, inputs, prefix):
    items = list(_sequence(inputs[0], node))
    items.insert(_at(unroller, node, inputs, len(items), len(items), True, 2), inputs[1])
    return [Container("sequence", tuple(items))]


def _erase(unroller, node, inputs, prefix):
    items = list(_sequence(inputs[0], node))
    del items[_at(unroller, node, inputs, len(items), len(items) - 1, False, 1)]
    return [Container("sequence", tuple(items))]


def _sequence_at(unroller, node, inputs, prefix):
    items = _sequence(inputs[0], node)
    return [items[_at(unroller, node, inputs, len(items), 0, False, 1)]]


def _length(unroller, node, inputs, prefix):
    return [constant(np.array(len(_sequence(inputs[0], node)), np.int64)).outputs[0]]


def _optional(unroller, node, inputs, prefix):
    return [Container("optional", tuple(inputs))]


def _has_element(unroller, node, inputs, prefix):
    present = len(inputs[0].items) > 0 if isinstance(inputs[0], Container) else True
    return [constant(np.array(present)).outputs[0]]


def _get_element(unroller, node, inputs, prefix):
    if not isinstance(inputs[0], Container) or inputs[0].kind != "optional":
        return [inputs[0]]  # ONNX lets these read a plain tensor or sequence too
    if not inputs[0].items:
        raise InferenceError(f"{node.describe()}: the optional is empty")
    return [inputs[0].items[0]]


def _split_lengths(unroller, node, inputs, extent: int) -> list[int]:
    if len(inputs) < 2:
        return [1] * extent
    split = unroller.constant_of(inputs[1], "the split lengths", node).astype(np.int64)
    if split.ndim == 0:
        step = int(split)
        if step <= 0:
            raise InferenceError(f"{node.describe()}: split length {step} is not positive")
        return [min(step, extent - start) for start in range(0, extent, step)]
    if int(split.sum()) != extent:
        raise InferenceError(f"{node.describe()}: split lengths {split.tolist()} do not add "
                             f"up to {extent}")
    return [int(x) for x in split]


def _split_to_sequence(unroller, node, inputs, prefix):
    data = inputs[0]
    rank = data.shape.rank
    if rank is None or not data.shape.is_static:
        raise UnsupportedOpError(f"{node.describe()}: the input shape must be static")
    axis = node.attrs["axis"] % rank
    extent = data.shape.to_tuple()[axis]
    lengths = _split_lengths(unroller, node, inputs, extent)
    if not lengths:
        return [Container("sequence", ())]
    axis_value = constant(np.array(axis, np.int64))
    split = make("VariadicSplit", 1, [data, axis_value,
                                      constant(np.array(lengths, np.int64))])
    pieces = list(split.outputs)
    if len(inputs) < 2 and not node.attrs["keepdims"]:
        axes = constant(np.array([axis], np.int64))
        pieces = [make("Squeeze", 1, [piece, axes]).outputs[0] for piece in pieces]
    return [Container("sequence", tuple(pieces))]


def _concat_from_sequence(unroller, node, inputs, prefix):
    items = _sequence(inputs[0], node)
    if not items:
        raise UnsupportedOpError(f"{node.describe()}: cannot concatenate an empty sequence")
    axis = node.attrs["axis"]
    if node.attrs["new_axis"]:
        rank = items[0].shape.rank
        axis = axis % (rank + 1) if rank is not None else axis
        axes = constant(np.array([axis], np.int64))
        items = tuple(make("Unsqueeze", 1, [x, axes]).outputs[0] for x in items)
    return [make("Concat", 1, list(items), axis=axis).outputs[0]]


def _sequence_map(unroller, node, inputs, prefix):
    (body,) = node.bodies
    flags = node.attrs["sequence_inputs"]
    lengths = {len(_sequence(x, node)) for x, flag in zip(inputs, flags) if flag}
    if len(lengths) != 1:
        raise InferenceError(f"{node.describe()}: the sequences have lengths {sorted(lengths)}")
    collected: list[list[Item]] = [[] for _ in node.outputs]
    for position in range(lengths.pop()):
        arguments = [x.items[position] if flag else x for x, flag in zip(inputs, flags)]
        results = unroller.inline(body, arguments, f"{prefix}{node.name}/{position}/")
        for parts, item in zip(collected, results):
            parts.append(item)
    return [Container("sequence", tuple(parts)) for parts in collected]


def _if(unroller, node, inputs, prefix):
    condition = unroller.constant_of(inputs[0], "the condition", node)
    taken = 0 if bool(condition.reshape(-1)[0]) else 1
    key = ("then", "else")[taken]
    body = node.bodies[taken]
    arguments = [inputs[i] for i in node.attrs[f"{key}_inputs"]]
    results = unroller.inline(body, arguments, f"{prefix}{node.name}/{key}/")
    return [results[i] for i in node.attrs[f"{key}_outputs"]]


def _loop(unroller, node, inputs, prefix):
    (body,) = node.bodies
    count = node.attrs["num_carried"]
    trips = int(unroller.constant_of(inputs[0], "the trip count", node).reshape(-1)[0])
    going = bool(unroller.constant_of(inputs[1], "the condition", node).reshape(-1)[0])
    carried, invariant = list(inputs[2:2 + count]), list(inputs[2 + count:])
    scans: list[list[Item]] = [[] for _ in range(node.attrs["num_scan_outputs"])]
    iteration = 0
    while iteration < trips and going:
        if iteration >= MAX_UNROLLED_ITERATIONS:
            raise UnsupportedOpError(f"{node.describe()}: more than {MAX_UNROLLED_ITERATIONS} "
                                     "iterations over sequences")
        arguments = [constant(np.array(iteration, np.int64)).outputs[0],
                     constant(np.array(going)).outputs[0], *carried, *invariant]
        results = unroller.inline(body, arguments, f"{prefix}{node.name}/{iteration}/")
        going = bool(unroller.constant_of(results[0], "the body condition", node).reshape(-1)[0])
        carried = list(results[1:1 + count])
        for parts, item in zip(scans, results[1 + count:]):
            parts.append(item)
        iteration += 1
    return carried + [_stacked(node, parts) for parts in scans]


def _stacked(node: Node, parts: list[Item]) -> Value:
    if not parts or any(isinstance(x, Container) for x in parts):
        raise UnsupportedOpError(f"{node.describe()}: scan outputs of an unrolled loop must be "
                                 "tensors from at least one iteration")
    axes = constant(np.array([0], np.int64))
    rows = [make("Unsqueeze", 1, [x, axes]).outputs[0] for x in parts]
    return make("Concat", 1, rows, axis=0).outputs[0]


Handler = Callable[[_Unroller, Node, list[Item], str], list[Item]]
CONTAINER_OPS: dict[str, Handler] = {
    "SequenceConstruct": _construct, "SequenceEmpty": _empty, "SequenceInsert": _insert,
    "SequenceErase": _erase, "SequenceAt": _sequence_at, "SequenceLength": _length,
    "SplitToSequence": _split_to_sequence, "ConcatFromSequence": _concat_from_sequence,
    "Optional": _optional, "OptionalHasElement": _has_element,
    "OptionalGetElement": _get_element, "SequenceMap": _sequence_map, "If": _if,
    "Loop": _loop,
}
