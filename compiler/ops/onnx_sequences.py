"""Internal ops (domain "vinify") for ONNX sequences and optionals.

A sequence value is a 1-D numpy object array whose items are tensors; an optional value is a
1-D object array of length 0 (empty) or 1 (holding a tensor or a sequence). Their element types
are `sequence<T>` and `optional<T>` (see `sequence_of`, `optional_of`); they have no numpy dtype,
so the reference passes them through untouched. The text form prints these types but cannot
parse them back.
"""

from typing import Sequence

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.control_flow import bound_bodies, execution_order, node_bodies, run_body
from vinify.shapes import DYNAMIC_RANK, PartialShape, TensorType
from vinify.types import ElementType, element_type, i64

_CONTAINER_TYPES: dict[str, ElementType] = {}
_ITEM_TYPES: dict[str, ElementType] = {}
CONTAINER = DYNAMIC_RANK  # the shape given to sequence and optional values


def _container(kind: str, item: ElementType) -> ElementType:
    name = f"{kind}<{item.name}>"
    if name not in _CONTAINER_TYPES:
        _CONTAINER_TYPES[name] = ElementType(name, 0, kind, None)
        _ITEM_TYPES[name] = item
    return _CONTAINER_TYPES[name]


def sequence_of(item: ElementType) -> ElementType:
    return _container("sequence", item)


def optional_of(item: ElementType) -> ElementType:
    return _container("optional", item)


def item_type(container: ElementType) -> ElementType:
    """The element type of a sequence's tensors, or of an optional's content."""
    return _ITEM_TYPES[container.name]


def is_sequence(elem: ElementType) -> bool:
    return elem.kind == "sequence"


def is_optional(elem: ElementType) -> bool:
    return elem.kind == "optional"


def make_container(items: Sequence) -> np.ndarray:
    """A 1-D object array of `items` (never broadcast into a multi-dimensional array)."""
    result = np.empty(len(items), dtype=object)
    for index, item in enumerate(items):
        result[index] = item
    return result


def _require_sequence(ctx: InferContext, index: int) -> ElementType:
    elem = ctx.element_type(index)
    if not is_sequence(elem):
        raise ctx.error(f"input {index} must be a sequence, got {elem}")
    return item_type(elem)


def _position(position: np.ndarray | None, length: int, default: int, inserting: bool) -> int:
    if position is None:
        return default
    index = int(np.asarray(position).reshape(-1)[0])
    limit = length + 1 if inserting else length
    if not -limit <= index < limit:
        raise IndexError(f"position {index} is out of range for a sequence of {length}")
    return index + length if index < 0 else index


@register
class SequenceConstruct(Op):
    name, version, domain = "SequenceConstruct", 1, "vinify"
    num_inputs = (1, None)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.same_element_type(*range(len(ctx.input_types)))
        return [TensorType(sequence_of(elem), CONTAINER)]

    @classmethod
    def evaluate(cls, attrs: dict, *tensors: np.ndarray) -> np.ndarray:
        return make_container(tensors)


@register
class SequenceEmpty(Op):
    name, version, domain = "SequenceEmpty", 1, "vinify"
    num_inputs = (0, 0)
    attributes = (Attr("element_type", "type"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [TensorType(sequence_of(ctx.attrs["element_type"]), CONTAINER)]

    @classmethod
    def evaluate(cls, attrs: dict) -> np.ndarray:
        return make_container([])


@register
class SequenceAt(Op):
    name, version, domain = "SequenceAt", 1, "vinify"
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [TensorType(_require_sequence(ctx, 0), DYNAMIC_RANK)]

    @classmethod
    def evaluate(cls, attrs: dict, sequence: np.ndarray, position: np.ndarray) -> np.ndarray:
        return sequence[_position(position, len(sequence), 0, inserting=False)]


@register
class SequenceInsert(Op):
    name, version, domain = "SequenceInsert", 1, "vinify"
    num_inputs = (2, 3)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        item = _require_sequence(ctx, 0)
        if ctx.element_type(1) != item:
            raise ctx.error(f"cannot insert {ctx.element_type(1)} into a sequence of {item}")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, sequence: np.ndarray, tensor: np.ndarray,
                 position: np.ndarray | None = None) -> np.ndarray:
        items = list(sequence)
        items.insert(_position(position, len(items), len(items), inserting=True), tensor)
        return make_container(items)


@register
class SequenceErase(Op):
    name, version, domain = "SequenceErase", 1, "vinify"
    num_inputs = (1, 2)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        _require_sequence(ctx, 0)
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, sequence: np.ndarray,
                 position: np.ndarray | None = None) -> np.ndarray:
        items = list(sequence)
        del items[_position(position, len(items), len(items) - 1, inserting=False)]
        return make_container(items)


@register
class SequenceLength(Op):
    name, version, domain = "SequenceLength", 1, "vinify"

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        _require_sequence(ctx, 0)
        return [TensorType(i64, PartialShape(()))]

    @classmethod
    def evaluate(cls, attrs: dict, sequence: np.ndarray) -> np.ndarray:
        return np.array(len(sequence), np.int64)


@register
class SplitToSequence(Op):
    """Splits along `axis` into pieces of the given lengths (or equal parts, or ones)."""

    name, version, domain = "SplitToSequence", 1, "vinify"
    num_inputs = (1, 2)
    attributes = (Attr("axis", "int", 0), Attr("keepdims", "bool", True))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [TensorType(sequence_of(ctx.element_type(0)), CONTAINER)]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, split: np.ndarray | None = None):
        axis = attrs["axis"] % x.ndim
        if split is None:
            pieces = np.split(x, x.shape[axis], axis=axis)
            if not attrs["keepdims"]:
                pieces = [np.squeeze(p, axis=axis) for p in pieces]
            return make_container(pieces)
        split = np.asarray(split).astype(np.int64)
        if split.ndim == 0:  # a scalar: pieces of that length, the last one shorter
            bounds = list(range(int(split), x.shape[axis], int(split)))
        else:
            bounds = list(np.cumsum(split)[:-1])
        return make_container(np.split(x, bounds, axis=axis))


@register
class ConcatFromSequence(Op):
    name, version, domain = "ConcatFromSequence", 1, "vinify"
    attributes = (Attr("axis", "int"), Attr("new_axis", "bool", False))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [TensorType(_require_sequence(ctx, 0), DYNAMIC_RANK)]

    @classmethod
    def evaluate(cls, attrs: dict, sequence: np.ndarray) -> np.ndarray:
        items = list(sequence)
        if attrs["new_axis"]:
            return np.stack(items, axis=attrs["axis"])
        return np.concatenate(items, axis=attrs["axis"])


@register
class OptionalConstruct(Op):
    """An optional holding its input, or an empty optional of `element_type` without one."""

    name, version, domain = "Optional", 1, "vinify"
    num_inputs = (0, 1)
    attributes = (Attr("element_type", "str", ""),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if ctx.input_types:
            return [TensorType(optional_of(ctx.element_type(0)), CONTAINER)]
        name = ctx.attrs["element_type"]
        item = _CONTAINER_TYPES[name] if name in _CONTAINER_TYPES else element_type(name)
        return [TensorType(optional_of(item), CONTAINER)]

    @classmethod
    def evaluate(cls, attrs: dict, *content: np.ndarray) -> np.ndarray:
        return make_container(list(content))


@register
class OptionalHasElement(Op):
    name, version, domain = "OptionalHasElement", 1, "vinify"

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if not is_optional(ctx.element_type(0)):
            raise ctx.error(f"input must be an optional, got {ctx.element_type(0)}")
        return [TensorType(element_type("boolean"), PartialShape(()))]

    @classmethod
    def evaluate(cls, attrs: dict, optional: np.ndarray) -> np.ndarray:
        return np.array(len(optional) > 0)


@register
class OptionalGetElement(Op):
    name, version, domain = "OptionalGetElement", 1, "vinify"

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if not is_optional(ctx.element_type(0)):
            raise ctx.error(f"input must be an optional, got {ctx.element_type(0)}")
        item = item_type(ctx.element_type(0))
        return [TensorType(item, CONTAINER if item.dtype is None else DYNAMIC_RANK)]

    @classmethod
    def evaluate(cls, attrs: dict, optional: np.ndarray):
        if len(optional) == 0:
            raise ValueError("the optional is empty")
        return optional[0]


@register
class SequenceMap(Op):
    """Runs its body once per position of the sequence inputs; tensor inputs are passed whole.
    `sequence_inputs[i]` says whether input i is a sequence; every body result is collected
    into an output sequence."""

    name, version, domain = "SequenceMap", 1, "vinify"
    num_inputs = (1, None)
    attributes = (Attr("sequence_inputs", "ints", ()), Attr("num_results", "int", 1))

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return attrs["num_results"]

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        (body,) = node_bodies(ctx, 1)
        return [TensorType(sequence_of(v.element_type), CONTAINER) for v in body.outputs]

    @classmethod
    def evaluate(cls, attrs: dict, *inputs: np.ndarray):
        (body,) = bound_bodies(cls, 1)
        flags = attrs["sequence_inputs"]
        length = len(inputs[0])
        collected: list[list] = [[] for _ in range(attrs["num_results"])]
        order = execution_order(body)
        for position in range(length):
            arguments = [x[position] if flags[i] else x for i, x in enumerate(inputs)]
            for parts, array in zip(collected, run_body(body, arguments, order)):
                parts.append(array)
        return tuple(make_container(parts) for parts in collected)
