"""Graph results whose size is a data count that a static-shape device can still return.

NonZero's column count is the number of non-zero elements: unknown until the data arrives, but
never more than the input's element count. NonMaxSuppression<9> pads its outputs to a static
row count and gives the number of valid rows as an output; the ONNX converter cuts the padded
rows with Slice(selected, 0, valid_outputs). When such a value is a graph result, directly or
through layout-preserving views and a Gather by it (ONNX Compress: NonZero, Reshape, Gather), a
device can compute it at its upper-bound size and return only the first `count` entries along
one axis (codegen/lowering/bounded.py). Value specialization (vinify.specialize) asks this
module so it does not refuse those graphs; elsewhere a count still sizes what follows and stays
refused.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from vinify.shapes import PartialShape

# ops whose device lowering writes a count for the outputs listed (sized by it)
COUNTED_OPS = {"NonZero": (0,), "Unique": (0, 1, 3)}


CARRYING_OPS = ("Reshape", "Squeeze", "Unsqueeze", "Convert", "Gather")


@dataclass(frozen=True)
class Counted:
    """A value sized by a data count along `axis`; the count belongs to the value `count`."""

    axis: int
    count: Any


@dataclass(frozen=True)
class Trim:
    """Output `output` is returned cut to the count held in `count` along `axis`."""

    output: int
    axis: int
    count: Any  # the graph value the count belongs to (NonZero's output, NMS valid_outputs)


def upper_bound(value: Any) -> PartialShape | None:
    """The value's largest static shape, or None when a dim or the rank is unbounded."""
    shape = value.shape
    if not shape.rank_is_static or any(d.max is None for d in shape.dims):
        return None
    return PartialShape.of([d.max for d in shape.dims])


def _constant_list(value: Any) -> list | None:
    from vinify.ir import constant_value

    array = constant_value(value)
    return None if array is None else np.ravel(array).tolist()


def _nms_trim(index: int, slice_node: Any) -> Trim | None:
    """Slice(nms.selected, [0], nms.valid_outputs, [1], [0]): the padded rows cut."""
    nms = slice_node.inputs[0].node
    if nms.op.name != "NonMaxSuppression" or slice_node.inputs[0] is nms.outputs[2]:
        return None
    if slice_node.inputs[2] is not nms.outputs[2] or len(slice_node.inputs) < 4:
        return None
    axes = _constant_list(slice_node.inputs[4]) if len(slice_node.inputs) > 4 else [0]
    if _constant_list(slice_node.inputs[1]) != [0] or axes not in ([0], [-2]) or \
            _constant_list(slice_node.inputs[3]) != [1]:
        return None
    return Trim(index, 0, nms.outputs[2])


def _dynamic_axis(value: Any) -> int | None:
    """The one bounded dim of `value` (all others static), or None."""
    if not value.shape.rank_is_static or upper_bound(value) is None:
        return None
    axes = [axis for axis, dim in enumerate(value.shape.dims) if not dim.is_static]
    return axes[0] if len(axes) == 1 else None


def _origin(node: Any, value: Any) -> Counted | None:
    """A value a device lowering sizes by a count it writes: NonZero/Unique outputs, NMS rows."""
    if node.op.name in COUNTED_OPS and value.index in COUNTED_OPS[node.op.name]:
        axis = _dynamic_axis(value)
        return None if axis is None else Counted(axis, node.outputs[0])
    if node.op.name == "Slice" and node.op.version == 8:
        trim = _nms_trim(0, node)
        return None if trim is None else Counted(0, trim.count)
    return None


def _blocks(shape: tuple, axis: int) -> tuple[int, int]:
    return (int(np.prod(shape[:axis], dtype=np.int64)),
            int(np.prod(shape[axis + 1:], dtype=np.int64)))


def _carried(node: Any, value: Any, found: dict) -> Counted | None:
    """A count-sized value computed from one whose count it keeps (the Compress pattern:
    NonZero -> Reshape -> Gather): layout-preserving views, and Gather by counted indices."""
    axis = _dynamic_axis(value)
    if axis is None or node.op.name not in CARRYING_OPS:
        return None
    position = 1 if node.op.name == "Gather" else 0
    source = found.get(id(node.inputs[position]))
    others = [v for i, v in enumerate(node.inputs) if i != position]
    if source is None or not all(v.shape.is_static for v in others):
        return None
    if node.op.name != "Gather":
        before = upper_bound(node.inputs[0]).to_tuple()
        after = upper_bound(value).to_tuple()
        if _blocks(before, source.axis) != _blocks(after, axis) or \
                before[source.axis] != after[axis]:
            return None
    return Counted(axis, source.count)


def counted_values(graph: Any) -> dict[int, Counted]:
    """id(value) -> how it is counted, for the graph's count-sized values whose every use is a
    graph result or a node whose outputs are all count-sized too: a device computes them at
    their upper-bound shapes and returns the results trimmed. Other count-sized values are
    left out: a count that sizes further computation is refused."""
    found: dict[int, Counted] = {}
    nodes = graph.nodes()
    for node in nodes:
        for value in node.outputs:
            entry = _origin(node, value) or _carried(node, value, found)
            if entry is not None:
                found[id(value)] = entry
    closed: dict[int, Counted] = {}
    for node in reversed(nodes):
        for value in node.outputs:
            if id(value) in found and all(
                    user.op.name == "Result" or all(id(o) in closed for o in user.outputs)
                    for user, _ in value.uses):
                closed[id(value)] = found[id(value)]
    return closed


def trims(graph: Any, counted: dict[int, Counted]) -> list[Trim]:
    """The trims of the graph's results that are count-sized values."""
    return [Trim(index, counted[id(value)].axis, counted[id(value)].count)
            for index, value in enumerate(graph.outputs) if id(value) in counted]


__all__ = ["COUNTED_OPS", "Counted", "Trim", "counted_values", "trims", "upper_bound"]
