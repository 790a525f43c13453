"""Reading shape-defining inputs (target shapes, axes, begin/end vectors) during type inference.

Data-movement ops take their shapes and axes as inputs, not attributes. When such an input is
known at compile time (`ctx.const`), inference uses its values so static shapes stay static;
when it is not, the input's own shape still tells how many values there are (the output rank).
"""

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
