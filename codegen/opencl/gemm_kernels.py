"""Scheduled GEMM and im2col kernels: OpenCL C generated once per variant, sized by arguments.

Every Convolution and MatMul of a model is C[m][n] = epilogue(sum_k A[m][k] * B[k][n]) with
    A[m][k] at a_off + m*a_rs + k*a_ks        (weights or activations, any strides)
    B[k][n] at b_off + k*b_ks + n             (rows unit-stride: vector loads along n)
    C[m][n] at c_off + m*ldc + n              (the residual, when fused, is laid out like C)
plus per-group and per-image offsets (global ids 1 and 2). Sizes and offsets are kernel
arguments, so one compiled kernel serves every layer with the same epilogue: PoCL compiles a
few kernels per model instead of one per layer.

Two schedules, same arguments:
- register-blocked (CPU-type devices): a work-item owns a column panel of `vectors` vectors of
  `lanes` floats and a range of `rows`-row panels (the tile shape that pads C least, as the
  CPU's); the k loop is generator-unrolled into rows x vectors accumulators updated with plain
  a*b+c (PoCL contracts it into FMAs, while fma() would be a call); B rows that are padded to
  the panel width need no masks.
- local-tiled (GPUs): a TILE x TILE work-group computes a (TILE*WORK) x (TILE*WORK) block of C,
  staging TILE*WORK x TILE_K tiles of A and B in __local memory; each work-item keeps WORK x WORK
  accumulators.
"""

from dataclasses import dataclass

ROWS = 6
VECTORS = 4
K_BLOCK = 256
TILE = 16
WORK = 4
TILE_K = 16

GEMM_PARAMETERS = ("a_off", "a_rs", "a_ks", "a_gs", "b_off", "b_ks", "b_gs", "b_is", "c_off",
                   "ldc", "c_gs", "c_is", "bias_off", "bias_gs", "res_off", "M", "N", "K",
                   "m_panels_per_item", "m_blocks", "groups", "ktab_off")


@dataclass(frozen=True)
class GemmVariant:
    """What changes the code of a GEMM kernel (everything else is an argument)."""

    schedule: str
    lanes: int
    masked_b: bool  # B rows are not padded to the panel width
    bias: str  # "none", "row" (per m) or "column" (per n)
    residual: bool
    activation: object  # kernel IR expression of the epilogue over the f32 vector Var "x"
    a_space: str  # "weights" or "arena"
    b_space: str
    rows: int = ROWS  # rows per register tile: fewer for GEMMs with fewer rows (GEMV)
    vectors: int = VECTORS  # vectors per register tile row (the tile that pads N least)
    # "strided": row k of B at k*b_ks; "table": at ktab[k] (an i32 table in the weights at
    # ktab_off: a stride-1 convolution reading its padded input, see direct_convolution.py);
    # "panels" (register-blocked, constant B): packed panel after panel, each K rows of one
    # panel's width, so a work-item streams its panel from contiguous memory (panel n0/width
    # starts at n0*K: its row k at k*width + n0*(K-1) + n0)
    b_rows: str = "strided"

    @property
    def name(self) -> str:
        import hashlib

        digest = hashlib.sha256(repr(self).encode()).hexdigest()[:10]
        return f"gemm_{self.schedule.replace('-', '_')}_{digest}"


def _space(space: str, const: bool = True) -> str:
    return "__global const uchar*" if const else "__global uchar*"


def gemm_signature(variant: GemmVariant) -> str:
    parameters = ", ".join(f"long {p}" for p in GEMM_PARAMETERS)
    return (f"__kernel void {variant.name}(__global uchar* arena, "
            f"__global const uchar* weights, {parameters})")


def _pointers(variant: GemmVariant) -> list[str]:
    """Typed pointers for this work-item's group and image (element offsets are arguments)."""
    a_base = "weights" if variant.a_space == "weights" else "arena"
    b_base = "weights" if variant.b_space == "weights" else "arena"
    if variant.schedule == "local-tiled":
        first = "const long group = get_global_id(2) % groups, image = get_global_id(2) / groups;"
    else:
        first = "const long group = get_global_id(1), image = get_global_id(2);"
    lines = [
        first,
        f"const __global float* A = (const __global float*)({a_base}) + a_off + group * a_gs;",
        f"const __global float* B = (const __global float*)({b_base}) + b_off + group * b_gs"
        " + image * b_is;",
        "__global float* C = (__global float*)(arena) + c_off + group * c_gs + image * c_is;",
    ]
    if variant.residual:
        lines.append("const __global float* R = (const __global float*)(arena) + res_off"
                     " + group * c_gs + image * c_is;")
    if variant.bias != "none":
        lines.append("const __global float* bias = (const __global float*)(weights) + bias_off"
                     " + group * bias_gs;")
    if variant.b_rows == "table":
        lines.append("const __global int* ktab = (const __global int*)(weights) + ktab_off;")
    return lines


def register_blocked_source(variant: GemmVariant, load: str, load_masked: str,
                            store_masked: str, activation: str) -> str:
    """The register-blocked kernel; `load*`/`store*` name the renderer's vector helpers and
    `activation` a helper function applied to the value on the last k block."""
    lanes, width = variant.lanes, variant.vectors * variant.lanes
    kind = f"float{lanes}"
    lines = [gemm_signature(variant) + " {"]
    lines += ["  " + line for line in _pointers(variant)]
    lines += [
        f"  const long n_panels = (N + {width - 1}) / {width};",
        "  const long panel = (long)get_global_id(0) / m_blocks;",
        "  const long block = (long)get_global_id(0) % m_blocks;",
        "  if (panel >= n_panels) return;",
        f"  const long n0 = panel * {width};",
        f"  const long valid = N - n0 < {width} ? N - n0 : {width};",
        f"  const int full = valid == {width};",
    ]
    lines += [f"  const int{lanes} mask{v} = vx_lanemask{lanes}(valid - {v * lanes});"
              for v in range(variant.vectors)]
    lines += [
        "  const long mp_start = block * m_panels_per_item;",
        f"  const long m_panels = (M + {variant.rows - 1}) / {variant.rows};",
        "  const long mp_stop = mp_start + m_panels_per_item < m_panels ?"
        " mp_start + m_panels_per_item : m_panels;",
        f"  for (long k0 = 0; k0 < K; k0 += {K_BLOCK}) {{",
        f"    const long k1 = k0 + {K_BLOCK} < K ? k0 + {K_BLOCK} : K;",
        "    for (long mp = mp_start; mp < mp_stop; mp++) {",
        f"      const long m0 = mp * {variant.rows};",
    ]
    body = []
    for r in range(variant.rows):
        body.append(f"const long row{r} = m0 + {r} < M ? m0 + {r} : M - 1;")
        body.append(f"const __global float* a{r} = A + row{r} * a_rs;")
        for v in range(variant.vectors):
            partial = f"{load_masked}(C + row{r} * ldc + n0 + {v * lanes}, mask{v})"
            body.append(f"{kind} acc{r}_{v} = k0 == 0 ? ({kind})(0.0f) : {partial};")
    body += _k_loop(variant, load, load_masked, kind)
    body += _stores(variant, load_masked, store_masked, activation, kind)
    lines += ["      " + line for line in body]
    lines += ["    }", "  }", "}"]
    return "\n".join(lines)


def _k_loop(variant: GemmVariant, load: str, load_masked: str, kind: str) -> list[str]:
    """The unrolled k loop. With unpadded B, the last column panel reads its rows unmasked
    as long as the panel's end stays inside B (the columns past N are garbage that is never
    stored: a column of C depends on its own column of B only); the last rows, whose panel
    would reach past B's end, are read with lane masks."""
    def loop(masked: bool, start: str, stop: str) -> list[str]:
        width = variant.vectors * variant.lanes
        row = {"table": "ktab[k]", "panels": f"k * {width} + n0 * (K - 1)",
               "strided": "k * b_ks"}[variant.b_rows]
        lines = [f"for (long k = {start}; k < {stop}; k++) {{",
                 f"  const __global float* brow = B + {row} + n0;"]
        for v in range(variant.vectors):
            offset = f"brow + {v * variant.lanes}"
            value = f"{load_masked}({offset}, mask{v})" if masked else f"{load}({offset})"
            lines.append(f"  const {kind} b{v} = {value};")
        for r in range(variant.rows):
            lines.append(f"  const {kind} a_{r} = ({kind})(a{r}[k * a_ks]);")
            lines += [f"  acc{r}_{v} = a_{r} * b{v} + acc{r}_{v};"
                      for v in range(variant.vectors)]
        return lines + ["}"]

    if not variant.masked_b:
        return loop(False, "k0", "k1")
    width = variant.vectors * variant.lanes
    return ([f"const long rows_past = full ? 0 : (n0 + {width} + b_ks - 1) / b_ks - 1;",
             "const long k_split = k1 < K - rows_past ? k1 : (k0 > K - rows_past ? k0 :"
             " K - rows_past);"]
            + loop(False, "k0", "k_split") + loop(True, "k_split", "k1"))


def _stores(variant: GemmVariant, load_masked: str, store_masked: str, activation: str,
            kind: str) -> list[str]:
    lines = ["const int last = k1 == K;"]
    lanes = variant.lanes
    for r in range(variant.rows):
        lines.append(f"if (m0 + {r} < M) {{")
        for v in range(variant.vectors):
            column = f"n0 + {v * lanes}"
            value = f"acc{r}_{v}"
            if variant.bias == "row":
                value = f"{value} + ({kind})(bias[row{r}])"
            elif variant.bias == "column":
                value = f"{value} + {load_masked}(bias + {column}, mask{v})"
            if variant.residual:
                value = f"{value} + {load_masked}(R + row{r} * ldc + {column}, mask{v})"
            value = f"{activation}({value})"
            target = f"C + row{r} * ldc + {column}"
            lines.append(f"  {store_masked}({target}, last ? {value} : acc{r}_{v}, mask{v});")
        lines.append("}")
    return lines


def local_tiled_source(variant: GemmVariant, activation: str) -> str:
    """The GPU kernel: a TILE x TILE work-group computes a BLOCK x BLOCK block of C from
    BLOCK x TILE_K tiles of A and B staged in __local memory; work-item (x, y) owns rows
    y, y+TILE, ... and columns x, x+TILE, ... of the block (neighbours read neighbouring
    local words: no bank conflicts)."""
    block = TILE * WORK
    loads = (block * TILE_K) // (TILE * TILE)
    epilogue = "value"
    if variant.bias == "row":
        epilogue = "value + bias[m]"
    elif variant.bias == "column":
        epilogue = "value + bias[n]"
    if variant.residual:
        epilogue = f"{epilogue} + R[m * ldc + n]"
    lines = [gemm_signature(variant) + " {"]
    lines += ["  " + line for line in _pointers(variant)]
    lines += [f"""  const int lx = get_local_id(0), ly = get_local_id(1), me = ly * {TILE} + lx;
  const long n_base = get_group_id(0) * {block}, m_base = get_group_id(1) * {block};
  __local float As[{TILE_K}][{block}];
  __local float Bs[{TILE_K}][{block}];
  float acc[{WORK}][{WORK}];
  for (int i = 0; i < {WORK}; i++) for (int j = 0; j < {WORK}; j++) acc[i][j] = 0.0f;
  for (long k0 = 0; k0 < K; k0 += {TILE_K}) {{
    for (int i = 0; i < {loads}; i++) {{
      const int e = me + i * {TILE * TILE};
      const int ar = e / {TILE_K}, ak = e % {TILE_K}, bk = e / {block}, bc = e % {block};
      const long m = m_base + ar, ka = k0 + ak, kb = k0 + bk, n = n_base + bc;
      As[ak][ar] = (m < M && ka < K) ? A[m * a_rs + ka * a_ks] : 0.0f;
      Bs[bk][bc] = (kb < K && n < N) ? B[{"ktab[kb]" if variant.b_rows == "table"
                                          else "kb * b_ks"} + n] : 0.0f;
    }}
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int kk = 0; kk < {TILE_K}; kk++) {{
      float a[{WORK}], b[{WORK}];
      for (int i = 0; i < {WORK}; i++) a[i] = As[kk][ly + i * {TILE}];
      for (int j = 0; j < {WORK}; j++) b[j] = Bs[kk][lx + j * {TILE}];
      for (int i = 0; i < {WORK}; i++)
        for (int j = 0; j < {WORK}; j++) acc[i][j] = a[i] * b[j] + acc[i][j];
    }}
    barrier(CLK_LOCAL_MEM_FENCE);
  }}
  for (int i = 0; i < {WORK}; i++) {{
    const long m = m_base + ly + i * {TILE};
    for (int j = 0; j < {WORK}; j++) {{
      const long n = n_base + lx + j * {TILE};
      if (m >= M || n >= N) continue;
      const float value = acc[i][j];
      C[m * ldc + n] = {activation}({epilogue});
    }}
  }}
}}"""]
    return "\n".join(lines)


def local_tiled_launch(m_size: int, n_size: int, groups: int, batch: int
                       ) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(global size, work-group size) of a local-tiled GEMM."""
    block = TILE * WORK
    return ((-(-n_size // block) * TILE, -(-m_size // block) * TILE, groups * batch),
            (TILE, TILE, 1))


IM2COL_PARAMETERS = ("x_off", "x_is", "col_off", "col_is", "C", "H", "W", "KH", "KW", "OH",
                     "OW", "SH", "SW", "DH", "DW", "PH", "PW", "ldb")


def im2col_source() -> str:
    """columns[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c][ih][iw] (0 outside the image); one
    work-item per row, image = global id 1; columns of a row beyond OH*OW are left as they are
    (the GEMM never stores what they produce)."""
    parameters = ", ".join(f"long {p}" for p in IM2COL_PARAMETERS)
    return f"""__kernel void im2col_rows(__global uchar* arena, __global const uchar* weights,
    {parameters}) {{
  const long row = get_global_id(0), image = get_global_id(1);
  if (row >= C * KH * KW) return;
  const long kw = row % KW, kh = (row / KW) % KH, c = row / (KW * KH);
  const __global float* x = (const __global float*)(arena) + x_off + image * x_is + c * H * W;
  __global float* out = (__global float*)(arena) + col_off + image * col_is + row * ldb;
  for (long oh = 0; oh < OH; oh++, out += OW) {{
    const long ih = oh * SH - PH + kh * DH;
    const __global float* line = x + ih * W;
    const int inside = ih >= 0 && ih < H;
    for (long ow = 0; ow < OW; ow++) {{
      const long iw = ow * SW - PW + kw * DW;
      out[ow] = (inside && iw >= 0 && iw < W) ? line[iw] : 0.0f;
    }}
  }}
}}"""
