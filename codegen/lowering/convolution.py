"""Convolution and GroupConvolution (2-D, NCHW) lowered to im2col + the register-blocked GEMM.

Per image: an im2col kernel (skipped for 1x1, stride 1, no padding: the input is already [K][N])
then one GEMM kernel over every group's tiles. Weights are packed per group at compile time with
the epilogue's per-channel scale (batch norm) folded in.
"""

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering import conv_nd
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape
from vinify.codegen.lowering.conv_padded import lower_padded_convolution, padded_grid
from vinify.codegen.lowering.elementwise import PARALLEL_MIN_ELEMENTS
from vinify.codegen.lowering.gemm import (
    Epilogue,
    GemmOperands,
    choose_tile,
    emit_gemm,
    epilogue_buffers,
    pack_a_panels,
    pack_b_panels,
)
from vinify.errors import DeviceError


@dataclass(frozen=True)
class ConvGeometry:
    channels: int
    height: int
    width: int
    kernel_h: int
    kernel_w: int
    out_h: int
    out_w: int
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[int, int]  # top, left

    @property
    def is_pointwise(self) -> bool:
        return (self.kernel_h, self.kernel_w, self.stride, self.pad) == (1, 1, (1, 1), (0, 0))


def explicit_pads(attrs: dict, in_hw: tuple, out_hw: tuple, kernel_hw: tuple) -> tuple[int, int]:
    """Top/left padding, resolving auto_pad the way OpenVINO does."""
    mode = attrs.get("auto_pad", "explicit")
    if mode in ("explicit", "notset", ""):
        return tuple(int(p) for p in attrs["pads_begin"])
    if mode == "valid":
        return (0, 0)
    pads = []
    for size, out, kernel, stride, dilation in zip(in_hw, out_hw, kernel_hw, attrs["strides"],
                                                   attrs["dilations"]):
        total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
        pads.append(total // 2 if mode == "same_upper" else total - total // 2)
    return tuple(pads)


def geometry(node: Any, weights_shape: tuple) -> ConvGeometry:
    x_shape, out_shape = static_shape(node.inputs[0]), static_shape(node.outputs[0])
    if len(x_shape) != 4:
        raise DeviceError(f"CPU: {node.describe()}: only 2-D convolutions (NCHW) are compiled")
    kernel_hw = tuple(weights_shape[-2:])
    pad = explicit_pads(node.attrs, x_shape[2:], out_shape[2:], kernel_hw)
    return ConvGeometry(x_shape[1], x_shape[2], x_shape[3], kernel_hw[0], kernel_hw[1],
                        out_shape[2], out_shape[3], tuple(node.attrs["strides"]),
                        tuple(node.attrs["dilations"]), pad)


def im2col_kernel(ctx: LoweringContext, x: K.Buffer, image_offset: int, geo: ConvGeometry,
                  columns: K.Buffer, source: str, row_stride: int) -> None:
    """columns[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c][ih][iw] (0 outside), vectorized over ow."""
    lanes = ctx.target.vector_lanes
    c, kh, kw, oh, ow = (K.Var(n) for n in ("c", "kh", "kw", "oh", "ow"))
    sh, sw = geo.stride
    dh, dw = geo.dilation
    n_size = geo.out_h * geo.out_w
    ih = K.Binary("add", K.Binary("mul", oh, K.Const(sh)), K.Const(-geo.pad[0]))
    ih = K.Binary("add", ih, K.Binary("mul", kh, K.Const(dh)))
    iw0 = K.Binary("add", K.Binary("mul", ow, K.Const(sw)), K.Const(-geo.pad[1]))
    iw0 = K.Binary("add", iw0, K.Binary("mul", kw, K.Const(dw)))
    iw = K.Binary("add", K.Splat(K.Var("iw0"), lanes),
                  K.Binary("mul", K.Iota(lanes), K.Const(sw, "i64", lanes)))
    row_ok = K.Binary("and", K.Binary("ge", K.Var("ih"), K.Const(0)),
                      K.Binary("lt", K.Var("ih"), K.Const(geo.height)))
    in_columns = K.Binary("and", K.Binary("ge", iw, K.Const(0, "i64", lanes)),
                          K.Binary("lt", iw, K.Const(geo.width, "i64", lanes)))
    ow_mask = K.LaneMask(K.Binary("sub", K.Const(geo.out_w), ow), lanes)
    load_mask = K.Binary("and", K.Binary("and", ow_mask, in_columns), K.Splat(row_ok, lanes))
    row_base = K.Binary("add", K.Const(image_offset),
                        K.Binary("mul", K.Binary("add", K.Binary("mul", c, K.Const(geo.height)),
                                                 K.Var("ih")), K.Const(geo.width)))
    if sw == 1:
        value = K.Load(x, K.Binary("add", row_base, K.Var("iw0")), lanes, load_mask)
    else:
        value = K.Load(x, K.Binary("add", K.Splat(row_base, lanes), iw), lanes, load_mask)
    row = K.Binary("add", K.Binary("mul", K.Binary(
        "add", K.Binary("mul", c, K.Const(geo.kernel_h)), kh), K.Const(geo.kernel_w)), kw)
    target = K.Binary("add", K.Binary("mul", row, K.Const(row_stride)),
                      K.Binary("add", K.Binary("mul", oh, K.Const(geo.out_w)), ow))
    inner = K.Loop(ow, K.Const(0), K.Const(geo.out_w), (
        K.Let(K.Var("iw0"), iw0), K.Store(columns, target, value, ow_mask)), step=lanes)
    per_row = K.Loop(oh, K.Const(0), K.Const(geo.out_h), (K.Let(K.Var("ih"), ih), inner))
    # (channel, kernel row) pairs are split across threads: 3-channel images still divide
    pair = K.Var("pair")
    row_body: tuple = (per_row,)
    if row_stride > n_size:  # zeroed row tails: GEMM tiles read whole panels unmasked
        j = K.Var("j")
        tail = K.Store(columns, K.Binary("add", K.Binary("mul", row, K.Const(row_stride)), j),
                       K.Const(0.0, "f32", lanes),
                       K.LaneMask(K.Binary("sub", K.Const(row_stride), j), lanes))
        row_body += (K.Loop(j, K.Const(n_size), K.Const(row_stride), (tail,), step=lanes),)
    nest = (K.Let(c, K.Binary("div", pair, K.Const(geo.kernel_h))),
            K.Let(kh, K.Binary("rem", pair, K.Const(geo.kernel_h))),
            K.Loop(kw, K.Const(0), K.Const(geo.kernel_w), row_body))
    pairs = geo.channels * geo.kernel_h
    parallel = pairs * geo.kernel_w * n_size >= PARALLEL_MIN_ELEMENTS
    ctx.emit("im2col", [K.Loop(pair, K.Const(0), K.Const(pairs), nest, parallel=parallel)],
             source)


@dataclass(frozen=True)
class WeightsOperand:
    """The A operand of a convolution's GEMM: packed constant panels or a runtime tensor."""

    buffer: K.Buffer
    index: Callable  # (m0, row, k) -> element index within one group
    row_step: int | None
    group_stride: int


def constant_weights(ctx: LoweringContext, node: Any, matrices: np.ndarray,
                     epilogue: Epilogue, rows: int) -> WeightsOperand:
    """Weights packed at compile time into [M/rows][K][rows] panels, scales folded in."""
    groups, m_size, k_size = matrices.shape
    if epilogue.scale is not None:
        matrices = (matrices * epilogue.scale.reshape(groups, m_size, 1)).astype(np.float32)
    packed = np.stack([pack_a_panels(m, rows) for m in matrices])
    buffer = ctx.add_weights((node.name or "conv") + "_packed", packed)

    def index(m0, r, k):
        return K.Binary("add", K.Binary("mul", m0, K.Const(k_size)),
                        K.Binary("add", K.Binary("mul", k, K.Const(rows)), K.Const(r)))

    return WeightsOperand(buffer, index, 1, -(-m_size // rows) * rows * k_size)


def runtime_weights(ctx: LoweringContext, node: Any, m_size: int, k_size: int
                    ) -> WeightsOperand:
    """Weights computed at inference: read in place, rows past M clamped to the last row."""
    def index(m0, r, k):
        row = K.Binary("min", K.Binary("add", m0, K.Const(r)), K.Const(m_size - 1))
        return K.Binary("add", K.Binary("mul", row, K.Const(k_size)), k)

    return WeightsOperand(ctx.buffer(node.inputs[1]), index, None, m_size * k_size)


@lowers("Convolution", "GroupConvolution")
def lower_convolution(ctx: LoweringContext, node: Any, epilogue: Epilogue | None = None) -> None:
    epilogue = epilogue or Epilogue(nodes=[node])
    if conv_nd.takes_convolution(node):  # 1-D, 3-D, not f32: a direct loop nest
        conv_nd.lower_direct_convolution(ctx, node, epilogue)
        return
    w_shape = static_shape(node.inputs[1])
    w_shape = (1,) + w_shape if node.op.name == "Convolution" else w_shape
    groups, m_size = w_shape[0], w_shape[1]
    geo = geometry(node, w_shape)
    k_size = int(np.prod(w_shape[2:]))
    n_size = geo.out_h * geo.out_w
    lanes = ctx.target.vector_lanes
    rows, vectors = choose_tile(m_size, n_size, lanes)
    weights = ctx.constant(node.inputs[1])
    transposed = weights is not None and transposed_pays(m_size, n_size, k_size, lanes)
    grid = padded_grid(geo) if weights is not None and groups == 1 and not transposed else None
    if grid is not None:  # stride 1 on wide maps: implicit GEMM, no im2col
        _lower_padded(ctx, node, epilogue, geo, grid, weights, (m_size, k_size))
        return
    if transposed:
        matrices = np.asarray(weights, np.float32).reshape(groups, m_size, k_size)
        rows, vectors = choose_tile(n_size, m_size, lanes)
        a = transposed_weights(ctx, node, matrices, epilogue, vectors * lanes)
    elif weights is not None:
        matrices = np.asarray(weights, np.float32).reshape(groups, m_size, k_size)
        a = constant_weights(ctx, node, matrices, epilogue, rows)
    else:
        a = runtime_weights(ctx, node, m_size, k_size)
    batch = static_shape(node.inputs[0])[0]
    out = ctx.output(epilogue.output)
    x = ctx.buffer(node.inputs[0])
    columns, row_stride = None, n_size
    if not geo.is_pointwise:
        width = lanes * vectors
        row_stride = n_size if transposed else -(-n_size // width) * width
        columns = ctx.scratch("im2col", geo.channels * geo.kernel_h * geo.kernel_w * row_stride)
    source = " + ".join(n.describe() for n in epilogue.nodes)
    extras = epilogue_buffers(ctx, epilogue, node.name or "conv", m_size * groups)

    def group_offsets(g: GemmOperands, group: K.Expr) -> GemmOperands:
        if transposed:
            return _offset_group_transposed(g, group, a.group_stride, k_size * row_stride,
                                            m_size)
        return _offset_group(g, group, a.group_stride, k_size * row_stride, m_size)

    for image in range(batch):
        in_offset = image * geo.channels * geo.height * geo.width
        out_offset = image * groups * m_size * n_size
        if columns is not None:
            im2col_kernel(ctx, x, in_offset, geo, columns, source, row_stride)
        b, b_offset = (x, in_offset) if columns is None else (columns, 0)
        if transposed:
            gemm = _transposed_gemm(a, b, b_offset, out, out_offset, m_size, n_size, k_size,
                                    rows, lanes * vectors, extras)
        else:
            gemm = _conv_gemm(a, b, b_offset, out, out_offset, m_size, n_size, k_size, rows,
                              lanes * vectors, extras, row_stride)
        gemm.vectors = vectors
        emit_gemm(ctx, gemm, "conv", source, groups, group_offsets)


def _lower_padded(ctx: LoweringContext, node: Any, epilogue: Epilogue, geo: ConvGeometry,
                  grid: Any, weights: np.ndarray, sizes: tuple[int, int]) -> None:
    m_size, k_size = sizes
    lanes = ctx.target.vector_lanes
    rows, vectors = choose_tile(m_size, grid.columns, lanes)
    matrices = np.asarray(weights, np.float32).reshape(1, m_size, k_size)
    a = constant_weights(ctx, node, matrices, epilogue, rows)
    extras = epilogue_buffers(ctx, epilogue, node.name or "conv", m_size)
    batch = static_shape(node.inputs[0])[0]
    source = " + ".join(n.describe() for n in epilogue.nodes)
    lower_padded_convolution(ctx, node, grid, geo, a, extras, (m_size, k_size, batch),
                             (rows, vectors), ctx.output(epilogue.output), source)


def _conv_gemm(a: WeightsOperand, b, b_offset, out, out_offset, m_size, n_size, k_size, rows,
               width, extras, b_row_stride: int) -> GemmOperands:
    def b_index(panel, k, n_local):
        column = K.Binary("add", K.Binary("mul", panel, K.Const(width)), n_local)
        return K.Binary("add", K.Const(b_offset),
                        K.Binary("add", K.Binary("mul", k, K.Const(b_row_stride)), column))

    def c_index(m, n):
        return K.Binary("add", K.Const(out_offset),
                        K.Binary("add", K.Binary("mul", m, K.Const(n_size)), n))

    return GemmOperands(a=a.buffer, a_index=a.index, b=b, b_index=b_index,
                        b_masked=b_row_stride % width != 0, c=out, c_index=c_index, m=m_size,
                        n=n_size, k=k_size, rows=rows, a_row_step=a.row_step, **extras)


# The transposed product streams a whole K x 64 panel of W^T per tile (no k blocks, since its
# C tiles move by gather/scatter): measured on ResNet-50, 1x1 layers at 14x14/7x7 (K <= 1024)
# gain 10-25 %, 3x3 layers (K = 2304/4608, panels beyond L2 reuse) lose.
TRANSPOSED_K_RANGE = (128, 1024)


def transposed_pays(m_size: int, n_size: int, k_size: int, lanes: int) -> bool:
    """Whether C^T = col^T . W^T (vectors over output channels) pads clearly less than C = W . col
    (vectors over positions): small feature maps (14x14, 7x7) with reductions long enough that
    the strided stores of C^T are few next to the FMAs, short enough to stream W^T panels."""
    def padded(m: int, n: int) -> int:
        rows, vectors = choose_tile(m, n, lanes)
        width = vectors * lanes
        return -(-m // rows) * rows * -(-n // width) * width

    if not TRANSPOSED_K_RANGE[0] <= k_size <= TRANSPOSED_K_RANGE[1]:
        return False
    return padded(n_size, m_size) < 0.93 * padded(m_size, n_size)


def transposed_weights(ctx: LoweringContext, node: Any, matrices: np.ndarray,
                       epilogue: Epilogue, width: int) -> WeightsOperand:
    """W^T per group packed into [M/width][K][width] panels (the vector operand)."""
    groups, m_size, k_size = matrices.shape
    if epilogue.scale is not None:
        matrices = (matrices * epilogue.scale.reshape(groups, m_size, 1)).astype(np.float32)
    packed = np.stack([pack_b_panels(m.T, width) for m in matrices])
    buffer = ctx.add_weights((node.name or "conv") + "_packed_t", packed)
    return WeightsOperand(buffer, None, None, packed[0].size)


def _transposed_gemm(w: WeightsOperand, col, col_offset, out, out_offset, m_size, n_size,
                     k_size, rows, width, extras) -> GemmOperands:
    """Rows are output positions (broadcast from col), columns are output channels."""
    def a_index(m0, r, k):
        return K.Binary("add", K.Const(col_offset + r),
                        K.Binary("add", K.Binary("mul", k, K.Const(n_size)), m0))

    def b_index(panel, k, n_local):
        base = K.Binary("mul", panel, K.Const(k_size * width))
        return K.Binary("add", base, K.Binary("add", K.Binary("mul", k, K.Const(width)),
                                              n_local))

    def c_index(position, channel):
        return K.Binary("add", K.Const(out_offset),
                        K.Binary("add", K.Binary("mul", channel, K.Const(n_size)), position))

    extras = {**extras, "bias_per_row": False}
    # C^T tiles go through memory with gathers/scatters: one pass over K, not one per block
    return GemmOperands(a=col, a_index=a_index, b=w.buffer, b_index=b_index, b_masked=False,
                        c=out, c_index=c_index, m=n_size, n=m_size, k=k_size, rows=rows,
                        a_row_step=1, c_lane_stride=n_size, k_block=k_size, **extras)


def _offset_group_transposed(g: GemmOperands, group: K.Expr, b_stride: int, a_stride: int,
                             m_size: int) -> GemmOperands:
    """One group of a transposed product: col rows, W^T panels and output channels shifted."""
    a_shift = K.Binary("mul", group, K.Const(a_stride))
    b_shift = K.Binary("mul", group, K.Const(b_stride))
    channel_shift = K.Binary("mul", group, K.Const(m_size))
    a_index, b_index, c_index = g.a_index, g.b_index, g.c_index
    return replace(
        g,
        a_index=lambda m0, r, k: K.Binary("add", a_shift, a_index(m0, r, k)),
        b_index=lambda p, k, n: K.Binary("add", b_shift, b_index(p, k, n)),
        c_index=lambda row, col: c_index(row, K.Binary("add", channel_shift, col)),
        bias_offset=channel_shift,
    )


def _offset_group(g: GemmOperands, group: K.Expr, a_stride: int, b_stride: int,
                  m_size: int) -> GemmOperands:
    """The GEMM of one group: A, B, C, bias and residual shifted by the group's offsets."""
    a_shift = K.Binary("mul", group, K.Const(a_stride))
    b_shift = K.Binary("mul", group, K.Const(b_stride))
    m_shift = K.Binary("mul", group, K.Const(m_size))
    a_index, b_index, c_index = g.a_index, g.b_index, g.c_index
    shifted = replace(
        g,
        a_index=lambda m0, r, k: K.Binary("add", a_shift, a_index(m0, r, k)),
        b_index=lambda p, k, n: K.Binary("add", b_shift, b_index(p, k, n)),
        c_index=lambda m, n: c_index(K.Binary("add", m_shift, m), n),
    )
    if g.bias is not None:
        shifted = replace(shifted, bias=g.bias, bias_offset=m_shift)
    return shifted
