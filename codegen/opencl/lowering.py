"""The graph lowered for OpenCL: the shared walk and lowering for every op, except that
Convolution, GroupConvolution and MatMul groups (with their fused epilogues, planned by the
shared `plan_groups`) become launches of the scheduled kernels of `gemm_kernels` (passed to the
shared walk as its `gemm_lowerings`): 1x1 convolutions read their input in place, stride-1 ones
a padded copy (`direct_convolution`), others im2col columns; shapes the scheduled kernels do not
take (N-D windows, N-D right operands, other element types) get the shared lowerings.

A launch is a `ScheduledKernel`: a kernel IR Kernel with no body whose `buffers` say what it
touches (for the memory plan) and whose arguments name buffers symbolically (an element offset
is known only once the arena is planned).
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering import convolution, gemm
from vinify.codegen.lowering import graph as shared
from vinify.codegen.lowering.context import LoweringContext, static_shape
from vinify.codegen.lowering.gemm import Epilogue
from vinify.codegen.opencl import direct_convolution
from vinify.codegen.opencl.gemm_kernels import (
    GEMM_PARAMETERS,
    IM2COL_PARAMETERS,
    ROWS,
    VECTORS,
    GemmVariant,
    local_tiled_launch,
)
from vinify.codegen.opencl.target import REGISTER_BLOCKED

TILES_PER_COMPUTE_UNIT = 8
DIRECT_WIDTH_LIMIT = 2.0  # padded width / output width up to which a convolution goes direct
IM2COL_GROUP = 16  # im2col rows per work-group: PoCL pays per work-group, not per work-item


@dataclass(frozen=True)
class Offset:
    """The element offset of `buffer` (plus `shift` elements), resolved after planning."""

    buffer: str
    shift: int = 0
    item_size: int = 0  # bytes per element counted; 0: the compute type's (f32 or f16)


@dataclass
class ScheduledKernel(K.Kernel):
    """One launch of a scheduled kernel: `variant` says which code, arguments the sizes."""

    variant: Any = None
    arguments: dict = field(default_factory=dict)
    global_size: tuple = (1,)
    local_size: tuple | None = None  # None: the runtime's choice for the device


def gemm_lanes(ctx: LoweringContext) -> int:
    """f32 lanes per vector of the scheduled GEMMs (other kernels may use fewer)."""
    return ctx.target.extra.get("gemm_lanes", ctx.target.vector_lanes)


def round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _activation_formula(epilogue: Epilogue) -> Any:
    def apply(value: K.Expr) -> K.Expr:
        for formula in epilogue.activations:
            value = formula(value)
        return value

    return apply


ACTIVATION_INPUT = "x"


def _epilogue_parts(ctx: LoweringContext, epilogue: Epilogue, stem: str, bias_size: int
                    ) -> tuple[K.Buffer | None, K.Buffer | None]:
    bias = None
    if epilogue.bias is not None:
        values = np.zeros(bias_size, np.float32)
        values[:len(epilogue.bias)] = epilogue.bias
        bias = ctx.add_weights(stem + "_bias", values)
    residual = ctx.buffer(epilogue.residual) if epilogue.residual is not None else None
    return bias, residual


def gemm_tile(ctx: LoweringContext, m_size: int, n_size: int) -> tuple[int, int]:
    """(rows, vectors) of a register tile: the shared choice that pads C least (PoCL's code
    for a tile is the CPU's); the local-tiled kernels ignore it."""
    if ctx.target.extra.get("schedule", REGISTER_BLOCKED) != REGISTER_BLOCKED:
        return min(ROWS, m_size), VECTORS
    return gemm.choose_tile(m_size, n_size, gemm_lanes(ctx))


def panel_width(ctx: LoweringContext, tile: tuple[int, int]) -> int:
    return tile[1] * gemm_lanes(ctx)


def emit_gemm(ctx: LoweringContext, variant_fields: dict, sizes: dict, buffers: list,
              groups: int, batch: int, source: str, tile: tuple[int, int]) -> None:
    """One scheduled GEMM launch over groups x images, split into enough work-items."""
    lanes = gemm_lanes(ctx)
    rows, vectors = tile
    n_panels = -(-sizes["N"] // (vectors * lanes))
    m_panels = -(-sizes["M"] // rows)
    wanted = TILES_PER_COMPUTE_UNIT * ctx.target.threads
    m_blocks = max(1, min(m_panels, -(-wanted // (n_panels * groups * batch))))
    per_item = -(-m_panels // m_blocks)
    m_blocks = -(-m_panels // per_item)
    arguments = {name: 0 for name in GEMM_PARAMETERS}
    arguments.update(sizes, m_panels_per_item=per_item, m_blocks=m_blocks, groups=groups)
    schedule = ctx.target.extra.get("schedule", REGISTER_BLOCKED)
    formula = variant_fields.pop("activation")
    epilogue_lanes = lanes if schedule == REGISTER_BLOCKED else 1
    variant_fields["activation"] = formula(K.Var(ACTIVATION_INPUT, "f32", epilogue_lanes))
    variant = GemmVariant(schedule=schedule, lanes=lanes, rows=rows, vectors=vectors,
                          **variant_fields)
    global_size, local_size = (n_panels * m_blocks, groups, batch), None
    if schedule != REGISTER_BLOCKED:
        global_size, local_size = local_tiled_launch(sizes["M"], sizes["N"], groups, batch)
    kernel = ScheduledKernel(variant.name, [], source, [b for b in buffers if b is not None],
                             variant=variant, arguments=arguments, global_size=global_size,
                             local_size=local_size)
    ctx.kernels.append(kernel)


def lower_convolution(ctx: LoweringContext, node: Any, epilogue: Epilogue | None = None) -> None:
    """A 2-D f32 convolution as a scheduled GEMM over its input (1x1), a padded copy of it
    (stride 1) or im2col columns; others take the shared lowering."""
    epilogue = epilogue or Epilogue(nodes=[node])
    if not _scheduled_convolution(ctx, node, epilogue):
        convolution.lower_convolution(ctx, node, epilogue)
        return
    shape = static_shape(node.inputs[1])
    if node.op.name == "Convolution":
        shape = (1, *shape)
    groups, m_size = shape[0], shape[1]
    geo = convolution.geometry(node, shape)
    k_size = int(np.prod(shape[2:]))
    a = _convolution_rows(ctx, node, epilogue, (groups, m_size, k_size))
    batch = static_shape(node.inputs[0])[0]
    if _direct_pays(ctx, geo):
        lower_direct_convolution(ctx, node, epilogue, geo, a, (groups, m_size, k_size), batch)
        return
    x, out = ctx.buffer(node.inputs[0]), ctx.output(epilogue.output)
    n_size = geo.out_h * geo.out_w
    bias, residual = _epilogue_parts(ctx, epilogue, node.name or "conv", groups * m_size)
    source = " + ".join(n.describe() for n in epilogue.nodes)
    image_size = geo.channels * geo.height * geo.width
    tile = gemm_tile(ctx, m_size, n_size)
    if geo.is_pointwise:  # read in place: only the last column panel needs lane masks
        b, ldb, b_is = x, n_size, image_size
        masked = n_size % panel_width(ctx, tile) != 0
    else:  # rows padded to the panel width: the k loop needs no lane masks
        ldb = round_up(n_size, panel_width(ctx, tile))
        b_is = geo.channels * geo.kernel_h * geo.kernel_w * ldb
        b = ctx.scratch("im2col", batch * b_is)
        _emit_im2col(ctx, x, b, geo, ldb, b_is, batch, source)
        masked = False
    sizes = dict(a_off=Offset(a.name), a_rs=k_size, a_ks=1, a_gs=m_size * k_size,
                 b_off=Offset(b.name), b_ks=ldb, b_gs=k_size * ldb, b_is=b_is,
                 c_off=Offset(out.name), ldc=n_size, c_gs=m_size * n_size,
                 c_is=groups * m_size * n_size, bias_gs=m_size, M=m_size, N=n_size, K=k_size)
    _add_epilogue_offsets(sizes, bias, residual)
    fields = dict(masked_b=masked,
                  bias="row" if bias is not None else "none", residual=residual is not None,
                  activation=_activation_formula(epilogue),
                  a_space="weights" if a.name in ctx.weights else "arena", b_space="arena")
    emit_gemm(ctx, fields, sizes, [a, b, out, bias, residual], groups, batch, source, tile)


def _direct_pays(ctx: LoweringContext, geo: Any) -> bool:
    """Stride-1 windows on CPU-type devices read a padded copy of the input instead of
    im2col columns, while the padded width adds few discarded columns to the GEMM."""
    if ctx.target.extra.get("schedule", REGISTER_BLOCKED) != REGISTER_BLOCKED:
        return False
    if geo.is_pointwise or geo.stride != (1, 1):
        return False
    padded_w = geo.out_w + geo.dilation[1] * (geo.kernel_w - 1)
    return padded_w <= DIRECT_WIDTH_LIMIT * geo.out_w


def lower_direct_convolution(ctx: LoweringContext, node: Any, epilogue: Epilogue, geo: Any,
                             a: K.Buffer, shape: tuple[int, int, int], batch: int) -> None:
    """pad_rows, a GEMM whose B rows are read through an offset table, conv_epilogue (see
    direct_convolution.py)."""
    groups, m_size, k_size = shape
    padded_h = geo.out_h + geo.dilation[0] * (geo.kernel_h - 1)
    padded_w = geo.out_w + geo.dilation[1] * (geo.kernel_w - 1)
    n_size, plane = geo.out_h * padded_w, padded_h * padded_w
    tile = gemm_tile(ctx, m_size, n_size)
    source = " + ".join(n.describe() for n in epilogue.nodes)
    extra = direct_convolution.slack(geo.kernel_w, geo.dilation[1], panel_width(ctx, tile))
    padded = ctx.scratch("padded", batch * geo.channels * plane + extra)
    x = ctx.buffer(node.inputs[0])
    rows = batch * geo.channels * padded_h
    arguments = dict(x_off=Offset(x.name), pad_off=Offset(padded.name), H=geo.height,
                     W=geo.width, Hp=padded_h, Wp=padded_w, PH=geo.pad[0], PW=geo.pad[1],
                     rows=rows)
    _emit_rows_kernel(ctx, direct_convolution.PAD_KERNEL, [x, padded], arguments, source)
    per_group = geo.channels // groups
    c, kh, kw = np.meshgrid(np.arange(per_group), np.arange(geo.kernel_h),
                            np.arange(geo.kernel_w), indexing="ij")
    offsets = c * plane + kh * geo.dilation[0] * padded_w + kw * geo.dilation[1]
    table = ctx.add_weights((node.name or "conv") + "_rows_at", offsets.reshape(-1), "i32")
    product = ctx.scratch("conv_rows", batch * groups * m_size * n_size)
    sizes = dict(a_off=Offset(a.name), a_rs=k_size, a_ks=1, a_gs=m_size * k_size,
                 b_off=Offset(padded.name), b_gs=per_group * plane,
                 b_is=geo.channels * plane, c_off=Offset(product.name), ldc=n_size,
                 c_gs=m_size * n_size, c_is=groups * m_size * n_size, M=m_size, N=n_size,
                 K=k_size, ktab_off=Offset(table.name, item_size=4))
    fields = dict(masked_b=False, bias="none", residual=False, activation=lambda value: value,
                  a_space="weights" if a.name in ctx.weights else "arena", b_space="arena",
                  b_rows="table")
    emit_gemm(ctx, fields, sizes, [a, padded, product], groups, batch, source, tile)
    _emit_convolution_epilogue(ctx, epilogue, product, geo, (batch * groups * m_size,
                                                             groups * m_size), padded_w)


def _emit_convolution_epilogue(ctx: LoweringContext, epilogue: Epilogue, product: K.Buffer,
                               geo: Any, planes: tuple[int, int], padded_w: int) -> None:
    """conv_epilogue: the valid columns of each row of `product`, with the epilogue applied."""
    count, channels = planes
    out = ctx.output(epilogue.output)
    bias, residual = _epilogue_parts(ctx, epilogue, epilogue.nodes[0].name or "conv", channels)
    formula = _activation_formula(epilogue)(K.Var(ACTIVATION_INPUT, "f32", 1))
    variant = direct_convolution.EpilogueVariant(bias is not None, residual is not None, formula)
    arguments = dict(c_off=Offset(product.name), out_off=Offset(out.name),
                     res_off=Offset(residual.name) if residual is not None else 0,
                     bias_off=Offset(bias.name) if bias is not None else 0,
                     row_length=geo.out_h * padded_w, Wp=padded_w, OH=geo.out_h, OW=geo.out_w,
                     channels=channels, rows=count * geo.out_h)
    buffers = [b for b in (product, out, bias, residual) if b is not None]
    source = " + ".join(n.describe() for n in epilogue.nodes)
    _emit_rows_kernel(ctx, variant, buffers, arguments, source)


def _emit_rows_kernel(ctx: LoweringContext, variant: Any, buffers: list, arguments: dict,
                      source: str) -> None:
    """A scheduled kernel with one work-item per row (`rows` of them) in groups of 16."""
    group = direct_convolution.ROWS_PER_GROUP
    name = variant if isinstance(variant, str) else variant.name
    ctx.kernels.append(ScheduledKernel(name, [], source, buffers, variant=variant,
                                       arguments=arguments,
                                       global_size=(round_up(arguments["rows"], group),),
                                       local_size=(group,)))


def _scheduled_convolution(ctx: LoweringContext, node: Any, epilogue: Epilogue) -> bool:
    """Whether the scheduled kernels take this convolution: 2-D windows (NCHW), f32, and
    weights that are constant or need no batch norm folded in."""
    if len(static_shape(node.inputs[0])) != 4 or node.outputs[0].element_type.name != "f32":
        return False
    return epilogue.scale is None or ctx.constant(node.inputs[1]) is not None


def _convolution_rows(ctx: LoweringContext, node: Any, epilogue: Epilogue,
                      shape: tuple[int, int, int]) -> K.Buffer:
    """The weights as [groups][M][K] rows: constant ones with the epilogue's scale folded in,
    runtime ones (already laid out that way, no scale: `_scheduled_convolution`) read in place."""
    weights = ctx.constant(node.inputs[1])
    if weights is None:
        return ctx.buffer(node.inputs[1])
    matrices = np.asarray(weights, np.float64).reshape(shape)
    if epilogue.scale is not None:
        matrices = matrices * epilogue.scale.reshape(shape[0], shape[1], 1)
    return ctx.add_weights((node.name or "conv") + "_rows", matrices)


def _add_epilogue_offsets(sizes: dict, bias: K.Buffer | None, residual: K.Buffer | None) -> None:
    if bias is not None:
        sizes["bias_off"] = Offset(bias.name)
    if residual is not None:
        sizes["res_off"] = Offset(residual.name)


def _emit_im2col(ctx: LoweringContext, x: K.Buffer, columns: K.Buffer, geo: Any, ldb: int,
                 col_is: int, batch: int, source: str) -> None:
    rows = geo.channels * geo.kernel_h * geo.kernel_w
    values = dict(x_off=Offset(x.name), x_is=geo.channels * geo.height * geo.width,
                  col_off=Offset(columns.name), col_is=col_is, C=geo.channels, H=geo.height,
                  W=geo.width, KH=geo.kernel_h, KW=geo.kernel_w, OH=geo.out_h, OW=geo.out_w,
                  SH=geo.stride[0], SW=geo.stride[1], DH=geo.dilation[0], DW=geo.dilation[1],
                  PH=geo.pad[0], PW=geo.pad[1], ldb=ldb)
    assert set(values) == set(IM2COL_PARAMETERS)
    ctx.kernels.append(ScheduledKernel("im2col_rows", [], source, [x, columns],
                                       variant="im2col", arguments=values,
                                       global_size=(round_up(rows, IM2COL_GROUP), batch),
                                       local_size=(IM2COL_GROUP, 1)))


def _scheduled_matmul(ctx: LoweringContext, node: Any) -> bool:
    """Whether the scheduled GEMM takes this MatMul: f32, a 2-D right operand (constant when
    transposed), a 2-D left operand when transposed."""
    a_shape, b_shape = static_shape(node.inputs[0]), static_shape(node.inputs[1])
    if len(b_shape) != 2 or not a_shape or node.outputs[0].element_type.name != "f32":
        return False
    if node.attrs["transpose_a"] and len(a_shape) != 2:
        return False
    return not node.attrs["transpose_b"] or ctx.constant(node.inputs[1]) is not None


def lower_matmul(ctx: LoweringContext, node: Any, epilogue: Epilogue | None = None) -> None:
    """A MatMul as one scheduled GEMM launch; shapes it does not take get the shared lowering."""
    epilogue = epilogue or Epilogue(nodes=[node])
    if not _scheduled_matmul(ctx, node):
        gemm.lower_matmul(ctx, node, epilogue)
        return
    a_value, b_value = node.inputs
    a_shape, b_shape = static_shape(a_value), static_shape(b_value)
    transpose_a, transpose_b = node.attrs["transpose_a"], node.attrs["transpose_b"]
    k_size = a_shape[-2] if transpose_a else a_shape[-1]
    m_size = int(np.prod(a_shape)) // k_size
    n_size = b_shape[0] if transpose_b else b_shape[1]
    tile = gemm_tile(ctx, m_size, n_size)
    width = panel_width(ctx, tile)
    n_padded = round_up(n_size, width)
    b_const = ctx.constant(b_value)
    if b_const is not None:
        matrix = np.asarray(b_const, np.float64)
        matrix = matrix.T if transpose_b else matrix
        if epilogue.scale is not None:
            matrix = matrix * epilogue.scale[None, :]
        padded = np.zeros((k_size, n_padded))
        padded[:, :n_size] = matrix
        b_rows = "strided"
        if ctx.target.extra.get("schedule", REGISTER_BLOCKED) == REGISTER_BLOCKED:
            padded = padded.reshape(k_size, -1, width).transpose(1, 0, 2)
            b_rows = "panels"
        b = ctx.add_weights(node.name or "matmul", padded)
        b_ks, masked, b_space = n_padded, False, "weights"
    else:
        b, b_ks, masked, b_space = ctx.buffer(b_value), n_size, n_size % width != 0, "arena"
        b_rows = "strided"
    a, out = ctx.buffer(a_value), ctx.output(epilogue.output)
    bias, residual = _epilogue_parts(ctx, epilogue, node.name or "matmul", n_padded)
    sizes = dict(a_off=Offset(a.name), a_rs=1 if transpose_a else k_size,
                 a_ks=m_size if transpose_a else 1, b_off=Offset(b.name), b_ks=b_ks,
                 c_off=Offset(out.name), ldc=n_size, M=m_size, N=n_size, K=k_size)
    _add_epilogue_offsets(sizes, bias, residual)
    fields = dict(masked_b=masked, bias="column" if bias is not None else "none",
                  residual=residual is not None, activation=_activation_formula(epilogue),
                  a_space="weights" if a.name in ctx.weights else "arena", b_space=b_space,
                  b_rows=b_rows)
    source = " + ".join(n.describe() for n in epilogue.nodes)
    emit_gemm(ctx, fields, sizes, [a, b, out, bias, residual], 1, 1, source, tile)


SCHEDULED = {"Convolution": lower_convolution, "GroupConvolution": lower_convolution,
             "MatMul": lower_matmul}


def lower_graph(graph: Any, target: Any) -> shared.LoweredGraph:
    """The shared walk, with the scheduled GEMMs in place of the shared ones."""
    return shared.lower_graph(graph, target, gemm_lowerings=SCHEDULED)
