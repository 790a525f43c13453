"""Sequences and optionals onto vinify's internal container ops (see ops/onnx_sequences.py)."""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.control_flow import make_with_bodies
from vinify.frontends.onnx.registry import converter
from vinify.frontends.onnx.types import element_type_of, value_type_of
from vinify.ir import Value
from vinify.ops.onnx_sequences import is_optional, is_sequence, item_type
from vinify.shapes import DYNAMIC_RANK, TensorType


def _present(ctx: NodeContext) -> list[Value]:
    return [v for v in ctx.inputs() if v is not None]


@converter("SequenceConstruct", since=11)
def sequence_construct(ctx: NodeContext):
    return ctx.make("SequenceConstruct", 1, *_present(ctx))


@converter("SequenceEmpty", since=11)
def sequence_empty(ctx: NodeContext):
    dtype = element_type_of(ctx.attr("dtype", 1), f"ONNX node '{ctx.name}'")
    return ctx.make("SequenceEmpty", 1, element_type=dtype)


@converter("SequenceAt", since=11)
def sequence_at(ctx: NodeContext):
    return ctx.make("SequenceAt", 1, ctx.input(0), ctx.input(1))


@converter("SequenceInsert", since=11)
def sequence_insert(ctx: NodeContext):
    return ctx.make("SequenceInsert", 1, *_present(ctx))


@converter("SequenceErase", since=11)
def sequence_erase(ctx: NodeContext):
    return ctx.make("SequenceErase", 1, *_present(ctx))


@converter("SequenceLength", since=11)
def sequence_length(ctx: NodeContext):
    return ctx.make("SequenceLength", 1, ctx.input(0))


@converter("SplitToSequence", since=11)
def split_to_sequence(ctx: NodeContext):
    return ctx.make("SplitToSequence", 1, *_present(ctx), axis=ctx.attr("axis", 0),
                    keepdims=bool(ctx.attr("keepdims", 1)))


@converter("ConcatFromSequence", since=11)
def concat_from_sequence(ctx: NodeContext):
    return ctx.make("ConcatFromSequence", 1, ctx.input(0), axis=ctx.attr("axis"),
                    new_axis=bool(ctx.attr("new_axis", 0)))


@converter("Optional", since=15)
def optional(ctx: NodeContext):
    content = ctx.optional_input(0)
    if content is not None:
        return ctx.make("Optional", 1, content)
    if not ctx.has_attr("type"):
        raise ctx.error("an empty Optional needs its 'type' attribute")
    declared = value_type_of(ctx._attrs["type"].tp, f"ONNX node '{ctx.name}'")
    return ctx.make("Optional", 1, element_type=declared.element_type.name)


@converter("OptionalHasElement", since=15)
def optional_has_element(ctx: NodeContext):
    value = ctx.optional_input(0)
    if value is None or not is_optional(value.element_type):
        return ctx.const(np.array(value is not None))
    return ctx.make("OptionalHasElement", 1, value)


@converter("OptionalGetElement", since=15)
def optional_get_element(ctx: NodeContext):
    value = ctx.input(0)
    if not is_optional(value.element_type):
        return value
    return ctx.make("OptionalGetElement", 1, value)


@converter("SequenceMap", since=17)
def sequence_map(ctx: NodeContext):
    inputs = _present(ctx)
    flags = [1 if is_sequence(v.element_type) else 0 for v in inputs]
    types = [TensorType(item_type(v.element_type), DYNAMIC_RANK) if flag else v.type
             for v, flag in zip(inputs, flags)]
    body = ctx.importer.convert_body(ctx.attr("body"), ctx.scope, types)
    node = make_with_bodies(ctx, "SequenceMap", 1, inputs + body.captured_outer, [body],
                            sequence_inputs=flags + [0] * len(body.captured_outer),
                            num_results=len(body.graph.outputs))
    return list(node.outputs)

