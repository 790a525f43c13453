"""Indexing converters: Gather, GatherElements, GatherND, OneHot, NonZero, Compress,
ReverseSequence, Unique."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    convert,
    dim_value,
    gather_dims,
    i64_const,
    normalize_axis,
    reshape,
    scalar_like,
    static_rank,
    to_scalar,
)
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import i64


@converter("Gather", since=1)
def gather(ctx: NodeContext) -> Value:
    indices = ctx.input(1)
    if not indices.element_type.is_integral:
        raise ctx.error(f"Gather indices must be integers, got {indices.element_type}")
    return as_value(ctx.make("Gather", 8, ctx.input(0), indices,
                             i64_const(ctx, ctx.attr("axis", 0))))


def wrap_negative(ctx: NodeContext, indices: Value, length: Value) -> Value:
    """ONNX indices count from the end when negative: index + length where index < 0."""
    known = ctx.const_value(indices)
    if known is not None and (known >= 0).all():
        return indices
    length = convert(ctx, length, indices.element_type)
    negative = as_value(ctx.make("Less", 1, indices, scalar_like(ctx, 0, indices)))
    shifted = as_value(ctx.make("Add", 1, indices, length))
    return as_value(ctx.make("Select", 1, negative, shifted, indices))


@converter("GatherElements", since=11)
def gather_elements(ctx: NodeContext) -> Value:
    data, indices = ctx.input(0), ctx.input(1)
    axis = normalize_axis(ctx, ctx.attr("axis", 0), static_rank(ctx, data))
    indices = wrap_negative(ctx, indices, dim_value(ctx, data, axis))
    return as_value(ctx.make("GatherElements", 6, data, indices, axis=axis))


@converter("GatherND", since=11)
def gather_nd(ctx: NodeContext) -> Value:
    return as_value(ctx.make("GatherND", 8, ctx.input(0), ctx.input(1),
                             batch_dims=ctx.attr("batch_dims", 0)))


@converter("OneHot", since=9)
def one_hot(ctx: NodeContext) -> Value:
    depth = convert(ctx, to_scalar(ctx, ctx.input(1)), i64)
    indices = convert(ctx, ctx.input(0), i64)
    indices = wrap_negative(ctx, indices, depth)
    values = ctx.input(2)
    off_value, on_value = gather_dims(ctx, values, 0), gather_dims(ctx, values, 1)
    return as_value(ctx.make("OneHot", 1, indices, depth, on_value, off_value,
                             axis=ctx.attr("axis", -1)))


@converter("NonZero", since=9)
def non_zero(ctx: NodeContext) -> Value:
    return as_value(ctx.make("NonZero", 3, ctx.input(0), output_type="i64"))


@converter("Compress", since=9)
def compress(ctx: NodeContext) -> Value:
    """Gathers the slices whose condition is true (a flattened input when no axis is given)."""
    data, condition = ctx.input(0), ctx.input(1)
    positions = as_value(ctx.make("NonZero", 3, condition, output_type="i64"))
    positions = reshape(ctx, positions, [-1])
    axis = ctx.attr("axis", None)
    if axis is None:
        data, axis = reshape(ctx, data, [-1]), 0
    return as_value(ctx.make("Gather", 8, data, positions, i64_const(ctx, axis)))


@converter("ReverseSequence", since=10)
def reverse_sequence(ctx: NodeContext) -> Value:
    return as_value(ctx.make("ReverseSequence", 1, ctx.input(0), ctx.input(1),
                             batch_axis=ctx.attr("batch_axis", 1),
                             seq_axis=ctx.attr("time_axis", 0)))


@converter("Unique", since=11)
def unique(ctx: NodeContext) -> list[Value]:
    inputs = [ctx.input(0)]
    axis = ctx.attr("axis", None)
    if axis is not None:
        inputs.append(i64_const(ctx, axis))
    node = ctx.make("Unique", 10, *inputs, sorted=bool(ctx.attr("sorted", 1)),
                    index_element_type="i64", count_element_type="i64")
    return list(node.outputs)
