"""ImageDecoder onto vinify's internal ImageDecoder op (ops/onnx_image.py)."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter


@converter("ImageDecoder", since=20)
def image_decoder(ctx: NodeContext):
    return ctx.make("ImageDecoder", 1, ctx.input(0), pixel_format=ctx.attr("pixel_format", "RGB"))
