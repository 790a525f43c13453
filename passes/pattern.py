"""Declarative patterns over the graph IR, for local rewrites.

A pattern describes a value: produced by an op (`op`), any value (`any_value`), a compile-time
constant (`constant`), or one of several alternatives (`either`). Patterns capture what they
match under a name; a rewrite reads the captures from a `Match`:

    x, scale = any_value("x"), constant("scale", where=lambda a: np.all(a == 1))
    pattern = op("Multiply", x, scale, commutative=True)     # x * 1, or 1 * x

    def replace(match: Match) -> Value | None:
        return match["x"]

    Rewrite("multiply-by-one", pattern, replace)

`op` accepts one op name or a tuple of alternatives, attribute requirements (a value to equal,
or a predicate), a type predicate, and `single_use` (the matched value has one user, so fusing
it away does not duplicate work). Inputs left out are not constrained.
"""

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
from vinify.ir import Node, Value
from vinify.shapes import TensorType


@dataclass
class Match:
    """What a pattern matched: captured values, their producers and constants, and every node."""

    root: Node
    values: dict[str, Value] = field(default_factory=dict)
    constants: dict[str, np.ndarray] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)

    def __getitem__(self, name: str) -> Value:
        return self.values[name]

    def node(self, name: str) -> Node:
        return self.values[name].node

    def const(self, name: str) -> np.ndarray:
        return self.constants[name]

    def copy(self) -> "Match":
        return Match(self.root, dict(self.values), dict(self.constants), list(self.nodes))


class Pattern:
    """Base: `matches(value, match)` yields every way the value fits (extending `match`)."""

    capture: str | None = None

    def matches(self, value: Value, match: Match) -> Iterator[Match]:
        raise NotImplementedError

    def _bind(self, value: Value, match: Match) -> Match | None:
        """`match` with this pattern's capture bound to `value`; None if bound to another."""
        if self.capture is None:
            return match
        bound = match.values.get(self.capture)
        if bound is not None:
            return match if bound is value else None
        extended = match.copy()
        extended.values[self.capture] = value
        return extended


@dataclass
class AnyValue(Pattern):
    capture: str | None = None
    where: Callable[[TensorType], bool] | None = None

    def matches(self, value: Value, match: Match) -> Iterator[Match]:
        if self.where is not None and not self.where(value.type):
            return
        bound = self._bind(value, match)
        if bound is not None:
            yield bound


@dataclass
class ConstantPattern(Pattern):
    """A value produced by a Constant node; `where` tests its array."""

    capture: str | None = None
    where: Callable[[np.ndarray], bool] | None = None

    def matches(self, value: Value, match: Match) -> Iterator[Match]:
        if value.node.op.name != "Constant":
            return
        array = value.node.attrs["value"]
        if self.where is not None and not self.where(array):
            return
        bound = self._bind(value, match)
        if bound is None:
            return
        if self.capture is not None:
            bound.constants[self.capture] = array
        yield bound


@dataclass
class OpPattern(Pattern):
    names: tuple[str, ...] | None  # None: any op
    inputs: tuple[Pattern, ...] | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    capture: str | None = None
    commutative: bool = False
    single_use: bool = False
    where: Callable[[Node], bool] | None = None
    output: int = 0

    def matches(self, value: Value, match: Match) -> Iterator[Match]:
        node = value.node
        if self.names is not None and node.op.name not in self.names:
            return
        if value.index != self.output:
            return
        if self.single_use and len(value.uses) != 1:
            return
        if not self._attributes_fit(node):
            return
        if self.where is not None and not self.where(node):
            return
        bound = self._bind(value, match)
        if bound is None:
            return
        if self.inputs is None:
            yield _with_node(bound, node)
            return
        for order in self._input_orders(node):
            yield from _match_inputs(order, list(self.inputs), _with_node(bound, node))

    def _attributes_fit(self, node: Node) -> bool:
        for name, wanted in self.attrs.items():
            actual = node.attrs.get(name)
            if callable(wanted):
                if not wanted(actual):
                    return False
            elif actual != wanted:
                return False
        return True

    def _input_orders(self, node: Node) -> list[list[Value]]:
        if len(node.inputs) < len(self.inputs):
            return []
        first = list(node.inputs[: len(self.inputs)])
        if self.commutative and len(first) == 2:
            return [first, first[::-1]]
        return [first]


def _with_node(match: Match, node: Node) -> Match:
    extended = match.copy()
    if node not in extended.nodes:
        extended.nodes.append(node)
    return extended


def _match_inputs(values: list[Value], patterns: list[Pattern], match: Match) -> Iterator[Match]:
    if not patterns:
        yield match
        return
    for partial in patterns[0].matches(values[0], match):
        yield from _match_inputs(values[1:], patterns[1:], partial)


@dataclass
class Either(Pattern):
    alternatives: tuple[Pattern, ...] = ()
    capture: str | None = None

    def matches(self, value: Value, match: Match) -> Iterator[Match]:
        for alternative in self.alternatives:
            for found in alternative.matches(value, match):
                bound = self._bind(value, found)
                if bound is not None:
                    yield bound


def op(names: "str | tuple[str, ...] | None", *inputs: Pattern, capture: str | None = None,
       commutative: bool = False, single_use: bool = False, where: Callable | None = None,
       any_inputs: bool = False, **attrs: Any) -> OpPattern:
    """A value produced by one of `names` (None: any op); with no inputs given (or any_inputs)
    the inputs are free, else the first len(inputs) inputs must match in order."""
    names = (names,) if isinstance(names, str) else (None if names is None else tuple(names))
    constrained = None if (any_inputs or not inputs) else tuple(inputs)
    return OpPattern(names, constrained, attrs, capture, commutative, single_use, where)


def any_value(capture: str | None = None, where: Callable[[TensorType], bool] | None = None
              ) -> AnyValue:
    return AnyValue(capture, where)


def constant(capture: str | None = None, where: Callable[[np.ndarray], bool] | None = None
             ) -> ConstantPattern:
    return ConstantPattern(capture, where)


def either(*alternatives: Pattern, capture: str | None = None) -> Either:
    return Either(tuple(alternatives), capture)


def all_close_to(target: float, tolerance: float = 1e-6) -> Callable[[np.ndarray], bool]:
    """A constant predicate: every element is within `tolerance` (relative) of `target`."""

    def check(array: np.ndarray) -> bool:
        if array.size == 0 or array.dtype.kind not in "fiu":
            return False
        values = np.asarray(array, dtype=np.float64)
        return bool(np.all(np.abs(values - target) <= tolerance * max(1.0, abs(target))))

    return check


def first_match(pattern: Pattern, value: Value) -> Match | None:
    """The first way `pattern` matches `value`, or None."""
    for found in pattern.matches(value, Match(value.node)):
        return found
    return None


def root_names(pattern: Pattern) -> tuple[str, ...] | None:
    """The op names a pattern's root can have (None: any op), to index rewrites by op."""
    if isinstance(pattern, OpPattern):
        return pattern.names
    if isinstance(pattern, Either):
        names: list[str] = []
        for alternative in pattern.alternatives:
            inner = root_names(alternative)
            if inner is None:
                return None
            names.extend(inner)
        return tuple(names)
    if isinstance(pattern, ConstantPattern):
        return ("Constant",)
    return None
