"""Graph results whose size is a data count that a static-shape device can still return.

NonZero's column count is the number of non-zero elements: unknown until the data arrives, but
never more than the input's element count. NonMaxSuppression<9> pads its outputs to a static
row count and gives the number of valid rows as an output; the ONNX converter cuts the padded
rows with Slice(selected, 0, valid_outputs). When such a value is a graph result, a device can
compute it at its upper-bound size and return only the first `count` entries along one axis
(codegen/lowering/bounded.py). Value specialization (vinify.specialize) asks this module so it
does not refuse those graphs; elsewhere a count still sizes what follows and stays refused.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from vinify.shapes import PartialShape

# ops whose device lowering writes a count for the outputs listed (sized by it)
COUNTED_OPS = {"NonZero": (0,), "Unique": (0, 1, 3)}


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


def trim_of(index: int, value: Any) -> Trim | None:
    """The trim of graph output `index` (its value `value`) when it is a count-sized result."""
    node = value.node
    if node.op.name in COUNTED_OPS and value.index in COUNTED_OPS[node.op.name]:
        counted = [axis for axis, dim in enumerate(value.shape.dims) if not dim.is_static] \
            if value.shape.rank_is_static else []
        if upper_bound(value) is None or len(counted) != 1:
            return None
        return Trim(index, counted[0], node.outputs[0])
    if node.op.name == "Slice" and node.op.version == 8:
        return _nms_trim(index, node)
    return None


def trimmed_at_result(node: Any) -> bool:
    """Whether every use of the node's outputs is a graph result it may be trimmed at."""
    uses = [(user, value) for value in node.outputs for user, _ in value.uses]
    return bool(uses) and all(user.op.name == "Result" and (
        value.shape.is_static or trim_of(0, value) is not None) for user, value in uses)


__all__ = ["COUNTED_OPS", "Trim", "trim_of", "trimmed_at_result", "upper_bound"]
