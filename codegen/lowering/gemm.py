"""MatMul and Convolution as register-blocked GEMM: C[M, N] = A[M, K] . B[K, N] + epilogue.

The micro-kernel keeps a ROWS x (VECTORS * lanes) tile of C in registers (6 x 64 floats with
AVX-512: 24 zmm accumulators), streams K with one broadcast of A and VECTORS loads of B per row
step, and applies the fused epilogue (bias, residual add, activation) before the only store.

- Convolution: A is the weights, pre-packed at compile time into panels [M/6][K][6] (batch-norm
  and per-channel scales folded in); B is the input itself for 1x1/stride-1/no-pad convolutions,
  else an im2col copy [K][N] made by a vectorized kernel (gathers for strided windows); N = OH*OW.
- MatMul: A is the left operand (rows, any strides); a constant right operand is pre-packed into
  panels [N/64][K][64] so that each tile streams contiguous memory.
Tiles are numbered with the M panels innermost (consecutive tiles reuse one B panel in cache) and
split across threads by one parallel loop, so the split axis adapts to the layer's shape.
"""

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering import batched_matmul
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape
from vinify.codegen.lowering.elementwise import activation
from vinify.errors import DeviceError

ROWS = 6
VECTORS = 4
K_BLOCK = 128  # k steps per block: a 128 x 64 float block of B (32 KiB) stays in L1
# (rows, vectors) register tiles, each 24 accumulators: the one that pads C least is used,
# the first counted 3 % cheaper: measured, 6 x 4 beat 8 x 3 by 10-20 % on 56x56 and 112x112
# maps where 8 x 3 padded 2-3 % less (and lost by ~8 % at 28x28 where it padded 5 % less).
TILE_SHAPES = ((6, 4), (12, 2), (8, 3))
FIRST_TILE_PREFERENCE = 0.97


def choose_tile(m: int, n: int, lanes: int) -> tuple[int, int]:
    """The tile shape computing the fewest padded elements of C (the first listed preferred)."""
    def padded(shape: tuple[int, int]) -> float:
        rows, vectors = min(shape[0], m), shape[1]
        width = vectors * lanes
        weight = FIRST_TILE_PREFERENCE if shape == TILE_SHAPES[0] else 1.0
        return -(-m // rows) * rows * -(-n // width) * width * weight

    rows, vectors = min(TILE_SHAPES, key=padded)
    return min(rows, m), vectors


@dataclass
class Epilogue:
    """What is applied to a C tile in registers, and the nodes it absorbed."""

    nodes: list = field(default_factory=list)
    scale: np.ndarray | None = None  # per output channel, folded into constant weights
    bias: np.ndarray | None = None  # per output channel
    residual: Any = None  # a graph value of C's shape
    activations: list[Callable] = field(default_factory=list)

    @property
    def output(self) -> Any:
        return self.nodes[-1].outputs[0]


def channel_vector(array: np.ndarray, out_shape: tuple, axis: int) -> np.ndarray | None:
    """The array as one value per channel of `axis`, when it broadcasts exactly that way."""
    rank = len(out_shape)
    padded = (1,) * (rank - array.ndim) + array.shape
    if array.ndim > rank or any(e != 1 for i, e in enumerate(padded) if i != axis % rank):
        return None
    if padded[axis % rank] not in (1, out_shape[axis]):
        return None
    return np.broadcast_to(array.reshape(-1).astype(np.float64), (out_shape[axis],)).copy()


def plan_epilogue(ctx: LoweringContext, node: Any, channel_axis: int,
                  weights_constant: bool, claimed: set[int] = frozenset()) -> Epilogue:
    """Follows single-use successors that can be applied while the tile is in registers
    (never one another group has `claimed`)."""
    epilogue = Epilogue(nodes=[node])
    out_shape = static_shape(node.outputs[0])
    while True:
        value = epilogue.output
        if len(value.uses) != 1:
            return epilogue
        user, index = value.uses[0]
        if id(user) in claimed or not _absorb(ctx, epilogue, user, index, out_shape,
                                              channel_axis, weights_constant):
            return epilogue
        epilogue.nodes.append(user)


def _absorb(ctx, epilogue: Epilogue, user, index: int, out_shape: tuple, axis: int,
            weights_constant: bool) -> bool:
    name = user.op.name
    if user.outputs[0].shape.is_static and static_shape(user.outputs[0]) != out_shape:
        return False
    linear_allowed = epilogue.residual is None and not epilogue.activations
    if name == "BatchNormInference" and linear_allowed and weights_constant:
        return _absorb_batch_norm(ctx, epilogue, user, index, out_shape, axis)
    if name in ("Add", "Multiply") and linear_allowed:
        other = ctx.constant(user.inputs[1 - index])
        vector = None if other is None else channel_vector(other, out_shape, axis)
        if vector is not None and (name == "Add" or weights_constant):
            _fold_linear(epilogue, vector if name == "Multiply" else None,
                         vector if name == "Add" else None)
            return True
    if name == "Add" and epilogue.residual is None and not epilogue.activations:
        other = user.inputs[1 - index]
        if ctx.constant(other) is None and static_shape(other) == out_shape:
            epilogue.residual = other
            return True
    formula = activation(name, user.attrs) if name in ("Relu", "Clamp") else None
    if formula is not None:
        epilogue.activations.append(formula)
        return True
    return False


def _absorb_batch_norm(ctx, epilogue: Epilogue, user, index: int, out_shape: tuple,
                       axis: int) -> bool:
    from vinify.codegen.lowering.normalization import batch_norm_parts, batch_norm_scale_shift

    data_index, params = batch_norm_parts(ctx, user)
    if index != data_index or any(p is None for p in params):
        return False
    if np.asarray(params[0]).size != out_shape[axis]:
        return False
    _fold_linear(epilogue, *batch_norm_scale_shift(user, params))
    return True


def _fold_linear(epilogue: Epilogue, scale: np.ndarray | None, shift: np.ndarray | None) -> None:
    """Composes y = (x * scale + bias) * s + t into the epilogue's per-channel scale and bias."""
    if scale is not None:
        epilogue.scale = scale if epilogue.scale is None else epilogue.scale * scale
        if epilogue.bias is not None:
            epilogue.bias = epilogue.bias * scale
    if shift is not None:
        epilogue.bias = shift if epilogue.bias is None else epilogue.bias + shift


@dataclass
class GemmOperands:
    """Index functions of one GEMM (per tile origin m0, n0 and the k loop variable)."""

    a: K.Buffer
    a_index: Callable[[K.Expr, int, K.Expr], K.Expr]  # (m0, row, k) -> element index
    b: K.Buffer
    b_index: Callable[[K.Expr, K.Expr, K.Expr], K.Expr]  # (panel, k, n_local) -> element index
    b_masked: bool
    c: K.Buffer
    c_index: Callable[[K.Expr, K.Expr], K.Expr]  # (m, n) -> element index
    m: int
    n: int
    k: int
    rows: int = ROWS
    bias: K.Buffer | None = None
    bias_per_row: bool = True
    bias_offset: K.Expr = K.Const(0)
    a_row_step: int | None = None  # A(m0 + r, k) = A(m0, k) + r * a_row_step when affine
    vectors: int = VECTORS  # tile width in vectors
    c_lane_stride: int = 1  # elements between neighbouring columns of C (1: contiguous)
    k_block: int = K_BLOCK  # k steps between round trips of the C tile through memory
    residual: K.Buffer | None = None
    activations: list = field(default_factory=list)


TILES_PER_THREAD = 8
PARALLEL_MIN_FLOPS = 4_000_000


def tile_masks(g: GemmOperands, panel: K.Expr, lanes: int) -> list[K.Stmt]:
    """Column masks of the panel's vectors, computed once per tile (not in the k loop)."""
    width = g.vectors * lanes
    valid = K.Var("valid")
    statements: list[K.Stmt] = [K.Let(valid, K.Binary("min", K.Const(width), K.Binary(
        "sub", K.Const(g.n), K.Binary("mul", panel, K.Const(width)))))]
    return statements + [K.Let(K.Var(f"mask{v}", "i1", lanes),
                               K.LaneMask(K.Binary("sub", valid, K.Const(v * lanes)), lanes))
                         for v in range(g.vectors)]


def tile_statements(g: GemmOperands, m0: K.Expr, panel: K.Expr, lanes: int,
                    k_range: tuple[K.Expr, K.Expr], first: K.Expr, last: K.Expr,
                    single_block: bool = False) -> list[K.Stmt]:
    """One register tile over k in k_range: the first k step defines the accumulators; after
    the k loop, C's partial sums of the earlier k blocks are added (a load masked off entirely
    on the first block, so a tile never waits for memory it does not need before its first
    FMA); the epilogue is applied on the last block only. C's index arithmetic is bound to
    variables once, after the k loop: little but the accumulators is live across it."""
    if g.c_lane_stride != 1:
        return _strided_tile_statements(g, m0, panel, lanes, k_range, first, last)
    masks = [K.Var(f"mask{v}", "i1", lanes) for v in range(g.vectors)]
    n0, later = K.Var("n0"), K.Var("later", "i1", lanes)
    statements = _k_step(g, m0, panel, masks, lanes, k_range[0], peeled=True)
    statements.append(K.Loop(K.Var("k"), K.Binary("add", k_range[0], K.Const(1)), k_range[1],
                             tuple(_k_step(g, m0, panel, masks, lanes))))
    statements += [K.Let(n0, K.Binary("mul", panel, K.Const(g.vectors * lanes))),
                   K.Let(later, K.Unary("not", K.Splat(first, lanes)))]
    for r in range(g.rows):
        row = K.Var(f"row{r}")
        statements.append(K.Let(row, K.Binary("min", K.Binary("add", m0, K.Const(r)),
                                              K.Const(g.m - 1))))
        row_start = K.Var(f"c{r}")
        statements.append(K.Let(row_start, g.c_index(row, n0)))
        for v in range(g.vectors):
            index = K.Var(f"c{r}_{v}")
            statements.append(K.Let(index, K.Binary("add", row_start,
                                                    K.Const(v * lanes * g.c_lane_stride))))
            if single_block:
                continue
            acc = K.Var(f"acc{r}_{v}", "f32", lanes)
            partial = K.Load(g.c, c_lanes(g, index, lanes), lanes,
                             K.Binary("and", masks[v], later))
            statements.append(K.Let(acc, K.Binary("add", acc, partial)))
    statements += _epilogue_statements(g, m0, n0, masks, lanes, last)
    return statements


def _strided_tile_statements(g: GemmOperands, m0: K.Expr, panel: K.Expr, lanes: int,
                             k_range: tuple[K.Expr, K.Expr], first: K.Expr, last: K.Expr
                             ) -> list[K.Stmt]:
    """A tile whose C vectors are strided (gathered and scattered): accumulators start at 0 or
    at C's partial sums, selected before the k loop. (The layout of `tile_statements` made
    LLVM keep these accumulators on the stack in the k loop, 3x slower.)"""
    masks = [K.Var(f"mask{v}", "i1", lanes) for v in range(g.vectors)]
    zero = K.Const(0.0, "f32", lanes)
    n0, is_first = K.Var("n0"), K.Var("is_first", "i1", lanes)
    statements: list[K.Stmt] = [K.Let(n0, K.Binary("mul", panel, K.Const(g.vectors * lanes))),
                                K.Let(is_first, K.Splat(first, lanes))]
    for r in range(g.rows):
        row = K.Var(f"row{r}")
        statements.append(K.Let(row, K.Binary("min", K.Binary("add", m0, K.Const(r)),
                                              K.Const(g.m - 1))))
        row_start = K.Var(f"c{r}")
        statements.append(K.Let(row_start, g.c_index(row, n0)))
        for v in range(g.vectors):
            index = K.Var(f"c{r}_{v}")
            statements.append(K.Let(index, K.Binary("add", row_start,
                                                    K.Const(v * lanes * g.c_lane_stride))))
            partial = K.Load(g.c, c_lanes(g, index, lanes), lanes, masks[v])
            statements.append(K.Let(K.Var(f"acc{r}_{v}", "f32", lanes),
                                    K.Select(is_first, zero, partial)))
    statements.append(K.Loop(K.Var("k"), k_range[0], k_range[1],
                             tuple(_k_step(g, m0, panel, masks, lanes))))
    return statements + _epilogue_statements(g, m0, n0, masks, lanes, last)


def c_lanes(g: GemmOperands, start: K.Expr, lanes: int) -> K.Expr:
    """Where a vector of C lives: `lanes` elements from `start`, contiguous or strided (a
    gather/scatter for a transposed product)."""
    if g.c_lane_stride == 1:
        return start
    return K.Binary("add", K.Splat(start, lanes),
                    K.Binary("mul", K.Iota(lanes), K.Const(g.c_lane_stride, "i64", lanes)))


def _k_step(g: GemmOperands, m0: K.Expr, panel: K.Expr, masks: list, lanes: int,
            k: K.Expr = K.Var("k"), peeled: bool = False) -> list[K.Stmt]:
    """One k step: VECTORS loads of B, one broadcast of A per row, ROWS x VECTORS FMAs. The
    `peeled` first step of a tile defines the accumulators with products instead (starting
    them from zero constants made LLVM's register allocator spill them in the k loop)."""
    tag = "_first" if peeled else ""
    b_base, a_base = K.Var("b_base" + tag), K.Var("a_base" + tag)
    step: list[K.Stmt] = [K.Let(b_base, g.b_index(panel, k, K.Const(0)))]
    for v in range(g.vectors):
        index = K.Binary("add", b_base, K.Const(v * lanes))
        mask = masks[v] if g.b_masked else None
        step.append(K.Let(K.Var(f"b{v}{tag}", "f32", lanes), K.Load(g.b, index, lanes, mask)))
    if g.a_row_step is not None:
        step.append(K.Let(a_base, g.a_index(m0, 0, k)))
    for r in range(g.rows):
        a_index = (K.Binary("add", a_base, K.Const(r * g.a_row_step))
                   if g.a_row_step is not None else g.a_index(m0, r, k))
        a = K.Splat(K.Load(g.a, a_index), lanes)
        for v in range(g.vectors):
            acc, b = K.Var(f"acc{r}_{v}", "f32", lanes), K.Var(f"b{v}{tag}", "f32", lanes)
            step.append(K.Let(acc, K.Binary("mul", a, b) if peeled else K.Fma(a, b, acc)))
    return step


def _epilogue_statements(g: GemmOperands, m0, n0, masks, lanes: int, last: K.Expr
                         ) -> list[K.Stmt]:
    """Stores of the tile: raw partial sums after a k block that is not the last, the fused
    epilogue after the last one. Each path is a loop of 0 or 1 iterations (the kernel IR has no
    branches), so the epilogue is computed once per tile, not once per k block."""
    raw_stores: list[K.Stmt] = []
    final_stores: list[K.Stmt] = []
    for r in range(g.rows):
        row = K.Var(f"row{r}")
        row_valid = K.Splat(K.Binary("lt", K.Binary("add", m0, K.Const(r)), K.Const(g.m)),
                            lanes)
        bias = None
        if g.bias is not None and g.bias_per_row:
            bias = K.Var(f"bias{r}", "f32", lanes)
            final_stores.append(K.Let(bias, K.Splat(K.Load(
                g.bias, K.Binary("add", g.bias_offset, row)), lanes)))
        for v in range(g.vectors):
            mask = K.Binary("and", masks[v], row_valid)
            raw = K.Var(f"acc{r}_{v}", "f32", lanes)
            where = c_lanes(g, K.Var(f"c{r}_{v}"), lanes)
            raw_stores.append(K.Store(g.c, where, raw, mask))
            final_stores.append(K.Store(g.c, where, _finished(g, raw, bias, n0, v, where, mask,
                                                              masks[v], lanes), mask))
    if not (g.bias is not None or g.residual is not None or g.activations):
        return raw_stores
    once = K.Var("once")
    not_last = K.Select(last, K.Const(0), K.Const(1))
    is_last = K.Select(last, K.Const(1), K.Const(0))
    return [K.Loop(once, K.Const(0), not_last, tuple(raw_stores)),
            K.Loop(once, K.Const(0), is_last, tuple(final_stores))]


def _finished(g: GemmOperands, value: K.Expr, bias, n0, v: int, where, mask, column_mask,
              lanes: int) -> K.Expr:
    """A tile vector with bias, residual and activations applied."""
    if bias is not None:
        value = K.Binary("add", value, bias)
    elif g.bias is not None:
        column = K.Binary("add", g.bias_offset, K.Binary("add", n0, K.Const(v * lanes)))
        value = K.Binary("add", value, K.Load(g.bias, column, lanes, column_mask))
    if g.residual is not None:
        value = K.Binary("add", value, K.Load(g.residual, where, lanes, mask))
    for formula in g.activations:
        value = formula(value)
    return value


def blocking(g: GemmOperands, lanes: int, threads: int) -> tuple[int, int, int, int]:
    """(k blocks, k block size, m panels per tile, m blocks) for this GEMM's shape."""
    k_blocks = -(-g.k // g.k_block)
    k_size = -(-g.k // k_blocks)
    m_panels = -(-g.m // g.rows)
    n_panels = -(-g.n // (g.vectors * lanes))
    wanted = -(-TILES_PER_THREAD * threads // n_panels)
    m_blocks = max(1, min(wanted, -(-m_panels // 4)))
    per_block = -(-m_panels // m_blocks)
    return k_blocks, k_size, per_block, -(-m_panels // per_block)


def emit_gemm(ctx: LoweringContext, g: GemmOperands, stem: str, source: str,
              groups: int = 1, group_offsets: Callable | None = None) -> None:
    """All tiles of (grouped) GEMMs as one kernel with a parallel loop over tiles; a tile is one
    column panel of C and a block of row panels, walked k block by k block."""
    lanes = ctx.target.vector_lanes
    k_blocks, k_size, per_block, m_blocks = blocking(g, lanes, ctx.target.threads)
    m_panels = -(-g.m // g.rows)
    n_panels = -(-g.n // (g.vectors * lanes))
    per_group = m_blocks * n_panels
    tile, group, panel, block = K.Var("tile"), K.Var("group"), K.Var("panel"), K.Var("block")
    kb, mp = K.Var("kb"), K.Var("mp")
    rest = K.Binary("rem", tile, K.Const(per_group))
    operands = group_offsets(g, group) if group_offsets else g
    k_start = K.Binary("mul", kb, K.Const(k_size))
    k_stop = K.Binary("min", K.Binary("add", k_start, K.Const(k_size)), K.Const(g.k))
    first = K.Binary("eq", kb, K.Const(0))
    last = K.Binary("eq", kb, K.Const(k_blocks - 1))
    m0 = K.Binary("mul", mp, K.Const(g.rows))
    tile_body = tile_statements(operands, m0, panel, lanes, (k_start, k_stop), first, last,
                                k_blocks == 1)
    block_start = K.Binary("mul", block, K.Const(per_block))
    block_stop = K.Binary("min", K.Binary("add", block_start, K.Const(per_block)),
                          K.Const(m_panels))
    rows_loop = K.Loop(mp, block_start, block_stop, tuple(tile_body))
    body: list[K.Stmt] = [K.Let(group, K.Binary("div", tile, K.Const(per_group))),
                          K.Let(panel, K.Binary("div", rest, K.Const(m_blocks))),
                          K.Let(block, K.Binary("rem", rest, K.Const(m_blocks)))]
    body += tile_masks(operands, panel, lanes)
    body.append(K.Loop(kb, K.Const(0), K.Const(k_blocks), (rows_loop,)))
    # a waking thread costs more than a small product saves: those run on the caller alone
    parallel = 2 * g.m * g.n * g.k * groups >= PARALLEL_MIN_FLOPS
    loop = K.Loop(tile, K.Const(0), K.Const(groups * per_group), tuple(body), parallel=parallel)
    ctx.emit(stem, [loop], source)


def pack_a_panels(matrix: np.ndarray, rows: int = ROWS) -> np.ndarray:
    """[M, K] -> [ceil(M/rows), K, rows], zero rows appended."""
    m, k = matrix.shape
    padded = np.zeros((-(-m // rows) * rows, k), np.float32)
    padded[:m] = matrix
    return padded.reshape(-1, rows, k).transpose(0, 2, 1).copy()


def pack_b_panels(matrix: np.ndarray, width: int) -> np.ndarray:
    """[K, N] -> [ceil(N/width), K, width], zero columns appended."""
    k, n = matrix.shape
    panels = -(-n // width)
    packed = np.zeros((panels, k, width), np.float32)
    for panel in range(panels):  # panel by panel: no full-size temporary for big weights
        block = matrix[:, panel * width:(panel + 1) * width]
        packed[panel, :, :block.shape[1]] = block
    return packed


def epilogue_buffers(ctx: LoweringContext, epilogue: Epilogue, stem: str, size: int) -> dict:
    bias = None
    if epilogue.bias is not None:
        bias = ctx.add_weights(stem + "_bias", np.asarray(epilogue.bias, np.float32))
    residual = ctx.buffer(epilogue.residual) if epilogue.residual is not None else None
    return {"bias": bias, "residual": residual, "activations": epilogue.activations}


def matmul_right_operand(ctx: LoweringContext, node: Any, epilogue: Epilogue, k_size: int,
                         width: int) -> tuple[K.Buffer, Callable, bool]:
    """(buffer, index function, masked) of the right operand: a constant is packed into
    [N/width][K][width] panels (per-column scales folded in), a runtime one read in place."""
    b_value, transpose_b = node.inputs[1], node.attrs["transpose_b"]
    b_const = ctx.constant(b_value)
    if b_const is None:
        if transpose_b:
            raise DeviceError(f"CPU: {node.describe()}: transpose_b of a runtime operand")
        n_cols = static_shape(b_value)[1]

        def in_place(panel, k, n_local):
            column = K.Binary("add", K.Binary("mul", panel, K.Const(width)), n_local)
            return K.Binary("add", K.Binary("mul", k, K.Const(n_cols)), column)
        return ctx.buffer(b_value), in_place, n_cols % width != 0
    matrix = np.asarray(b_const, np.float32)
    matrix = matrix.T if transpose_b else matrix
    if epilogue.scale is not None:
        matrix = (matrix * epilogue.scale[None, :]).astype(np.float32)

    def packed(panel, k, n_local):
        base = K.Binary("mul", panel, K.Const(k_size * width))
        return K.Binary("add", base, K.Binary("add", K.Binary("mul", k, K.Const(width)),
                                              n_local))
    return ctx.add_weights(node.name or "matmul", pack_b_panels(matrix, width)), packed, False


@lowers("MatMul")
def lower_matmul(ctx: LoweringContext, node: Any, epilogue: Epilogue | None = None) -> None:
    epilogue = epilogue or Epilogue(nodes=[node])
    if not batched_matmul.fast_gemm_handles(ctx, node):
        batched_matmul.lower_batched_matmul(ctx, node, epilogue)
        return
    a_value, b_value = node.inputs
    a_shape, b_shape = static_shape(a_value), static_shape(b_value)  # B 2-D: fast_gemm_handles
    transpose_a, transpose_b = node.attrs["transpose_a"], node.attrs["transpose_b"]
    k_size = a_shape[-2] if transpose_a else a_shape[-1]
    m_size = int(np.prod(a_shape)) // k_size
    n_size = b_shape[0] if transpose_b else b_shape[1]
    width = VECTORS * ctx.target.vector_lanes
    a_rows, a_cols = (1, m_size) if transpose_a else (k_size, 1)

    def a_index(m0, r, k):
        row = K.Binary("min", K.Binary("add", m0, K.Const(r)), K.Const(m_size - 1))
        return K.Binary("add", K.Binary("mul", row, K.Const(a_rows)),
                        K.Binary("mul", k, K.Const(a_cols)))

    b_buffer, b_index, b_masked = matmul_right_operand(ctx, node, epilogue, k_size, width)
    gemm = GemmOperands(
        a=ctx.buffer(a_value), a_index=a_index, b=b_buffer, b_index=b_index, b_masked=b_masked,
        c=ctx.output(epilogue.output),
        c_index=lambda m, n: K.Binary("add", K.Binary("mul", m, K.Const(n_size)), n),
        m=m_size, n=n_size, k=k_size, rows=min(ROWS, m_size), bias_per_row=False,
        **epilogue_buffers(ctx, epilogue, node.name or "matmul", n_size))
    emit_gemm(ctx, gemm, "matmul", " + ".join(n.describe() for n in epilogue.nodes))
