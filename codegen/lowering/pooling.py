"""MaxPool and AvgPool over 2-D windows (NCHW), vectorized along the output width.

Each lane reads its own window column (a contiguous masked load for stride 1, a gather
otherwise); lanes outside the input read nothing and count as -inf (max) or 0 (average). Average
divisors (which depend on exclude-pad and ceil-mode tails) are computed at compile time into a
per-output-position table of reciprocals.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering import pool_nd
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape
from vinify.codegen.lowering.elementwise import PARALLEL_MIN_ELEMENTS
from vinify.errors import DeviceError


def _geometry(node: Any) -> tuple[tuple, list]:
    from vinify.ops.pooling import pool_geometry

    shape = static_shape(node.inputs[0])
    if len(shape) != 4:
        raise DeviceError(f"CPU: {node.describe()}: only 2-D pooling (NCHW) is compiled")
    return shape, pool_geometry(node.attrs, shape[2:])


def average_reciprocals(node: Any, shape: tuple, geometry: list) -> np.ndarray:
    """1 / (number of window positions counted) for each output position, [OH * OW]."""
    from vinify.ops.pooling import window_pads

    attrs = node.attrs
    counts = []
    for axis, (begin, _, out) in enumerate(geometry):
        size, kernel, stride = shape[2 + axis], attrs["kernel"][axis], attrs["strides"][axis]
        explicit_end = window_pads(size, kernel, stride, attrs["auto_pad"],
                                   attrs["pads_begin"][axis], attrs["pads_end"][axis])[1]
        low, high = (begin, begin + size) if attrs["exclude-pad"] else (
            0, begin + size + explicit_end)
        positions = np.arange(out)[:, None] * stride + np.arange(kernel)[None, :]
        counts.append(((positions >= low) & (positions < high)).sum(axis=1))
    total = np.multiply.outer(counts[0], counts[1]).astype(np.float64)
    with np.errstate(divide="ignore"):
        return (1.0 / total).reshape(-1)


@lowers("MaxPool", "AvgPool")
def lower_pool(ctx: LoweringContext, node: Any) -> None:
    if pool_nd.takes_pool(node):  # not 2-D, indices wanted, or not f32
        pool_nd.lower_pool_nd(ctx, node)
        return
    shape, geometry = _geometry(node)
    is_max = node.op.name == "MaxPool"
    dilations = tuple(node.attrs.get("dilations") or (1, 1)) if is_max else (1, 1)
    x, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    recip = None if is_max else ctx.add_weights(
        (node.name or "avgpool") + "_recip", average_reciprocals(node, shape, geometry))
    window = _Window(shape, geometry, tuple(node.attrs["kernel"]), tuple(node.attrs["strides"]),
                     dilations, ctx.target.vector_lanes)
    body = window.statements(x, out, recip)
    ctx.emit("maxpool" if is_max else "avgpool", body, node.describe())


class _Window:
    def __init__(self, shape, geometry, kernel, strides, dilations, lanes):
        self.height, self.width = shape[2], shape[3]
        self.planes = shape[0] * shape[1]
        self.pad = (geometry[0][0], geometry[1][0])
        self.out_h, self.out_w = geometry[0][2], geometry[1][2]
        self.kernel, self.strides, self.dilations = kernel, strides, dilations
        self.lanes = lanes

    def statements(self, x: K.Buffer, out: K.Buffer, recip: K.Buffer | None) -> list[K.Stmt]:
        lanes = self.lanes
        plane, oh, ow, kh, kw = (K.Var(n) for n in ("plane", "oh", "ow", "kh", "kw"))
        acc = K.Var("acc", "f32", lanes)
        initial = K.Const(0.0 if recip is not None else float("-inf"), "f32", lanes)
        value, mask = self._load(x, plane, oh, ow, kh, kw)
        if recip is None:
            update = K.Binary("max", acc, K.Select(mask, value, initial))
        else:
            update = K.Binary("add", acc, value)
        inner = K.Loop(kh, K.Const(0), K.Const(self.kernel[0]), (
            K.Loop(kw, K.Const(0), K.Const(self.kernel[1]), (K.Let(acc, update),)),))
        ow_mask = K.LaneMask(K.Binary("sub", K.Const(self.out_w), ow), lanes)
        position = K.Binary("add", K.Binary("mul", oh, K.Const(self.out_w)), ow)
        result: K.Expr = acc
        if recip is not None:
            result = K.Binary("mul", acc, K.Load(recip, position, lanes, ow_mask))
        target = K.Binary("add", K.Binary("mul", plane, K.Const(self.out_h * self.out_w)),
                          position)
        row = K.Loop(ow, K.Const(0), K.Const(self.out_w), (
            K.Let(acc, initial), inner, K.Store(out, target, result, ow_mask)), step=lanes)
        per_plane = K.Loop(oh, K.Const(0), K.Const(self.out_h), (row,))
        parallel = self.planes * self.out_h * self.out_w >= PARALLEL_MIN_ELEMENTS
        return [K.Loop(plane, K.Const(0), K.Const(self.planes), (per_plane,),
                       parallel=parallel)]

    def _load(self, x: K.Buffer, plane, oh, ow, kh, kw) -> tuple[K.Expr, K.Expr]:
        lanes = self.lanes
        sh, sw = self.strides
        dh, dw = self.dilations
        ih = K.Binary("add", K.Binary("mul", oh, K.Const(sh)),
                      K.Binary("sub", K.Binary("mul", kh, K.Const(dh)), K.Const(self.pad[0])))
        iw0 = K.Binary("add", K.Binary("mul", ow, K.Const(sw)),
                       K.Binary("sub", K.Binary("mul", kw, K.Const(dw)), K.Const(self.pad[1])))
        iw = K.Binary("add", K.Splat(iw0, lanes),
                      K.Binary("mul", K.Iota(lanes), K.Const(sw, "i64", lanes)))
        row_ok = K.Binary("and", K.Binary("ge", ih, K.Const(0)),
                          K.Binary("lt", ih, K.Const(self.height)))
        columns_ok = K.Binary("and", K.Binary("ge", iw, K.Const(0, "i64", lanes)),
                              K.Binary("lt", iw, K.Const(self.width, "i64", lanes)))
        ow_ok = K.LaneMask(K.Binary("sub", K.Const(self.out_w), ow), lanes)
        mask = K.Binary("and", K.Binary("and", ow_ok, columns_ok), K.Splat(row_ok, lanes))
        row_base = K.Binary("mul", K.Binary("add", K.Binary("mul", plane, K.Const(self.height)),
                                            ih), K.Const(self.width))
        if sw == 1:
            return K.Load(x, K.Binary("add", row_base, iw0), lanes, mask), mask
        return K.Load(x, K.Binary("add", K.Splat(row_base, lanes), iw), lanes, mask), mask
