"""Detection ops: NonMaxSuppression<9> and ROIAlign<9> (OpenVINO opset semantics).

NonMaxSuppression's outputs have a fixed length (every class of every batch item may select up
to min(num_boxes, max_output_boxes_per_class) boxes); rows past `valid_outputs` are -1.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import DYNAMIC, Dimension, PartialShape, TensorType
from vinify.types import element_type


def _corners(boxes: np.ndarray, center: bool) -> np.ndarray:
    """Boxes as [y_min, x_min, y_max, x_max] from corner or center ([xc, yc, w, h]) encoding."""
    boxes = boxes.astype(np.float64)
    if center:
        xc, yc, w, h = boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]
        return np.stack([yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2], axis=-1)
    y1, x1, y2, x2 = boxes[..., 0], boxes[..., 1], boxes[..., 2], boxes[..., 3]
    return np.stack([np.minimum(y1, y2), np.minimum(x1, x2), np.maximum(y1, y2),
                     np.maximum(x1, x2)], axis=-1)


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Intersection over union of one corner box with each of `others`."""
    top = np.maximum(box[0], others[:, 0])
    left = np.maximum(box[1], others[:, 1])
    bottom = np.minimum(box[2], others[:, 2])
    right = np.minimum(box[3], others[:, 3])
    inter = np.clip(bottom - top, 0, None) * np.clip(right - left, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    union = area + areas - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((union > 0) & (area > 0) & (areas > 0), inter / union, 0.0)


def select_boxes(boxes: np.ndarray, scores: np.ndarray, limit: int, iou_threshold: float,
                 score_threshold: float, sigma: float) -> list[tuple[int, float]]:
    """Greedy (or soft, sigma > 0) suppression for one class: (box index, score) pairs."""
    scores = scores.astype(np.float64).copy()
    alive = scores >= score_threshold
    chosen: list[tuple[int, float]] = []
    while len(chosen) < limit and alive.any():
        candidates = np.flatnonzero(alive)
        best = candidates[np.argmax(scores[candidates])]  # first index among equal scores
        if scores[best] < score_threshold:
            break
        chosen.append((int(best), float(scores[best])))
        alive[best] = False
        overlap = _iou(boxes[best], boxes)
        if sigma > 0:
            scores = np.where(overlap <= iou_threshold,
                              scores * np.exp(-0.5 * overlap * overlap / sigma), 0.0)
        else:
            alive &= overlap <= iou_threshold
        alive &= scores >= score_threshold
    return chosen


def _scalar(arrays: tuple, index: int, default: float) -> float:
    return float(np.asarray(arrays[index]).reshape(-1)[0]) if len(arrays) > index else default


@register
class NonMaxSuppression(Op):
    """boxes [B, N, 4], scores [B, C, N], optional max_output_boxes_per_class, iou_threshold,
    score_threshold, soft_nms_sigma -> selected_indices [M, 3], selected_scores [M, 3],
    valid_outputs [1]."""

    name, version = "NonMaxSuppression", 9
    num_inputs = (2, 6)
    attributes = (Attr("box_encoding", "str", "corner", ("corner", "center")),
                  Attr("sort_result_descending", "bool", True),
                  Attr("output_type", "type", element_type("i64")))

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 3

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        boxes, scores = ctx.shape(0), ctx.shape(1)
        if boxes.rank_is_static and (boxes.rank != 3 or not boxes[2].compatible(
                Dimension.of(4))):
            raise ctx.error(f"boxes must be [batches, boxes, 4], got {boxes}")
        if scores.rank_is_static and scores.rank != 3:
            raise ctx.error(f"scores must be [batches, classes, boxes], got {scores}")
        rows = cls._rows(ctx, boxes, scores)
        index_type = ctx.attrs["output_type"]
        elem = ctx.element_type(1)
        return [TensorType(index_type, PartialShape((rows, Dimension.of(3)))),
                TensorType(elem, PartialShape((rows, Dimension.of(3)))),
                TensorType(index_type, PartialShape.of([1]))]

    @classmethod
    def _rows(cls, ctx: InferContext, boxes: PartialShape, scores: PartialShape) -> Dimension:
        if not (boxes.is_static and scores.is_static):
            return DYNAMIC
        batches, count = boxes.to_tuple()[:2]
        classes = scores.to_tuple()[1]
        limit = ctx.const(2) if len(ctx.input_types) > 2 else np.zeros(1)
        if limit is None:
            return DYNAMIC
        per_class = min(count, max(int(np.asarray(limit).reshape(-1)[0]), 0))
        return Dimension.of(batches * classes * per_class)

    @classmethod
    def evaluate(cls, attrs: dict, boxes, scores, *rest):
        limit = int(_scalar(rest, 0, 0))
        iou, low, sigma = _scalar(rest, 1, 0.0), _scalar(rest, 2, 0.0), _scalar(rest, 3, 0.0)
        corners = _corners(boxes, attrs["box_encoding"] == "center")
        found = []
        for batch in range(scores.shape[0]):
            for klass in range(scores.shape[1]):
                for index, score in select_boxes(corners[batch], scores[batch, klass],
                                                 max(limit, 0), iou, low, sigma):
                    found.append((batch, klass, index, score))
        if attrs["sort_result_descending"]:
            found.sort(key=lambda item: -item[3])
        rows = scores.shape[0] * scores.shape[1] * min(boxes.shape[1], max(limit, 0))
        dtype = attrs["output_type"].dtype
        indices = np.full((rows, 3), -1, dtype)
        selected = np.full((rows, 3), -1, scores.dtype)
        for row, (batch, klass, index, score) in enumerate(found):
            indices[row] = (batch, klass, index)
            selected[row] = (batch, klass, score)
        return indices, selected, np.array([len(found)], dtype)


def _bilinear(plane: np.ndarray, y: float, x: float) -> tuple[list[float], list[float]]:
    """The four neighbour values and weights of (y, x) on a [H, W] plane (zero outside)."""
    height, width = plane.shape
    if y < -1.0 or y > height or x < -1.0 or x > width:
        return [0.0] * 4, [0.0] * 4
    y, x = max(y, 0.0), max(x, 0.0)
    y_low, x_low = int(y), int(x)
    if y_low >= height - 1:
        y_low = y_high = height - 1
        y = float(y_low)
    else:
        y_high = y_low + 1
    if x_low >= width - 1:
        x_low = x_high = width - 1
        x = float(x_low)
    else:
        x_high = x_low + 1
    ly, lx = y - y_low, x - x_low
    hy, hx = 1.0 - ly, 1.0 - lx
    values = [plane[y_low, x_low], plane[y_low, x_high], plane[y_high, x_low],
              plane[y_high, x_high]]
    return values, [hy * hx, hy * lx, ly * hx, ly * lx]


@register
class ROIAlign(Op):
    """data [N, C, H, W], rois [R, 4] (x1, y1, x2, y2), batch_indices [R] ->
    [R, C, pooled_h, pooled_w]; each bin averages (or takes the max of) bilinear samples."""

    name, version = "ROIAlign", 9
    num_inputs = (3, 3)
    attributes = (Attr("pooled_h", "int"), Attr("pooled_w", "int"),
                  Attr("sampling_ratio", "int"), Attr("spatial_scale", "float"),
                  Attr("mode", "str", "avg", ("avg", "max")),
                  Attr("aligned_mode", "str", "asymmetric",
                       ("asymmetric", "half_pixel_for_nn", "half_pixel")))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        data, rois = ctx.shape(0), ctx.shape(1)
        if data.rank_is_static and data.rank != 4:
            raise ctx.error(f"data must be [N, C, H, W], got {data}")
        if rois.rank_is_static and rois.rank != 2:
            raise ctx.error(f"rois must be [num_rois, 4], got {rois}")
        count = rois[0] if rois.rank_is_static else DYNAMIC
        channels = data[1] if data.rank_is_static else DYNAMIC
        dims = (count, channels, Dimension.of(ctx.attrs["pooled_h"]),
                Dimension.of(ctx.attrs["pooled_w"]))
        return [TensorType(ctx.element_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, attrs: dict, data, rois, batch_indices):
        pooled = (attrs["pooled_h"], attrs["pooled_w"])
        output = np.zeros((rois.shape[0], data.shape[1]) + pooled, np.float64)
        for r in range(rois.shape[0]):
            planes = data[int(batch_indices[r])].astype(np.float64)
            output[r] = cls._pool_roi(attrs, planes, rois[r].astype(np.float64))
        return output.astype(data.dtype)

    @classmethod
    def _pool_roi(cls, attrs: dict, planes: np.ndarray, roi: np.ndarray) -> np.ndarray:
        offset = 0.0 if attrs["aligned_mode"] == "asymmetric" else 0.5
        scale = attrs["spatial_scale"]
        x0, y0 = roi[0] * scale - offset, roi[1] * scale - offset
        width, height = roi[2] * scale - offset - x0, roi[3] * scale - offset - y0
        if attrs["aligned_mode"] == "asymmetric":
            width, height = max(width, 1.0), max(height, 1.0)
        bin_h, bin_w = height / attrs["pooled_h"], width / attrs["pooled_w"]
        ratio = attrs["sampling_ratio"]
        grid_h = ratio if ratio > 0 else int(np.ceil(bin_h))
        grid_w = ratio if ratio > 0 else int(np.ceil(bin_w))
        result = np.zeros((planes.shape[0], attrs["pooled_h"], attrs["pooled_w"]))
        for ph in range(attrs["pooled_h"]):
            for pw in range(attrs["pooled_w"]):
                points = [(y0 + ph * bin_h + (iy + 0.5) * bin_h / grid_h,
                           x0 + pw * bin_w + (ix + 0.5) * bin_w / grid_w)
                          for iy in range(grid_h) for ix in range(grid_w)]
                result[:, ph, pw] = [cls._bin(attrs["mode"], plane, points) for plane in planes]
        return result

    @staticmethod
    def _bin(mode: str, plane: np.ndarray, points: list[tuple[float, float]]) -> float:
        if not points:
            return 0.0
        samples = [_bilinear(plane, y, x) for y, x in points]
        if mode == "avg":
            return sum(float(np.dot(v, w)) for v, w in samples) / len(points)
        return max(max(v * w for v, w in zip(values, weights)) for values, weights in samples)



def _max_pool_roi(planes: np.ndarray, roi: np.ndarray, pooled: tuple[int, int],
                  scale: float) -> np.ndarray:
    """Max over the integer bins of one box (Caffe-style rounding; empty bins give 0)."""
    height, width = planes.shape[1:]
    x1, y1, x2, y2 = (int(np.floor(v * scale + 0.5)) for v in roi)
    roi_h, roi_w = max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1)
    bin_h, bin_w = roi_h / pooled[0], roi_w / pooled[1]
    result = np.zeros((planes.shape[0],) + pooled, planes.dtype)
    for ph in range(pooled[0]):
        top = min(max(int(np.floor(ph * bin_h)) + y1, 0), height)
        bottom = min(max(int(np.ceil((ph + 1) * bin_h)) + y1, 0), height)
        for pw in range(pooled[1]):
            left = min(max(int(np.floor(pw * bin_w)) + x1, 0), width)
            right = min(max(int(np.ceil((pw + 1) * bin_w)) + x1, 0), width)
            if bottom > top and right > left:
                result[:, ph, pw] = planes[:, top:bottom, left:right].max(axis=(1, 2))
    return result


@register
class ROIPooling(Op):
    """feature map [N, C, H, W], rois [R, 5] (batch, x1, y1, x2, y2) -> [R, C, pooled_h,
    pooled_w]. The reference implements the `max` method."""

    name, version = "ROIPooling", 2
    num_inputs = (2, 2)
    attributes = (Attr("pooled_h", "int"), Attr("pooled_w", "int"),
                  Attr("spatial_scale", "float"),
                  Attr("method", "str", "max", ("max", "bilinear")))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        data, rois = ctx.shape(0), ctx.shape(1)
        if data.rank_is_static and data.rank != 4:
            raise ctx.error(f"feature map must be [N, C, H, W], got {data}")
        if rois.rank_is_static and (rois.rank != 2 or not rois[1].compatible(Dimension.of(5))):
            raise ctx.error(f"rois must be [num_rois, 5], got {rois}")
        count = rois[0] if rois.rank_is_static else DYNAMIC
        channels = data[1] if data.rank_is_static else DYNAMIC
        dims = (count, channels, Dimension.of(ctx.attrs["pooled_h"]),
                Dimension.of(ctx.attrs["pooled_w"]))
        return [TensorType(ctx.element_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, attrs: dict, data, rois):
        if attrs["method"] != "max":
            raise NotImplementedError("ROIPooling's bilinear method has no reference yet")
        pooled = (attrs["pooled_h"], attrs["pooled_w"])
        boxes = [_max_pool_roi(data[int(roi[0])], roi[1:], pooled, attrs["spatial_scale"])
                 for roi in rois]
        return np.stack(boxes) if boxes else np.zeros((0, data.shape[1]) + pooled, data.dtype)
