"""Detection converters: NonMaxSuppression and RoiAlign.

ONNX keeps a box whose score is strictly above score_threshold, OpenVINO one at or above it;
a constant threshold is moved to the next representable value so that both agree.
"""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import convert, i64_const, to_scalar
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import f32, i64


def _score_threshold(ctx: NodeContext) -> Value:
    value = ctx.optional_input(4)
    if value is None:
        return ctx.const(np.asarray(np.finfo(np.float32).min, np.float32))
    known = ctx.const_value(value)
    if known is None:
        return convert(ctx, to_scalar(ctx, value), f32)
    threshold = np.float32(np.asarray(known).reshape(-1)[0])
    return ctx.const(np.nextafter(threshold, np.float32(np.inf)))


@converter("NonMaxSuppression", since=10)
def non_max_suppression(ctx: NodeContext) -> Value:
    boxes, scores = ctx.input(0), ctx.input(1)
    limit = ctx.optional_input(2)
    limit = i64_const(ctx, 0) if limit is None else convert(ctx, to_scalar(ctx, limit), i64)
    iou = ctx.optional_input(3)
    iou = ctx.const(np.float32(0)) if iou is None else convert(ctx, to_scalar(ctx, iou), f32)
    encoding = "center" if ctx.attr("center_point_box", 0) else "corner"
    node = ctx.make("NonMaxSuppression", 9, boxes, scores, limit, iou, _score_threshold(ctx),
                    box_encoding=encoding, sort_result_descending=False, output_type="i64")
    return as_value(ctx.make("Slice", 8, node.outputs[0], i64_const(ctx, [0]), node.outputs[2],
                             i64_const(ctx, [1]), i64_const(ctx, [0])))


@converter("RoiAlign", since=10)
def roi_align(ctx: NodeContext) -> Value:
    """RoiAlign-16 defaults to half_pixel coordinates; opset 10 used output_half_pixel."""
    default = "half_pixel" if ctx.opset >= 16 else "output_half_pixel"
    coordinates = ctx.attr("coordinate_transformation_mode", default)
    aligned = "half_pixel" if coordinates == "half_pixel" else "asymmetric"
    return as_value(ctx.make("ROIAlign", 9, ctx.input(0), ctx.input(1),
                             convert(ctx, ctx.input(2), i64),
                             pooled_h=ctx.attr("output_height", 1),
                             pooled_w=ctx.attr("output_width", 1),
                             sampling_ratio=ctx.attr("sampling_ratio", 0),
                             spatial_scale=ctx.attr("spatial_scale", 1.0),
                             mode=ctx.attr("mode", "avg"), aligned_mode=aligned))


@converter("MaxRoiPool", since=1)
def max_roi_pool(ctx: NodeContext) -> Value:
    pooled_h, pooled_w = ctx.attr("pooled_shape")
    return as_value(ctx.make("ROIPooling", 2, ctx.input(0), ctx.input(1), pooled_h=pooled_h,
                             pooled_w=pooled_w, spatial_scale=ctx.attr("spatial_scale", 1.0),
                             method="max"))
