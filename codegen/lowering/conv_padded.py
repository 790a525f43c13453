"""Stride-1 convolutions as an implicit GEMM over a zero-padded copy of the input (no im2col).

With the input padded to [C][Hp][Wp] (Hp = OH + KH - 1, Wp = OW + KW - 1), the product's
column n = oh * Wp + ow of row k = (c, kh, kw) is xp[start(k) + n] with
start(k) = (c * Hp + kh) * Wp + kw: every row of B is a contiguous run of the padded input, so
a GEMM tile loads it directly (a table of K row starts). The product is computed over the padded
width, into a scratch C' [M][OH][Wp] whose columns ow >= OW are discarded by a compaction kernel
that also applies a residual add (and the activations after it). Compared with im2col this
writes about a ninth of the memory (the padded input and C' instead of K x N columns) and the
tiles read B from a copy small enough to stay in L2.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext
from vinify.codegen.lowering.elementwise import PARALLEL_MIN_ELEMENTS
from vinify.codegen.lowering.gemm import GemmOperands, emit_gemm

# The discarded columns are (KW - 1) / Wp of the work; measured, 3x3 layers at 7x7 (22 %)
# still gain ~10 % over im2col, at 14x14 ~15 %, at 56x56 ~30 %.
MAX_DISCARDED = 0.25


@dataclass(frozen=True)
class PaddedGrid:
    channels: int
    height: int
    width: int
    top: int
    left: int
    padded_h: int
    padded_w: int
    out_h: int
    out_w: int

    @property
    def columns(self) -> int:  # N' = OH * Wp
        return self.out_h * self.padded_w


def padded_grid(geo: Any) -> PaddedGrid | None:
    """The padded input of a stride-1, dilation-1 convolution whose output is wide enough
    (few discarded columns), or None when the implicit GEMM does not apply."""
    if geo.stride != (1, 1) or geo.dilation != (1, 1) or geo.is_pointwise:
        return None
    padded_h, padded_w = geo.out_h + geo.kernel_h - 1, geo.out_w + geo.kernel_w - 1
    if geo.kernel_w - 1 > MAX_DISCARDED * padded_w:
        return None
    top, left = geo.pad
    if top < 0 or left < 0 or padded_h < geo.height + top or padded_w < geo.width + left:
        return None  # negative end padding (crops): im2col handles it
    return PaddedGrid(geo.channels, geo.height, geo.width, top, left, padded_h, padded_w,
                      geo.out_h, geo.out_w)


def pad_kernel(ctx: LoweringContext, x: K.Buffer, x_offset: int, grid: PaddedGrid,
               padded: K.Buffer, source: str) -> None:
    """padded[c][hp][wp] = x[c][hp - top][wp - left] (0 outside); the slack after it zeroed."""
    lanes = ctx.target.vector_lanes
    c, hp, wp = K.Var("c"), K.Var("hp"), K.Var("wp")
    ih = K.Binary("sub", hp, K.Const(grid.top))
    row_ok = K.Binary("and", K.Binary("ge", ih, K.Const(0)),
                      K.Binary("lt", ih, K.Const(grid.height)))
    iw = K.Binary("add", K.Splat(K.Binary("sub", wp, K.Const(grid.left)), lanes), K.Iota(lanes))
    in_row = K.Binary("and", K.Binary("ge", iw, K.Const(0, "i64", lanes)),
                      K.Binary("lt", iw, K.Const(grid.width, "i64", lanes)))
    store_mask = K.LaneMask(K.Binary("sub", K.Const(grid.padded_w), wp), lanes)
    load_mask = K.Binary("and", K.Binary("and", store_mask, in_row), K.Splat(row_ok, lanes))
    source_index = K.Binary("add", K.Const(x_offset - grid.left), K.Binary(
        "add", K.Binary("mul", K.Binary("add", K.Binary("mul", c, K.Const(grid.height)), ih),
                        K.Const(grid.width)), wp))
    target = K.Binary("add", K.Binary("mul", K.Binary(
        "add", K.Binary("mul", c, K.Const(grid.padded_h)), hp), K.Const(grid.padded_w)), wp)
    row = K.Loop(wp, K.Const(0), K.Const(grid.padded_w), (
        K.Store(padded, target, K.Load(x, source_index, lanes, load_mask), store_mask),),
        step=lanes)
    per_channel = K.Loop(hp, K.Const(0), K.Const(grid.padded_h), (row,))
    size = grid.channels * grid.padded_h * grid.padded_w
    parallel = size >= PARALLEL_MIN_ELEMENTS
    ctx.emit("pad", [K.Loop(c, K.Const(0), K.Const(grid.channels), (per_channel,),
                            parallel=parallel)], source)
    j = K.Var("j")
    zero = K.Store(padded, j, K.Const(0.0, "f32", lanes),
                   K.LaneMask(K.Binary("sub", K.Const(padded.size), j), lanes))
    ctx.emit("pad_tail", [K.Loop(j, K.Const(size), K.Const(padded.size), (zero,), step=lanes)],
             source)


def row_starts(grid: PaddedGrid, kernel_h: int, kernel_w: int) -> np.ndarray:
    """start(k) for k = (c, kh, kw) in the weights' flattening order."""
    c, kh, kw = np.meshgrid(np.arange(grid.channels), np.arange(kernel_h), np.arange(kernel_w),
                            indexing="ij")
    return ((c * grid.padded_h + kh) * grid.padded_w + kw).reshape(-1).astype(np.int64)


def compact_kernel(ctx: LoweringContext, wide: K.Buffer, grid: PaddedGrid, m_size: int,
                   out: K.Buffer, out_offset: int, residual: K.Buffer | None,
                   activations: list, source: str) -> None:
    """out[m][oh][ow] = activations(wide[m][oh][ow] + residual[m][oh][ow]) for ow < OW."""
    lanes = ctx.target.vector_lanes
    m, oh, ow = K.Var("m"), K.Var("oh"), K.Var("ow")
    mask = K.LaneMask(K.Binary("sub", K.Const(grid.out_w), ow), lanes)
    wide_index = K.Binary("add", K.Binary("mul", K.Binary(
        "add", K.Binary("mul", m, K.Const(grid.out_h)), oh), K.Const(grid.padded_w)), ow)
    out_index = K.Binary("add", K.Const(out_offset), K.Binary("add", K.Binary("mul", K.Binary(
        "add", K.Binary("mul", m, K.Const(grid.out_h)), oh), K.Const(grid.out_w)), ow))
    value: K.Expr = K.Load(wide, wide_index, lanes, mask)
    if residual is not None:
        value = K.Binary("add", value, K.Load(residual, out_index, lanes, mask))
    for formula in activations:
        value = formula(value)
    row = K.Loop(ow, K.Const(0), K.Const(grid.out_w), (K.Store(out, out_index, value, mask),),
                 step=lanes)
    parallel = m_size * grid.columns >= PARALLEL_MIN_ELEMENTS
    ctx.emit("compact", [K.Loop(m, K.Const(0), K.Const(m_size), (
        K.Loop(oh, K.Const(0), K.Const(grid.out_h), (row,)),), parallel=parallel)], source)


def lower_padded_convolution(ctx: LoweringContext, node: Any, grid: PaddedGrid, geo: Any,
                             a: Any, extras: dict, shape: tuple[int, int, int],
                             tile: tuple[int, int], out: K.Buffer, source: str) -> None:
    """Pad, GEMM into C' (bias, and the activations when nothing is added after them),
    compact (residual, remaining activations) for every image."""
    m_size, k_size, batch = shape
    rows, vectors = tile
    lanes = ctx.target.vector_lanes
    width = lanes * vectors
    slack = geo.kernel_w + width + lanes  # tiles read past C x Hp x Wp (unused columns)
    padded = ctx.scratch("padded", grid.channels * grid.padded_h * grid.padded_w + slack)
    wide = ctx.scratch("wide", m_size * grid.columns + lanes)
    starts = ctx.add_weights((node.name or "conv") + "_rows",
                             row_starts(grid, geo.kernel_h, geo.kernel_w), "i64")
    x = ctx.buffer(node.inputs[0])
    late = extras["residual"] is not None  # the residual comes before the activations
    in_gemm = {"bias": extras["bias"], "residual": None,
               "activations": [] if late else extras["activations"]}

    def b_index(panel, k, n_local):
        return K.Binary("add", K.Load(starts, k),
                        K.Binary("add", K.Binary("mul", panel, K.Const(width)), n_local))

    for image in range(batch):
        pad_kernel(ctx, x, image * geo.channels * geo.height * geo.width, grid, padded, source)
        gemm = GemmOperands(
            a=a.buffer, a_index=a.index, b=padded, b_index=b_index, b_masked=False, c=wide,
            c_index=lambda m, n: K.Binary("add", K.Binary("mul", m, K.Const(grid.columns)), n),
            m=m_size, n=grid.columns, k=k_size, rows=rows,
            a_row_step=a.row_step, vectors=vectors, **in_gemm)
        emit_gemm(ctx, gemm, "conv", source)
        compact_kernel(ctx, wide, grid, m_size, out, image * m_size * grid.out_h * grid.out_w,
                       extras["residual"], extras["activations"] if late else [], source)
