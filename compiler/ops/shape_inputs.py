"""Reading shape-defining inputs (target shapes, axes, begin/end vectors) during type inference.

Data-movement ops take their shapes and axes as inputs, not attributes. When such an input is
known at compile time (`ctx.const`), inference uses its values so static shapes stay static;
when it is not, the input's own shape still tells how many values there are (the output rank).
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from vinify.op import InferContext
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape


def const_ints(ctx: InferContext, index: int) -> list[int] | None:
    """Input `index` as a flat list of Python ints when known at compile time, else None."""
    if index >= len(ctx.input_types):
        return None
    value = ctx.const(index)
    if value is None:
        return None
    if value.dtype.kind not in "iub":
        raise ctx.error(f"input {index} must be integral, got {ctx.element_type(index)}")
    return [int(v) for v in np.asarray(value).reshape(-1)]


def require_integral(ctx: InferContext, *indices: int) -> None:
    for index in indices:
        if index < len(ctx.input_types) and not ctx.element_type(index).is_integral:
            raise ctx.error(f"input {index} must be integral, got {ctx.element_type(index)}")


def vector_length(ctx: InferContext, index: int) -> int | None:
    """The static number of values in 1-D (or scalar) input `index`, else None."""
    shape = ctx.shape(index)
    if not shape.rank_is_static:
        return None
    if shape.rank == 0:
        return 1
    if shape.rank > 1:
        raise ctx.error(f"input {index} must be a scalar or 1-D, got shape {shape}")
    return shape[0].min if shape[0].is_static else None


def dynamic_shape(rank: int | None) -> PartialShape:
    """A shape of `rank` unknown dimensions; dynamic rank when the rank is unknown too."""
    return DYNAMIC_RANK if rank is None else PartialShape((DYNAMIC,) * rank)


def intersect(ctx: InferContext, a: Dimension, b: Dimension, what: str) -> Dimension:
    """The dimension both `a` and `b` allow; a type error when none fits both."""
    if not a.compatible(b):
        raise ctx.error(f"{what}: dimensions {a} and {b} do not match")
    highs = [h for h in (a.max, b.max) if h is not None]
    return Dimension(max(a.min, b.min), min(highs) if highs else None)


def static_shape_of(shape: PartialShape) -> tuple[int, ...] | None:
    return shape.to_tuple() if shape.is_static else None


def divide_dim(dim: Dimension, divisor: int) -> Dimension:
    """`dim` split into `divisor` equal parts (bounds rounded inward)."""
    high = None if dim.max is None else dim.max // divisor
    low = -(-dim.min // divisor)
    return Dimension(min(low, high) if high is not None else low, high)


@dataclass(frozen=True, eq=False)
class DimensionOf:
    """An entry of a shape vector that is dimension `axis` of `source`'s shape (via ShapeOf).

    Shape subgraphs (ShapeOf -> Gather -> Concat -> Reshape) carry dynamic dimensions that no
    constant can; keeping where they came from lets Reshape keep them and cancel them against
    its own input's dimensions when it resolves a -1.
    """

    dim: Dimension
    source: Any
    axis: int


ShapeEntry = int | DimensionOf | Dimension  # Dimension: computed, of no one input axis
_TRACE_DEPTH = 16


def shape_entries(ctx: InferContext, index: int) -> list[ShapeEntry] | None:
    """The values of 1-D shape input `index`: ints where known, DimensionOf where they come
    from a dynamic dimension; None when neither is known."""
    if index >= len(ctx.input_types):
        return None
    return _entries_of(ctx.node.inputs[index], _TRACE_DEPTH)


def _entries_of(value, depth: int) -> list[ShapeEntry] | None:
    from vinify.ir import constant_value

    array = constant_value(value)
    if array is not None:
        return [int(v) for v in np.asarray(array).reshape(-1)] if array.ndim <= 1 else None
    if depth == 0:
        return None
    node = value.node
    rule = _ENTRY_RULES.get(node.op.name)
    return rule(node, depth - 1) if rule is not None else None


def _shape_of_entries(node, depth: int) -> list[ShapeEntry] | None:
    source = node.inputs[0]
    if not source.shape.rank_is_static:
        return None
    return [d.min if d.is_static else DimensionOf(d, source, axis)
            for axis, d in enumerate(source.shape)]


def _concat_entries(node, depth: int) -> list[ShapeEntry] | None:
    parts = [_entries_of(v, depth) for v in node.inputs]
    if any(p is None for p in parts):
        return None
    return [entry for part in parts for entry in part]


def _gather_entries(node, depth: int) -> list[ShapeEntry] | None:
    from vinify.ir import constant_value

    indices, axis = constant_value(node.inputs[1]), constant_value(node.inputs[2])
    if indices is None or axis is None or int(np.asarray(axis).reshape(-1)[0]) not in (0, -1):
        return None
    entries = _entries_of(node.inputs[0], depth)
    if entries is None or indices.ndim > 1 or node.attrs.get("batch_dims", 0):
        return None
    picked = [int(i) for i in np.asarray(indices).reshape(-1)]
    if any(not -len(entries) <= i < len(entries) for i in picked):
        return None
    return [entries[i] for i in picked]


def _passthrough_entries(node, depth: int) -> list[ShapeEntry] | None:
    """Ops that keep the values of a vector or scalar: Convert, Squeeze, Unsqueeze, Reshape."""
    source = node.inputs[0]
    if not source.shape.rank_is_static or source.shape.rank > 1:
        return None
    return _entries_of(source, depth)


def _constant_ints(value) -> list[int] | None:
    from vinify.ir import constant_value

    array = constant_value(value)
    return None if array is None else [int(v) for v in np.asarray(array).reshape(-1)]


def _slice_entries(node, depth: int) -> list[ShapeEntry] | None:
    """Slice<8> of a shape vector: start/stop/step (and axes, if given, [0]) are constants."""
    bounds = [_constant_ints(v) for v in node.inputs[1:]]
    if any(b is None or len(b) != 1 for b in bounds) or (len(bounds) == 4 and
                                                          bounds[3][0] not in (0, -1)):
        return None
    entries = _entries_of(node.inputs[0], depth)
    if entries is None or bounds[2][0] == 0:
        return None
    return entries[slice(bounds[0][0], bounds[1][0], bounds[2][0])]


def _strided_slice_entries(node, depth: int) -> list[ShapeEntry] | None:
    """StridedSlice<1> of a shape vector with one begin/end/stride and no axis insertion."""
    bounds = [_constant_ints(v) for v in node.inputs[1:]]
    attrs = node.attrs
    if any(b is None or len(b) != 1 for b in bounds) or any(
            any(attrs[k]) for k in ("new_axis_mask", "ellipsis_mask")):
        return None
    entries = _entries_of(node.inputs[0], depth)
    step = bounds[2][0] if len(bounds) == 3 else 1
    if entries is None or step == 0:
        return None
    if any(attrs["shrink_axis_mask"][:1]):  # a scalar: the one entry at begin
        index = bounds[0][0]
        return [entries[index]] if -len(entries) <= index < len(entries) else None
    start = None if any(attrs["begin_mask"][:1]) else bounds[0][0]
    stop = None if any(attrs["end_mask"][:1]) else bounds[1][0]
    return entries[slice(start, stop, step)]


def _arithmetic_entries(node, depth: int) -> list[ShapeEntry] | None:
    """Add, Multiply and Divide of shape vectors: exact on known values, interval arithmetic
    on dynamic ones (Divide only by known positive values)."""
    left, right = (_entries_of(v, depth) for v in node.inputs)
    if left is None or right is None or 1 not in (len(left), len(right)) and \
            len(left) != len(right):
        return None
    count = max(len(left), len(right))
    pairs = zip(left * count if len(left) == 1 else left, right * count if len(right) == 1
                else right)
    result = [_combine(node, a, b) for a, b in pairs]
    return None if any(r is None for r in result) else result


def _combine(node, a: ShapeEntry, b: ShapeEntry) -> ShapeEntry | None:
    if isinstance(a, int) and isinstance(b, int):
        arrays = [np.array(a, node.inputs[0].element_type.dtype),
                  np.array(b, node.inputs[1].element_type.dtype)]
        return int(node.evaluate(arrays)[0])
    if node.op.name == "Divide":
        if not isinstance(b, int) or b <= 0:
            return None
        dim = entry_dim(a)
        return Dimension(dim.min // b, None if dim.max is None else dim.max // b)
    operation = Dimension.__mul__ if node.op.name == "Multiply" else Dimension.__add__
    return operation(entry_dim(a), entry_dim(b))


_ENTRY_RULES = {
    "Add": _arithmetic_entries,
    "Multiply": _arithmetic_entries,
    "Divide": _arithmetic_entries,
    "Slice": _slice_entries,
    "StridedSlice": _strided_slice_entries,
    "ShapeOf": _shape_of_entries,
    "Concat": _concat_entries,
    "Gather": _gather_entries,
    "Convert": _passthrough_entries,
    "Squeeze": _passthrough_entries,
    "Unsqueeze": _passthrough_entries,
    "Reshape": _passthrough_entries,
}


def entry_dim(entry: ShapeEntry) -> Dimension:
    if isinstance(entry, DimensionOf):
        return entry.dim
    return entry if isinstance(entry, Dimension) else Dimension.of(entry)
