"""Value specialization: static shapes for graphs whose shapes depend on small input VALUES.

A device that compiles only static shapes cannot compile `ReduceSum(x, axes)` when `axes` is a
graph input: the output shape depends on what the user passes. XLA's answer is to treat such
inputs as compile-time constants: compile one copy per value seen. This module finds those
inputs and builds the specialized copy; the runtime (vinify.runtime.dynamic_shapes) keeps the
copies in a bounded cache keyed by (input shapes, values of those inputs).

Which inputs: for a node whose output shape is dynamic, the graph parameters each of its
non-constant inputs is computed from (ShapeOf stops the walk: it reads a shape, not data); an
input is taken when all of those are specializable: at most `MAX_SPECIALIZED_ELEMENTS` elements
and integer or boolean. Floats are taken where the node's shape inference asks for that input's
value (`ctx.const`: Interpolate scales, Range bounds), and single floats where the dynamic shape
starts (a Loop trip count computed from float bounds). The data that NonZero, Unique or
NonMaxSuppression count is never specialized (the op would be folded away, not computed): a
count-sized graph result is compiled at its upper bound and returned cut to the count
(vinify.bounded_outputs); a count that sizes further computation makes the device refuse the
graph at compile time. After substitution, constant subgraphs
(Range, NonZero of constants, a Loop of constants) are folded so every shape becomes static.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from vinify.bounded_outputs import counted_values
from vinify.errors import VinifyError
from vinify.ir import Graph, Node, Value, constant, constant_value
from vinify.op import InferContext
from vinify.reshape import reshaped

MAX_SPECIALIZED_ELEMENTS = 64
BODY_FOLD_LIMIT = 1 << 16  # elements a folded Loop/If may produce
SHAPE_READERS = ("ShapeOf",)  # ops whose output value depends on the input's shape only
# Ops whose outputs count what their data holds (how many non-zeros, distinct values, boxes
# kept): compiling one copy per data value would fold the op away at compile time, so the
# device would never compute it. Their outputs' sources are opaque, and of their inputs only
# those the shape inference reads (NMS's max_output_boxes_per_class) may be specialized.
DATA_DEPENDENT = ("NonZero", "Unique", "NonMaxSuppression")


@dataclass
class SpecializationPlan:
    """The parameters (indices) whose values decide shapes, and why the rest cannot be static.

    `blockers` name the nodes whose dynamic output no input shape or small input value explains;
    an empty `parameters` with no blockers means no value specialization is needed."""

    parameters: list[int] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)


class _ValueRequests(InferContext):
    """An inference context that remembers which input values the op asked for in vain."""

    def __init__(self, node: Node):
        super().__init__(node)
        self.unknown: set[int] = set()

    def const(self, index: int) -> np.ndarray | None:
        array = super().const(index)
        if array is None:
            self.unknown.add(index)
        return array


def _known_value(value: Value, memo: dict | None = None) -> np.ndarray | None:
    """constant_value, or None where the reference cannot evaluate the constants (a max over
    an empty set): such a value is left to the device, never a compile crash."""
    try:
        return constant_value(value, _memo=memo)
    except (ArithmeticError, ValueError, TypeError, VinifyError):
        return None


def _requested_inputs(node: Node) -> set[int]:
    """Indices of the inputs whose values the node's shape inference asks for but cannot see
    (some ops read shape vectors through vinify.ops.shape_inputs instead: not listed here).
    Nodes with bodies are not asked again: re-inferring a Loop is not always idempotent."""
    if node.bodies:
        return set()
    context = _ValueRequests(node)
    try:
        node.op.infer(context)
    except VinifyError:
        return set()
    return context.unknown


class _ValueSources:
    """For every value of a graph: whether it is known at compile time, and the parameters its
    data is computed from (ShapeOf and constants stop the walk). Built once per plan, in
    topological order, so planning stays linear in the graph's size."""

    def __init__(self, graph: Graph):
        self._memo: dict = {}
        self._sources: dict[int, tuple[Value, ...]] = {}
        self.counted: set[int] = set()  # ids of values computed from a DATA_DEPENDENT output
        for node in graph.nodes():
            for value in node.outputs:
                self._sources[id(value)] = self._collect(node, value)

    def known(self, value: Value) -> bool:
        return _known_value(value, self._memo) is not None

    def of(self, value: Value) -> tuple[Value, ...]:
        return self._sources.get(id(value), ())

    def _collect(self, node: Node, value: Value) -> tuple[Value, ...]:
        if node.op.name == "Parameter":
            return (value,)
        if node.op.name in SHAPE_READERS or self.known(value):
            return ()
        if node.op.name in DATA_DEPENDENT or any(id(v) in self.counted for v in node.inputs):
            self.counted.add(id(value))
            return ()  # opaque: a count of data, never a function of specializable inputs
        merged = {id(s): s for v in node.inputs for s in self.of(v)}
        return tuple(merged.values())


def _max_elements(value: Value) -> int | None:
    """The most elements `value` can have, or None when unbounded."""
    shape = value.shape
    if not shape.rank_is_static or any(d.max is None for d in shape.dims):
        return None
    return int(np.prod([d.max for d in shape.dims], dtype=np.int64))


def specializable(value: Value, float_limit: int = 0) -> bool:
    """Whether a parameter may be compiled as a constant: small integer/boolean tensors, or float
    ones of 1 to `float_limit` elements; never data tensors (the cache would fill with one copy
    per input)."""
    count = _max_elements(value)
    if count is None or value.element_type.kind not in ("int", "uint", "bool", "float"):
        return False
    if value.element_type.kind == "float":  # an empty float tensor decides nothing by value
        return 1 <= count <= float_limit
    return count <= MAX_SPECIALIZED_ELEMENTS


def _dynamic(node: Node) -> bool:
    return any(not v.shape.is_static for v in node.outputs)


def _dynamic_shapes(node: Node) -> str:
    return " and ".join(str(v.shape) for v in node.outputs if not v.shape.is_static)


def _plan_node(node: Node, sources_of: _ValueSources, index_of: dict[int, int],
               plan: SpecializationPlan) -> None:
    """Adds the parameters that may decide `node`'s shape to the plan, or a blocker naming it.

    Every input not known at compile time whose data comes only from specializable parameters
    is taken (the shape input of a Reshape, the axes of a reduction, the k of a TopK, the scales
    of an Interpolate); an input fed by a data tensor is not (the data input of a Reshape).
    Floats count where the inference asks for the input's value, and single floats where the
    node is the origin of the dynamic shape (all input shapes static: a Loop's trip count
    computed from Range bounds)."""
    requested = _requested_inputs(node)
    origin = all(v.shape.is_static for v in node.inputs)
    counts_data = node.op.name in DATA_DEPENDENT
    sources, usable = [], []
    for index, value in enumerate(node.inputs):
        if counts_data and index not in requested:
            continue  # the data it counts: specializing it would fold the op away
        group = sources_of.of(value)
        sources.append(group)
        float_limit = MAX_SPECIALIZED_ELEMENTS if index in requested else int(origin)
        if group and all(specializable(s, float_limit) for s in group):
            usable.append(group)
    for source in (s for group in usable for s in group):
        if index_of[id(source)] not in plan.parameters:
            plan.parameters.append(index_of[id(source)])
    if counts_data and not usable or any(id(node.inputs[i]) in sources_of.counted
                                         for i in requested if i < len(node.inputs)):
        plan.blockers.append(f"{node.describe()}: output shape {_dynamic_shapes(node)} counts "
                             "what data holds (NonZero, Unique, NonMaxSuppression); the data is "
                             "not compiled per value")
        return
    if usable or not origin:
        return  # specialized values, or its inputs' shapes, may explain it
    shape = _dynamic_shapes(node)
    refused = list({id(s): s for group in sources for s in group}.values())
    if refused:
        names = ", ".join(f"'{s.name or s.node.name}' ({s.type})" for s in refused)
        plan.blockers.append(f"{node.describe()}: output shape {shape} is not decided by "
                             f"input shapes, and the graph inputs it reads ({names}) are too "
                             "large or not integer to compile per value")
    else:
        plan.blockers.append(f"{node.describe()}: output shape {shape} depends on data "
                             "computed inside the graph, not on input shapes or input values")


def plan_specialization(graph: Graph) -> SpecializationPlan:
    """Which parameters' values decide `graph`'s shapes (see the module docstring)."""
    index_of = {id(p.outputs[0]): i for i, p in enumerate(graph.parameters)}
    plan = SpecializationPlan()
    dynamic = [n for n in graph.nodes()
               if n.op.name not in ("Parameter", "Constant", "Result") and _dynamic(n)]
    if not dynamic:
        return plan
    sources_of = _ValueSources(graph)
    counted = counted_values(graph)
    for node in dynamic:
        if all(id(v) in counted for v in node.outputs if not v.shape.is_static):
            continue  # a data count the device returns cut (vinify.bounded_outputs)
        if not all(sources_of.known(v) for v in node.outputs):  # else folded when compiling
            _plan_node(node, sources_of, index_of, plan)
    plan.parameters.sort()
    return plan


def value_independent_nodes(graph: Graph, parameters: list[int]) -> list[Node]:
    """The compute nodes that specializing `parameters` cannot change: inputs and outputs
    static, computed neither from those parameters nor from a dynamic shape, and not folded. A
    device that cannot compile one of these cannot compile any specialization of the graph."""
    affected = {id(graph.parameters[i].outputs[0]) for i in parameters}
    memo: dict = {}
    found = []
    for node in graph.nodes():
        if _dynamic(node) or any(id(v) in affected or not v.shape.is_static
                                 for v in node.inputs):
            affected.update(id(v) for v in node.outputs)
        elif node.op.name not in ("Parameter", "Constant", "Result") and \
                any(_known_value(v, memo) is None for v in node.outputs):
            found.append(node)
    return found


def _folded_outputs(node: Node) -> list[np.ndarray] | None:
    """The node's outputs when computable at compile time: constant subgraphs, and nodes with
    bodies (Loop, If) whose inputs are all constants (constant_value never enters bodies)."""
    arrays = [_known_value(v) for v in node.outputs]
    if all(a is not None for a in arrays):
        return arrays
    inputs = [_known_value(v) for v in node.inputs]
    if not node.bodies or any(a is None for a in inputs):
        return None
    try:
        arrays = node.evaluate(inputs)
    except (NotImplementedError, ArithmeticError, ValueError, VinifyError):
        return None
    return arrays if sum(a.size for a in arrays) <= BODY_FOLD_LIMIT else None


def _reinfer_from(graph: Graph, changed: set[int]) -> None:
    """Re-infers the types of every node downstream of the values in `changed` (ids), in order;
    a node with a dynamic output whose value is computable from constants (NonZero or Range of
    constants) becomes a Constant, so the shapes after it become static too. Nodes upstream are
    left alone: re-inferring a Loop is not always idempotent (its body is shared)."""
    for node in graph.nodes():
        if node.op.name in ("Parameter", "Constant") or \
                not any(id(v) in changed for v in node.inputs):
            continue
        for value, new_type in zip(node.outputs, node.infer_types()):
            value.type = new_type
            changed.add(id(value))
        if node.op.name == "Result" or not _dynamic(node):
            continue
        arrays = _folded_outputs(node)
        if arrays is None:
            continue
        for value, array in zip(node.outputs, arrays):
            folded = constant(array, value.element_type, name=value.name or node.name)
            value.replace_all_uses_with(folded.outputs[0])
            changed.add(id(folded.outputs[0]))


def substitute_values(copy: Graph, values: dict[int, np.ndarray]) -> Graph:
    """Reads the parameters at the indices in `values` as those constants, in place on a copy
    the caller owns (vinify.reshape.reshaped), and re-infers what follows. The parameters stay,
    unused, so the compiled graph takes the same inputs."""
    changed: set[int] = set()
    for index, array in values.items():
        parameter = copy.parameters[index].outputs[0]
        value = constant(np.asarray(array, parameter.element_type.dtype),
                         parameter.element_type, name=parameter.name or parameter.node.name)
        parameter.replace_all_uses_with(value.outputs[0])
        changed.add(id(value.outputs[0]))
    _reinfer_from(copy, changed)
    return copy


def specialized(graph: Graph, shapes: Any, values: dict[int, np.ndarray]) -> Graph:
    """A copy of `graph` with input shapes `shapes` and the parameters at the indices in
    `values` read as those constants; the original is untouched."""
    return substitute_values(reshaped(graph, shapes), values)


__all__ = ["DATA_DEPENDENT", "MAX_SPECIALIZED_ELEMENTS", "SpecializationPlan",
           "plan_specialization", "specializable", "specialized", "substitute_values",
           "value_independent_nodes"]
