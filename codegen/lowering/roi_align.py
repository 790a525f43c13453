"""ROIAlign<9>: per box, channel and bin, the average (or max) of bilinear samples on a grid.

The boxes and their batch indices are read at run time, so each box's origin, bin size and (for
sampling_ratio 0) sampling grid are computed in the kernel; the grid loops then run to a bound
known only at run time. Sampling follows the reference exactly: a point beyond one pixel off the
plane gives 0, a point is clamped to the plane's last row/column, and max mode takes the largest
of weight * value over the four neighbours. A batch index out of range is clamped (never reads
foreign memory). Computed in f64 as the reference is: a bin size that is an integer in f64 can
be just above it in f32, and its ceiling (the adaptive grid) would then differ by a whole row.
"""

from typing import Any

from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape

PARALLEL_MIN_ELEMENTS = 1024
WIDE = "f64"


def _f(value: float) -> K.Const:
    return K.Const(float(value), WIDE)


def _wide(value: K.Expr) -> K.Expr:
    return value if value.dtype == WIDE else K.Cast(value, WIDE)


def _b(op: str, a: K.Expr, b: K.Expr | int | float) -> K.Expr:
    if isinstance(b, K.Expr):
        return K.Binary(op, a, b)
    return K.Binary(op, a, _f(b) if a.dtype == WIDE else K.Const(b))


def _let(lets: list[K.Stmt], name: str, value: K.Expr) -> K.Var:
    var = K.Var(name, value.dtype)
    lets.append(K.Let(var, value))
    return var


def _axis_taps(lets: list[K.Stmt], name: str, coordinate: K.Expr, size: int):
    """(low index, high index, weight of high) along one axis, as the reference clamps."""
    clamped = _let(lets, name + "_c", _b("max", coordinate, 0.0))
    low = _let(lets, name + "_low", K.Unary("floor", clamped))
    at_end = _let(lets, name + "_end", _b("ge", low, size - 1.0))
    low = _let(lets, name + "_lo", K.Select(at_end, _f(size - 1.0), low))
    high = K.Select(at_end, _f(size - 1.0), _b("add", low, 1.0))
    fraction = _let(lets, name + "_frac", K.Select(at_end, _f(0.0), _b("sub", clamped, low)))
    return K.Cast(low, "i64"), K.Cast(high, "i64"), fraction


def _sample(lets: list[K.Stmt], data: K.Buffer, plane: K.Expr, y: K.Expr, x: K.Expr,
            size: tuple[int, int], mode: str) -> K.Expr:
    """The sample at (y, x): sum of weight * value (avg) or their max (max), 0 off the plane."""
    height, width = size
    outside = _b("or", _b("or", _b("lt", y, -1.0), _b("gt", y, float(height))),
                 _b("or", _b("lt", x, -1.0), _b("gt", x, float(width))))
    y_low, y_high, ly = _axis_taps(lets, "sy", y, height)
    x_low, x_high, lx = _axis_taps(lets, "sx", x, width)
    hy, hx = _b("sub", _f(1.0), ly), _b("sub", _f(1.0), lx)
    taps = [(y_low, x_low, _b("mul", hy, hx)), (y_low, x_high, _b("mul", hy, lx)),
            (y_high, x_low, _b("mul", ly, hx)), (y_high, x_high, _b("mul", ly, lx))]
    result: K.Expr | None = None
    for row, col, weight in taps:
        index = _b("add", _b("mul", _b("add", _b("mul", plane, height), row), width), col)
        term = _b("mul", _wide(K.Load(data, index)), weight)
        result = term if result is None else _b("add" if mode == "avg" else "max", result, term)
    return K.Select(outside, _f(0.0), result)


def _box(lets: list[K.Stmt], attrs: dict, rois: K.Buffer, r: K.Var) -> dict:
    """The box's origin, bin sizes and sampling grid, computed once per box."""
    offset = 0.0 if attrs["aligned_mode"] == "asymmetric" else 0.5
    scale = attrs["spatial_scale"]
    corner = [_wide(K.Load(rois, _b("add", _b("mul", r, 4), k))) for k in range(4)]
    scaled = [_b("sub", _b("mul", c, scale), offset) for c in corner]
    x0, y0 = _let(lets, "x0", scaled[0]), _let(lets, "y0", scaled[1])
    width, height = _b("sub", scaled[2], x0), _b("sub", scaled[3], y0)
    if attrs["aligned_mode"] == "asymmetric":
        width, height = _b("max", width, 1.0), _b("max", height, 1.0)
    bin_h = _let(lets, "bin_h", _b("div", height, float(attrs["pooled_h"])))
    bin_w = _let(lets, "bin_w", _b("div", width, float(attrs["pooled_w"])))
    ratio = attrs["sampling_ratio"]
    grid_h = K.Const(ratio) if ratio > 0 else _let(lets, "grid_h", K.Cast(
        K.Unary("ceil", bin_h), "i64"))
    grid_w = K.Const(ratio) if ratio > 0 else _let(lets, "grid_w", K.Cast(
        K.Unary("ceil", bin_w), "i64"))
    return {"x0": x0, "y0": y0, "bin_h": bin_h, "bin_w": bin_w, "grid_h": grid_h,
            "grid_w": grid_w}


@lowers("ROIAlign")
def lower_roi_align(ctx: LoweringContext, node: Any) -> None:
    attrs = node.attrs
    batch, channels, height, width = static_shape(node.inputs[0])
    count = static_shape(node.inputs[1])[0]
    pooled_h, pooled_w = attrs["pooled_h"], attrs["pooled_w"]
    data, rois, indices = (ctx.buffer(v) for v in node.inputs)
    out = ctx.output(node.outputs[0])
    r, c, ph, pw, iy, ix = (K.Var(name) for name in ("r", "c", "ph", "pw", "iy", "ix"))
    box_lets: list[K.Stmt] = []
    box = _box(box_lets, attrs, rois, r)
    image = K.Cast(K.Load(indices, r), "i64")
    image = _let(box_lets, "image", _b("min", _b("max", image, 0), batch - 1))
    grid_h_f, grid_w_f = _wide(box["grid_h"]), _wide(box["grid_w"])
    point_lets: list[K.Stmt] = []
    y = _let(point_lets, "py", _b("add", _b("add", box["y0"], _b("mul", _wide(ph), box[
        "bin_h"])), _b("div", _b("mul", _b("add", _wide(iy), 0.5), box["bin_h"]),
                       grid_h_f)))
    x = _let(point_lets, "px", _b("add", _b("add", box["x0"], _b("mul", _wide(pw), box[
        "bin_w"])), _b("div", _b("mul", _b("add", _wide(ix), 0.5), box["bin_w"]),
                       grid_w_f)))
    plane = _b("add", _b("mul", image, channels), c)
    sample = _sample(point_lets, data, plane, y, x, (height, width), attrs["mode"])
    acc = K.Var("acc", WIDE)
    fold = "add" if attrs["mode"] == "avg" else "max"
    points = K.Loop(iy, K.Const(0), box["grid_h"], (K.Loop(ix, K.Const(0), box["grid_w"], (
        *point_lets, K.Let(acc, _b(fold, acc, sample)))),))
    total = _b("mul", box["grid_h"], box["grid_w"])
    result = _b("div", acc, _wide(total)) if fold == "add" else acc
    result = K.Cast(K.Select(_b("gt", total, 0), result, _f(0.0)), out.dtype)
    target = K.index_of([r, c, ph, pw], [channels * pooled_h * pooled_w, pooled_h * pooled_w,
                                         pooled_w, 1])
    start = _f(0.0) if fold == "add" else _f(float("-inf"))
    cell = [K.Let(acc, start), points, K.Store(out, target, result)]
    inner = K.loop_nest([c, ph, pw], [channels, pooled_h, pooled_w], cell)
    parallel = count > 1 and count * channels * pooled_h * pooled_w >= PARALLEL_MIN_ELEMENTS
    nest = K.Loop(r, K.Const(0), K.Const(count), tuple(box_lets + inner), parallel=parallel)
    ctx.emit("roi_align", [nest], node.describe())
