"""Shape rules shared by op families: broadcasting, axis normalization, output sizes."""

import numpy as np
from vinify.errors import TypeInferenceError
from vinify.op import InferContext
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape


def broadcast_dim(a: Dimension, b: Dimension) -> Dimension | None:
    """numpy broadcasting of two dimensions; None when they cannot broadcast."""
    if a.is_static and a.min == 1:
        return b
    if b.is_static and b.min == 1:
        return a
    if a.is_static and b.is_static:
        return a if a.min == b.min else None
    if a.is_static:
        return a if b.contains(a.min) or b.contains(1) else None
    if b.is_static:
        return b if a.contains(b.min) or a.contains(1) else None
    low = max(a.min, b.min)
    highs = [h for h in (a.max, b.max) if h is not None]
    return Dimension(low if low > 1 else low, max(highs) if len(highs) == 2 else None) \
        if a.min > 1 or b.min > 1 else DYNAMIC


def broadcast_shapes(ctx: InferContext, a: PartialShape, b: PartialShape,
                     mode: str = "numpy") -> PartialShape:
    """The numpy broadcast of two partial shapes ("none" requires equal shapes)."""
    if a.dims is None or b.dims is None:
        return DYNAMIC_RANK
    if mode == "none":
        if not a.compatible(b):
            raise ctx.error(f"shapes {a} and {b} must match (auto_broadcast='none')")
        return PartialShape(tuple(_narrow(x, y) for x, y in zip(a.dims, b.dims)))
    rank = max(len(a.dims), len(b.dims))
    left = (Dimension(1, 1),) * (rank - len(a.dims)) + a.dims
    right = (Dimension(1, 1),) * (rank - len(b.dims)) + b.dims
    dims = []
    for x, y in zip(left, right):
        dim = broadcast_dim(x, y)
        if dim is None:
            raise ctx.error(f"shapes {a} and {b} do not broadcast")
        dims.append(dim)
    return PartialShape(tuple(dims))


def _narrow(x: Dimension, y: Dimension) -> Dimension:
    high = min(h for h in (x.max, y.max, 1 << 62) if h is not None)
    return Dimension(max(x.min, y.min), None if high == 1 << 62 else high)


def normalize_axis(ctx: InferContext, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise ctx.error(f"axis {axis} is out of range for rank {rank}")
    return axis % rank


def normalize_axes(ctx: InferContext, axes, rank: int) -> list[int]:
    result = [normalize_axis(ctx, int(a), rank) for a in np.asarray(axes).reshape(-1)]
    if len(set(result)) != len(result):
        raise ctx.error(f"axes {list(np.asarray(axes).reshape(-1))} repeat an axis")
    return result


def static_dims(shape: PartialShape) -> list[int | None]:
    """Each dimension's length if static, else None (dynamic rank: an error for callers)."""
    return [d.min if d.is_static else None for d in shape]


def dim_from(length: int | None) -> Dimension:
    return DYNAMIC if length is None else Dimension(length, length)


def require_rank(ctx: InferContext, index: int, *ranks: int) -> None:
    shape = ctx.shape(index)
    if shape.rank_is_static and shape.rank not in ranks:
        raise ctx.error(f"input {index} must have rank {' or '.join(map(str, ranks))}, got {shape}")


def require_float(ctx: InferContext, index: int) -> None:
    if not ctx.element_type(index).is_float:
        raise ctx.error(f"input {index} must be floating point, got {ctx.element_type(index)}")


__all__ = ["TypeInferenceError", "broadcast_shapes", "normalize_axis", "normalize_axes",
           "static_dims", "dim_from", "require_rank", "require_float"]
