"""Cast and CastLike onto Convert/ConvertLike."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter
from vinify.frontends.onnx.types import element_type_of


@converter("Cast", since=1)
def cast(ctx: NodeContext):
    target = element_type_of(ctx.attr("to"), f"ONNX node '{ctx.name}'")
    x = ctx.input(0)
    if x.element_type == target:
        return x
    return ctx.make("Convert", 1, x, destination_type=target)


@converter("CastLike", since=15)
def cast_like(ctx: NodeContext):
    x, like = ctx.input(0), ctx.input(1)
    if x.element_type == like.element_type:
        return x
    return ctx.make("ConvertLike", 1, x, like)
