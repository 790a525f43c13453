"""Shape converters (Shape, Size) and the shape arithmetic the tensor-family converters share.

ONNX moves many shape-defining attributes to inputs across opsets (axes, pads, splits, starts);
the builders here turn either form into IR values, folding to constants where the value is known
at conversion time so that static shapes stay static.
"""

from typing import Any, Sequence

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import ElementType, i64

INT64_MAX = np.iinfo(np.int64).max


def i64_const(ctx: NodeContext, values: Any) -> Value:
    """A constant i64 tensor (a scalar for a Python int)."""
    return ctx.const(np.asarray(values, dtype=np.int64))


def shape_of(ctx: NodeContext, value: Value) -> Value:
    """The value's shape as an i64 vector; a constant when the shape is static."""
    if value.shape.is_static:
        return i64_const(ctx, list(value.shape.to_tuple()))
    return as_value(ctx.make("ShapeOf", 3, value, output_type="i64"))


def static_rank(ctx: NodeContext, value: Value, what: str = "input") -> int:
    """The value's rank; a ConversionError when the rank is dynamic."""
    if not value.shape.rank_is_static:
        raise ctx.error(f"{what} must have a static rank, got {value.type}")
    return value.shape.rank


def normalize_axis(ctx: NodeContext, axis: int, rank: int) -> int:
    if not -rank <= axis < max(rank, 1):
        raise ctx.error(f"axis {axis} is out of range for rank {rank}")
    return axis % max(rank, 1)


def dim_value(ctx: NodeContext, value: Value, axis: int) -> Value:
    """Length of one axis as an i64 scalar (a constant when static)."""
    dim = value.shape[axis]
    if dim.is_static:
        return i64_const(ctx, dim.min)
    return gather_dims(ctx, shape_of(ctx, value), axis)


def gather_dims(ctx: NodeContext, shape: Value, index: Any) -> Value:
    """Elements of a shape vector: a scalar for an int index, a vector for a list."""
    return as_value(ctx.make("Gather", 8, shape, i64_const(ctx, index), i64_const(ctx, 0)))


def slice_dims(ctx: NodeContext, shape: Value, start: int, stop: int = INT64_MAX) -> Value:
    """shape[start:stop] of a 1-D shape vector."""
    return as_value(ctx.make("Slice", 8, shape, i64_const(ctx, [start]), i64_const(ctx, [stop]),
                             i64_const(ctx, [1])))


def concat(ctx: NodeContext, parts: Sequence[Value], axis: int = 0) -> Value:
    """Concatenation, folded to a constant when every part is known."""
    known = [ctx.const_value(p) for p in parts]
    if all(k is not None for k in known):
        return ctx.const(np.concatenate([np.asarray(k).reshape(-1) for k in known]))
    return as_value(ctx.make("Concat", 1, *parts, axis=axis))


def reshape(ctx: NodeContext, value: Value, target: Any, special_zero: bool = False) -> Value:
    target_value = target if isinstance(target, Value) else i64_const(ctx, list(target))
    return as_value(ctx.make("Reshape", 1, value, target_value, special_zero=special_zero))


def to_scalar(ctx: NodeContext, value: Value) -> Value:
    """A one-element tensor as a rank-0 tensor (ONNX often passes scalars as [1])."""
    if value.shape.rank_is_static and value.shape.rank == 0:
        return value
    return reshape(ctx, value, [])


def to_vector(ctx: NodeContext, value: Value) -> Value:
    """A scalar or vector as a rank-1 tensor."""
    if value.shape.rank_is_static and value.shape.rank == 1:
        return value
    return reshape(ctx, value, [-1])


def unsqueeze(ctx: NodeContext, value: Value, axes: Sequence[int]) -> Value:
    return as_value(ctx.make("Unsqueeze", 1, value, i64_const(ctx, list(axes))))


def convert(ctx: NodeContext, value: Value, elem: ElementType | str) -> Value:
    if str(value.element_type) == str(elem):
        return value
    return as_value(ctx.make("Convert", 1, value, destination_type=str(elem)))


def convert_like(ctx: NodeContext, value: Value, like: Value) -> Value:
    return convert(ctx, value, like.element_type)


def scalar_like(ctx: NodeContext, number: float, like: Value) -> Value:
    """A rank-0 constant of `like`'s element type."""
    return ctx.const(np.asarray(number, dtype=like.element_type.dtype))


def int_list(ctx: NodeContext, index: int, what: str) -> list[int] | None:
    """A constant integer input as a list; None when the input is omitted (or empty name)."""
    value = ctx.optional_input(index)
    if value is None:
        return None
    return [int(v) for v in np.asarray(ctx.require_const(index, what)).reshape(-1)]


def axes_argument(ctx: NodeContext, input_since: int, index: int = 1) -> Value | list[int] | None:
    """The `axes` of Squeeze/Unsqueeze/Reduce*: an attribute before `input_since`, then an input.

    Returns a list when known at conversion time, a Value when computed at run time, None when
    absent.
    """
    if ctx.opset < input_since:
        axes = ctx.attr("axes", None)
        return None if axes is None else [int(a) for a in axes]
    value = ctx.optional_input(index)
    if value is None:
        return None
    if value.shape.is_static and 0 in value.shape.to_tuple():
        return []
    known = ctx.const_value(value)
    if known is not None:
        return [int(a) for a in np.asarray(known).reshape(-1)]
    return value


def axes_value(ctx: NodeContext, axes: Value | Sequence[int]) -> Value:
    if isinstance(axes, Value):
        return convert(ctx, to_vector(ctx, axes), i64)
    return i64_const(ctx, list(axes))


def all_axes(ctx: NodeContext, value: Value) -> Value:
    """0..rank-1 as an i64 vector (computed at run time when the rank is dynamic)."""
    if value.shape.rank_is_static:
        return i64_const(ctx, list(range(value.shape.rank)))
    rank = to_scalar(ctx, as_value(ctx.make("ShapeOf", 3, shape_of(ctx, value),
                                             output_type="i64")))
    return as_value(ctx.make("Range", 4, i64_const(ctx, 0), rank, i64_const(ctx, 1),
                             output_type="i64"))


@converter("Shape", since=1)
def shape(ctx: NodeContext) -> Value:
    """Shape-15 adds start/end, which slice the shape vector with Python slice clamping."""
    data = ctx.input(0)
    result = as_value(ctx.make("ShapeOf", 3, data, output_type="i64"))
    start, end = ctx.attr("start", 0), ctx.attr("end", None)
    if start == 0 and end is None:
        return result
    return slice_dims(ctx, result, start, INT64_MAX if end is None else end)


@converter("Size", since=1)
def size(ctx: NodeContext) -> Value:
    data = ctx.input(0)
    if data.shape.is_static:
        return i64_const(ctx, int(np.prod(data.shape.to_tuple(), dtype=np.int64)))
    dims = as_value(ctx.make("ShapeOf", 3, data, output_type="i64"))
    return as_value(ctx.make("ReduceProd", 1, dims, i64_const(ctx, [0]), keep_dims=False))
