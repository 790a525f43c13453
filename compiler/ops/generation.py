"""Generation ops: Range (1, 4) and Eye, whose outputs come from scalar inputs, not data.

An output length depends on input values, so static shapes need those inputs to be known at
compile time; otherwise the length is `?`.
"""

import math

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_inputs import (
    const_ints,
    entry_dim,
    require_integral,
    shape_entries,
    vector_length,
)
from vinify.ops.shape_rules import require_rank
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType
from vinify.types import ElementType, element_type


def _scalar(ctx: InferContext, index: int) -> float | None:
    shape = ctx.shape(index)
    single = shape.rank == 0 or (shape.rank == 1 and shape[0].contains(1)) \
        if shape.rank_is_static else True
    if not single:
        raise ctx.error(f"input {index} must be a scalar, got shape {shape}")
    value = ctx.const(index)
    return None if value is None else value.reshape(-1)[0].item()


def range_length(start: float, stop: float, step: float) -> int:
    return max(math.ceil((stop - start) / step), 0)


def _range_shape(ctx: InferContext, integral: bool) -> PartialShape:
    values = [_scalar(ctx, i) for i in range(3)]
    if None in values:
        return PartialShape((_length_from_shape(ctx, values),))
    start, stop, step = (math.trunc(v) for v in values) if integral else values
    if step == 0:
        raise ctx.error("step must not be zero")
    if any(isinstance(v, float) and not math.isfinite(v) for v in (start, stop, step)):
        raise ctx.error(f"start {start}, stop {stop} and step {step} must be finite")
    return PartialShape((Dimension.of(range_length(start, stop, step)),))


def _length_from_shape(ctx: InferContext, values: list) -> Dimension:
    """Range(start, <a dimension from a shape subgraph>, step) with integral start and step:
    the length is bounded by that dimension's interval (positions of a sequence, say)."""
    start, stop, step = values
    entries = shape_entries(ctx, 1) if stop is None else None
    if entries is None or len(entries) != 1 or not isinstance(start, int) or \
            not isinstance(step, int) or step <= 0:
        return DYNAMIC
    bound = entry_dim(entries[0])
    low = range_length(start, bound.min, step)
    return Dimension(low, None if bound.max is None else range_length(start, bound.max, step))


def range_values(start, stop, step, elem: ElementType) -> np.ndarray:
    """start, start+step, ... before stop, computed in a wide type and cast to `elem`."""
    if elem.is_integral:
        start, stop, step = (math.trunc(float(v)) for v in (start, stop, step))
        return np.arange(start, stop, step, dtype=np.int64).astype(elem.dtype)
    start, stop, step = (float(v) for v in (start, stop, step))
    count = range_length(start, stop, step)
    return (start + step * np.arange(count, dtype=np.float64)).astype(elem.dtype)


@register
class RangeV1(Op):
    """Numbers from start up to (not including) stop by step; one element type for all three."""

    name, version = "Range", 1
    num_inputs = (3, 3)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.same_element_type(0, 1, 2)
        if elem.kind == "bool":
            raise ctx.error("Range does not accept boolean inputs")
        return [TensorType(elem, _range_shape(ctx, elem.is_integral))]

    @classmethod
    def evaluate(cls, attrs: dict, start: np.ndarray, stop: np.ndarray,
                 step: np.ndarray) -> np.ndarray:
        elem = element_type(start.dtype)
        return range_values(start.reshape(-1)[0], stop.reshape(-1)[0], step.reshape(-1)[0], elem)


@register
class RangeV4(Op):
    """Range<1> where the inputs may differ in type and output_type sets the result's type."""

    name, version = "Range", 4
    num_inputs = (3, 3)
    attributes = (Attr("output_type", "type"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.attrs["output_type"]
        if elem.kind not in ("float", "int", "uint"):
            raise ctx.error(f"output_type must be numeric, got {elem}")
        return [TensorType(elem, _range_shape(ctx, elem.is_integral))]

    @classmethod
    def evaluate(cls, attrs: dict, start: np.ndarray, stop: np.ndarray,
                 step: np.ndarray) -> np.ndarray:
        return range_values(start.reshape(-1)[0], stop.reshape(-1)[0], step.reshape(-1)[0],
                            attrs["output_type"])


@register
class Eye(Op):
    """Identity-like matrices: ones on the diagonal shifted by diagonal_index, batched."""

    name, version = "Eye", 9
    num_inputs = (3, 4)
    attributes = (Attr("output_type", "type"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 0, 1, 2, 3)
        for index in (0, 1, 2):
            require_rank(ctx, index, 0, 1)
        dims = []
        for index in (0, 1):
            value = const_ints(ctx, index)
            if value is not None and (len(value) != 1 or value[0] < 0):
                raise ctx.error(f"input {index} must be one non-negative value, got {value}")
            dims.append(DYNAMIC if value is None else Dimension.of(value[0]))
        if len(ctx.input_types) == 3:
            return [TensorType(ctx.attrs["output_type"], PartialShape(tuple(dims)))]
        require_rank(ctx, 3, 1)
        batch = const_ints(ctx, 3)
        if batch is None:
            length = vector_length(ctx, 3)
            if length is None:
                return [TensorType(ctx.attrs["output_type"], DYNAMIC_RANK)]
            return [TensorType(ctx.attrs["output_type"],
                               PartialShape((DYNAMIC,) * length + tuple(dims)))]
        return [TensorType(ctx.attrs["output_type"], PartialShape.of(batch + dims))]

    @classmethod
    def evaluate(cls, attrs: dict, rows: np.ndarray, columns: np.ndarray,
                 diagonal: np.ndarray, batch: np.ndarray | None = None) -> np.ndarray:
        matrix = np.eye(int(rows.reshape(-1)[0]), int(columns.reshape(-1)[0]),
                        int(diagonal.reshape(-1)[0]), dtype=attrs["output_type"].dtype)
        if batch is None:
            return matrix
        shape = tuple(int(b) for b in batch.reshape(-1)) + matrix.shape
        return np.broadcast_to(matrix, shape).copy()
