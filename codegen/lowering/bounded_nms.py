"""NonMaxSuppression<9> on the device: greedy selection per batch item and class.

The outputs have their padded static size (batches * classes * min(boxes, max_output_boxes_per_
class) rows, the limit being a constant or a specialized input value); valid_outputs holds how
many rows are real, and a result cut to it is returned trimmed (vinify.bounded_outputs). The
kernel IR has no branches, so every step is written unconditionally and Select keeps what a
step that found nothing must not change. Boxes, scores and IoU are compared in f64, as the
reference does. One serial kernel selects (O(rounds * boxes) per class); a second ranks the
selected rows by score (stable, O(rows^2)) when sort_result_descending is set and writes the
outputs, padding the rest with -1. Soft-NMS (a non-zero soft_nms_sigma) is not compiled.
"""

from typing import Any

from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, kernel_dtype, lowers, static_shape
from vinify.errors import DeviceError

F64 = "f64"


def _scalar(ctx: LoweringContext, node: Any, index: int, default: float) -> K.Expr:
    if len(node.inputs) <= index:
        return K.Const(default, F64)
    return K.Cast(K.Load(ctx.buffer(node.inputs[index]), K.Const(0)), F64)


def _corners(boxes: K.Buffer, base: K.Expr, center: bool) -> list[K.Expr]:
    """[y_min, x_min, y_max, x_max] of the box whose 4 coordinates start at `base`."""
    a, b, c, d = (K.Cast(K.Load(boxes, K.add(base, k)), F64) for k in range(4))
    if center:  # [x_center, y_center, width, height]
        half = K.Const(0.5, F64)
        half_w, half_h = K.Binary("mul", c, half), K.Binary("mul", d, half)
        return [K.Binary("sub", b, half_h), K.Binary("sub", a, half_w),
                K.Binary("add", b, half_h), K.Binary("add", a, half_w)]
    return [K.Binary("min", a, c), K.Binary("min", b, d), K.Binary("max", a, c),
            K.Binary("max", b, d)]


def _iou(first: list[K.Expr], second: list[K.Expr]) -> K.Expr:
    zero = K.Const(0.0, F64)
    height = K.Binary("sub", K.Binary("min", first[2], second[2]),
                      K.Binary("max", first[0], second[0]))
    width = K.Binary("sub", K.Binary("min", first[3], second[3]),
                     K.Binary("max", first[1], second[1]))
    inter = K.Binary("mul", K.Binary("max", height, zero), K.Binary("max", width, zero))
    areas = [K.Binary("mul", K.Binary("sub", box[2], box[0]), K.Binary("sub", box[3], box[1]))
             for box in (first, second)]
    union = K.Binary("sub", K.Binary("add", areas[0], areas[1]), inter)
    valid = K.Binary("and", K.Binary("gt", union, zero),
                     K.Binary("and", K.Binary("gt", areas[0], zero),
                              K.Binary("gt", areas[1], zero)))
    return K.Select(valid, K.Binary("div", inter, K.Select(valid, union, K.Const(1.0, F64))),
                    zero)


def _select_round(buffers: dict, shape: tuple, b: K.Var, c: K.Var, center: bool,
                  iou_threshold: K.Expr) -> list[K.Stmt]:
    """One greedy round: the best alive box is recorded at row `total` (when there is one)
    and every alive box overlapping it more than the threshold dies."""
    classes, count, rows = shape
    j, best, best_score = K.Var("j"), K.Var("best"), K.Var("best_score", F64)
    alive, total = buffers["alive"], buffers["total"]
    score_base = K.mul(K.add(K.mul(b, classes), c), count)
    score = K.Cast(K.Load(buffers["scores"], K.add(score_base, j)), F64)
    better = K.Binary("and", K.Binary("ne", K.Load(alive, j), K.Const(0)),
                      K.Binary("gt", score, best_score))
    found = K.Binary("ge", best, K.Const(0))
    row = K.Binary("min", K.Load(total, K.Const(0)), K.Const(max(rows - 1, 0)))
    record = [K.Store(buffers[name], row, K.Select(found, value, K.Load(buffers[name], row)))
              for name, value in (("batch", b), ("klass", c), ("box", best),
                                  ("score", best_score))]
    chosen = K.Binary("max", best, K.Const(0))
    box_base = K.mul(b, count * 4)
    overlap = _iou(_corners(buffers["boxes"], K.add(box_base, K.mul(chosen, 4)), center),
                   _corners(buffers["boxes"], K.add(box_base, K.mul(j, 4)), center))
    dies = K.Binary("and", found, K.Binary("gt", overlap, iou_threshold))
    return [K.Let(best, K.Const(-1)), K.Let(best_score, K.Const(float("-inf"), F64)),
            K.Loop(j, K.Const(0), K.Const(count),
                   (K.Let(best, K.Select(better, j, best)),
                    K.Let(best_score, K.Select(better, score, best_score)))),
            *record,
            K.Store(total, K.Const(0), K.add(K.Load(total, K.Const(0)),
                                             K.Select(found, K.Const(1), K.Const(0)))),
            K.Loop(j, K.Const(0), K.Const(count),
                   (K.Store(alive, j, K.Select(dies, K.Const(0), K.Load(alive, j))),)),
            K.Store(alive, chosen, K.Select(found, K.Const(0), K.Load(alive, chosen)))]


def _selection_kernel(ctx: LoweringContext, node: Any, buffers: dict, dims: tuple) -> None:
    batches, classes, count, per_class, rows = dims
    b, c, j, r = K.Var("b"), K.Var("c"), K.Var("j"), K.Var("r")
    score_threshold = _scalar(ctx, node, 4, 0.0)
    score = K.Cast(K.Load(buffers["scores"], K.add(K.mul(K.add(K.mul(b, classes), c), count), j)),
                   F64)
    reset = K.Loop(j, K.Const(0), K.Const(count), (K.Store(
        buffers["alive"], j, K.Select(K.Binary("ge", score, score_threshold), K.Const(1),
                                      K.Const(0))),))
    rounds = K.Loop(r, K.Const(0), K.Const(per_class), tuple(_select_round(
        buffers, (classes, count, rows), b, c, node.attrs["box_encoding"] == "center",
        _scalar(ctx, node, 3, 0.0))))
    body = [K.Store(buffers["total"], K.Const(0), K.Const(0)),
            *K.loop_nest([b, c], [batches, classes], [reset, rounds])]
    ctx.emit("nms_select", body, node.describe())


def _rank(buffers: dict, i: K.Var, count: K.Expr, rows: int) -> list[K.Stmt]:
    """rank = how many selected rows come before row i: higher scores, or equal ones earlier."""
    j, rank = K.Var("j"), K.Var("rank")
    mine, theirs = K.Load(buffers["score"], i), K.Load(buffers["score"], j)
    before = K.Binary("or", K.Binary("gt", theirs, mine),
                      K.Binary("and", K.Binary("eq", theirs, mine), K.Binary("lt", j, i)))
    counted = K.Binary("and", K.Binary("lt", j, count), before)
    return [K.Let(rank, K.Const(0)),
            K.Loop(j, K.Const(0), K.Const(rows),
                   (K.Let(rank, K.add(rank, K.Select(counted, K.Const(1), K.Const(0)))),))]


def _output_kernel(ctx: LoweringContext, node: Any, buffers: dict, rows: int) -> None:
    indices, selected, valid = (ctx.output(v) for v in node.outputs)
    index_dtype, score_dtype = indices.dtype, selected.dtype
    i, count, rank = K.Var("i"), K.Var("count"), K.Var("rank")
    real = K.Binary("lt", i, count)
    ranking = _rank(buffers, i, count, rows) if node.attrs["sort_result_descending"] else \
        [K.Let(rank, i)]
    target = K.mul(K.Select(real, rank, i), 3)
    columns = [K.Load(buffers[name], i) for name in ("batch", "klass", "box")]
    stores = [K.Store(indices, K.add(target, k), K.Cast(K.Select(real, v, K.Const(-1)),
                                                         index_dtype))
              for k, v in enumerate(columns)]
    values = [K.Cast(columns[0], F64), K.Cast(columns[1], F64), K.Load(buffers["score"], i)]
    stores += [K.Store(selected, K.add(target, k), K.Cast(
        K.Select(real, v, K.Const(-1.0, F64)), score_dtype)) for k, v in enumerate(values)]
    body = [K.Let(count, K.Load(buffers["total"], K.Const(0))),
            K.Loop(i, K.Const(0), K.Const(rows), (*ranking, *stores)),
            K.Store(valid, K.Const(0), K.Cast(count, valid.dtype))]
    ctx.emit("nms_output", body, node.describe())


@lowers("NonMaxSuppression", dtypes=("i64", "i32"))
def lower_nms(ctx: LoweringContext, node: Any) -> None:
    if len(node.inputs) > 5:
        sigma = ctx.constant(node.inputs[5])
        if sigma is None or float(sigma.reshape(-1)[0]) != 0.0:
            raise DeviceError(f"CPU: {node.describe()}: soft-NMS (soft_nms_sigma) is not "
                              "compiled")
    batches, count, _ = static_shape(node.inputs[0])
    classes = static_shape(node.inputs[1])[1]
    rows = static_shape(node.outputs[0])[0]
    per_class = rows // max(batches * classes, 1)
    kernel_dtype(node.outputs[1])
    buffers = {"boxes": ctx.buffer(node.inputs[0]), "scores": ctx.buffer(node.inputs[1]),
               "alive": ctx.scratch("nms_alive", count, "i64"),
               "total": ctx.scratch("nms_total", 1, "i64"),
               "batch": ctx.scratch("nms_batch", rows, "i64"),
               "klass": ctx.scratch("nms_class", rows, "i64"),
               "box": ctx.scratch("nms_box", rows, "i64"),
               "score": ctx.scratch("nms_score", rows, F64)}
    _selection_kernel(ctx, node, buffers, (batches, classes, count, per_class, rows))
    _output_kernel(ctx, node, buffers, rows)
