"""DeformableConvolution<8> in two kernels: deformed columns, then a grouped contraction.

The first kernel samples, for every (batch, channel, kernel tap, output position), the input at
the tap's regular position plus its learned (y, x) offset, bilinearly from the four neighbours
(a neighbour off the image weighs 0), times the tap's mask; without bilinear_interpolation_pad a
point off the image reads 0 altogether. These columns [N, C, kh, kw, OH, OW] go to scratch. The
second kernel sums filters times columns over each group's channels and the taps. Both loops
are parallel over their outermost (batch * channels) axis. The reference computes in f64.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape

PARALLEL_MIN_ELEMENTS = 4096


def _f(value: float) -> K.Const:
    return K.Const(float(value), "f32")


def _b(op: str, a: K.Expr, b: K.Expr | int | float) -> K.Expr:
    if isinstance(b, K.Expr):
        return K.Binary(op, a, b)
    return K.Binary(op, a, _f(b) if a.dtype == "f32" else K.Const(b))


def _bilinear(data: K.Buffer, plane: K.Expr, y: K.Var, x: K.Var, size: tuple[int, int],
              lets: list[K.Stmt]) -> K.Expr:
    """Sum over the four neighbours of (y, x) of weight * data, zero weight off the image."""
    height, width = size
    y0, x0 = K.Var("y0", "f32"), K.Var("x0", "f32")
    lets += [K.Let(y0, K.Unary("floor", y)), K.Let(x0, K.Unary("floor", x))]
    total: K.Expr | None = None
    for dy, dx in ((0, 0), (0, 1), (1, 0), (1, 1)):
        row, col = _b("add", y0, float(dy)), _b("add", x0, float(dx))
        inside = _b("and", _b("and", _b("ge", row, 0.0), _b("le", row, height - 1.0)),
                    _b("and", _b("ge", col, 0.0), _b("le", col, width - 1.0)))
        weight = _b("mul", _b("sub", _f(1.0), K.Unary("abs", _b("sub", y, row))),
                    _b("sub", _f(1.0), K.Unary("abs", _b("sub", x, col))))
        clipped_row = K.Cast(_b("min", _b("max", row, 0.0), height - 1.0), "i64")
        clipped_col = K.Cast(_b("min", _b("max", col, 0.0), width - 1.0), "i64")
        index = _b("add", _b("mul", _b("add", _b("mul", plane, height), clipped_row), width),
                   clipped_col)
        term = K.Select(inside, _b("mul", K.Load(data, index), weight), _f(0.0))
        total = term if total is None else _b("add", total, term)
    return total


def _emit_columns(ctx: LoweringContext, node: Any, columns: K.Buffer) -> None:
    attrs = node.attrs
    n, channels, height, width = static_shape(node.inputs[0])
    _, _, kh, kw = static_shape(node.inputs[2])
    out_h, out_w = static_shape(node.outputs[0])[2:]
    per_group = channels // attrs["deformable_group"]
    (sh, sw), (dh, dw) = attrs["strides"], attrs["dilations"]
    top, left = attrs["pads_begin"]
    data, offsets = ctx.buffer(node.inputs[0]), ctx.buffer(node.inputs[1])
    mask = ctx.buffer(node.inputs[3]) if len(node.inputs) > 3 else None
    plane, ky, kx, oy, ox = (K.Var(name) for name in ("plane", "ky", "kx", "oy", "ox"))
    batch, group = _b("div", plane, channels), _b("div", _b("rem", plane, channels), per_group)
    tap = _b("add", _b("add", _b("mul", group, kh * kw), _b("mul", ky, kw)), kx)
    position = _b("add", _b("mul", oy, out_w), ox)
    taps_total = attrs["deformable_group"] * kh * kw

    def offset(component: int) -> K.Expr:
        row = _b("add", _b("mul", batch, 2 * taps_total), _b("add", _b("mul", tap, 2), component))
        return K.Load(offsets, _b("add", _b("mul", row, out_h * out_w), position))

    y, x = K.Var("y", "f32"), K.Var("x", "f32")
    base_y = _b("add", _b("sub", _b("mul", oy, sh), top), _b("mul", ky, dh))
    base_x = _b("add", _b("sub", _b("mul", ox, sw), left), _b("mul", kx, dw))
    lets: list[K.Stmt] = [K.Let(y, _b("add", K.Cast(base_y, "f32"), offset(0))),
                          K.Let(x, _b("add", K.Cast(base_x, "f32"), offset(1)))]
    value = _bilinear(data, plane, y, x, (height, width), lets)
    if mask is not None:
        row = _b("add", _b("mul", batch, taps_total), tap)
        value = _b("mul", value, K.Load(mask, _b("add", _b("mul", row, out_h * out_w),
                                                  position)))
    if not attrs["bilinear_interpolation_pad"]:
        on_image = _b("and", _b("and", _b("ge", y, 0.0), _b("le", y, height - 1.0)),
                      _b("and", _b("ge", x, 0.0), _b("le", x, width - 1.0)))
        value = K.Select(on_image, value, _f(0.0))
    target = K.index_of([plane, ky, kx, oy, ox], [kh * kw * out_h * out_w, kw * out_h * out_w,
                                                  out_h * out_w, out_w, 1])
    extents = [n * channels, kh, kw, out_h, out_w]
    parallel = n * channels > 1 and int(np.prod(extents)) >= PARALLEL_MIN_ELEMENTS
    nest = K.loop_nest([plane, ky, kx, oy, ox], extents, lets + [K.Store(columns, target, value)],
                       parallel)
    ctx.emit("deformable_columns", nest, node.describe())


def _emit_contraction(ctx: LoweringContext, node: Any, columns: K.Buffer) -> None:
    n, channels = static_shape(node.inputs[0])[:2]
    outs, per_in, kh, kw = static_shape(node.inputs[2])
    out_h, out_w = static_shape(node.outputs[0])[2:]
    per_out = outs // node.attrs["group"]
    filters, out = ctx.buffer(node.inputs[2]), ctx.output(node.outputs[0])
    plane, oy, ox, c, t = (K.Var(name) for name in ("plane", "oy", "ox", "c", "t"))
    batch, o = _b("div", plane, outs), _b("rem", plane, outs)
    channel = _b("add", _b("mul", _b("div", o, per_out), per_in), c)
    taps, area = kh * kw, out_h * out_w
    column = _b("add", _b("mul", _b("add", _b("mul", _b("add", _b("mul", batch, channels),
                                                        channel), taps), t), area),
                _b("add", _b("mul", oy, out_w), ox))
    weight = K.Load(filters, _b("add", _b("mul", _b("add", _b("mul", o, per_in), c), taps), t))
    acc = K.Var("acc", "f32")
    summed = K.loop_nest([c, t], [per_in, taps], [
        K.Let(acc, K.Fma(weight, K.Load(columns, column), acc))])
    body = [K.Let(acc, _f(0.0)), *summed,
            K.Store(out, K.index_of([plane, oy, ox], [area, out_w, 1]), acc)]
    parallel = n * outs > 1 and n * outs * area >= PARALLEL_MIN_ELEMENTS // 4
    ctx.emit("deformable_conv", K.loop_nest([plane, oy, ox], [n * outs, out_h, out_w], body,
                                            parallel), node.describe())


@lowers("DeformableConvolution")
def lower_deformable_convolution(ctx: LoweringContext, node: Any) -> None:
    n, channels = static_shape(node.inputs[0])[:2]
    _, _, kh, kw = static_shape(node.inputs[2])
    out_h, out_w = static_shape(node.outputs[0])[2:]
    columns = ctx.scratch("deformable_columns", n * channels * kh * kw * out_h * out_w)
    _emit_columns(ctx, node, columns)
    _emit_contraction(ctx, node, columns)
