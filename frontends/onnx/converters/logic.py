"""Comparison, logic, bitwise and selection: Equal/Less/Greater..., And/Or/Xor/Not, Bitwise*,
BitShift, Where. ONNX broadcasts them multidirectionally, like numpy."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.elementwise import binary
from vinify.frontends.onnx.registry import converter

_BINARY = {
    "Equal": "Equal", "Less": "Less", "LessOrEqual": "LessEqual", "Greater": "Greater",
    "GreaterOrEqual": "GreaterEqual", "And": "LogicalAnd", "Or": "LogicalOr",
    "Xor": "LogicalXor",
}


def _binary_converter(op_name: str, version: int = 1):
    def convert(ctx: NodeContext):
        return binary(ctx, op_name, version)

    convert.__name__ = f"convert_{op_name}"
    return convert


for _onnx_name, _op_name in _BINARY.items():
    converter(_onnx_name, since=1)(_binary_converter(_op_name))

for _onnx_name in ("BitwiseAnd", "BitwiseOr", "BitwiseXor"):
    converter(_onnx_name, since=18)(_binary_converter(_onnx_name, 13))


@converter("Not", since=1)
def not_(ctx: NodeContext):
    return ctx.make("LogicalNot", 1, ctx.input(0))


@converter("BitwiseNot", since=18)
def bitwise_not(ctx: NodeContext):
    return ctx.make("BitwiseNot", 13, ctx.input(0))


@converter("BitShift", since=11)
def bit_shift(ctx: NodeContext):
    direction = ctx.attr("direction")
    if direction not in ("LEFT", "RIGHT"):
        raise ctx.error(f"direction must be LEFT or RIGHT, got {direction!r}")
    op_name = "BitwiseLeftShift" if direction == "LEFT" else "BitwiseRightShift"
    return ctx.make(op_name, 15, ctx.input(0), ctx.input(1))


@converter("Where", since=9)
def where(ctx: NodeContext):
    return ctx.make("Select", 1, ctx.input(0), ctx.input(1), ctx.input(2))
