"""Stride-1 convolutions without im2col: OpenCL C of the two kernels around the GEMM.

im2col writes KH*KW copies of the input; for a 3x3 layer that is most of the layer's memory
traffic (measured on PoCL: a fifth of DenseNet-121's time). A stride-1 convolution reads a
zero-padded copy of the input instead:

    xpad[c][hp][wp], Hp = OH + DH*(KH-1), Wp = OW + DW*(KW-1)
    C'[m][oh*Wp + ow] = sum_(c,kh,kw) W[m][c,kh,kw] * xpad_flat[c*Hp*Wp + kh*DH*Wp + kw*DW
                                                            + (oh*Wp + ow)]

so row k = (c, kh, kw) of the GEMM's B operand is the padded input read from offset
ktab[k] = c*Hp*Wp + kh*DH*Wp + kw*DW, unit-stride along n' = oh*Wp + ow. The GEMM computes
C' over the padded width (columns ow >= OW are discarded) and `conv_epilogue` keeps the
OW valid columns of each row while adding the bias and the residual and applying the
activation. Reads past the last valid column land in `slack` elements allocated after the
padded input (their values only reach discarded columns).
"""

from dataclasses import dataclass

PAD_PARAMETERS = ("x_off", "pad_off", "H", "W", "Hp", "Wp", "PH", "PW", "rows")
EPILOGUE_PARAMETERS = ("c_off", "out_off", "res_off", "bias_off", "row_length", "Wp", "OH",
                       "OW", "channels", "rows")
PAD_KERNEL = "pad_rows"
ROWS_PER_GROUP = 16  # work-items per work-group of both kernels (PoCL pays per work-group)


@dataclass(frozen=True)
class EpilogueVariant:
    """What changes the code of a `conv_epilogue` kernel."""

    bias: bool
    residual: bool
    activation: object  # kernel IR expression over the scalar f32 Var "x"

    @property
    def name(self) -> str:
        import hashlib

        digest = hashlib.sha256(repr(self).encode()).hexdigest()[:10]
        return f"conv_epilogue_{digest}"


def slack(kernel_w: int, dilation_w: int, panel_width: int) -> int:
    """Elements read past one padded image by the last column panel of its last rows."""
    return dilation_w * (kernel_w - 1) + panel_width


def _signature(name: str, parameters: tuple[str, ...]) -> str:
    listed = ", ".join(f"long {p}" for p in parameters)
    return (f"__kernel void {name}(__global uchar* arena, __global const uchar* weights,\n"
            f"    {listed})")


def pad_source() -> str:
    """xpad rows: work-item r writes row hp = r % Hp of plane r / Hp (zeros outside x)."""
    return _signature(PAD_KERNEL, PAD_PARAMETERS) + """ {
  const long r = get_global_id(0);
  if (r >= rows) return;
  const long plane = r / Hp, ih = r % Hp - PH;
  const __global float* line = (const __global float*)(arena) + x_off + plane * H * W;
  __global float* out = (__global float*)(arena) + pad_off + r * Wp;
  if (ih < 0 || ih >= H) {
    for (long wp = 0; wp < Wp; wp++) out[wp] = 0.0f;
    return;
  }
  line += ih * W;
  for (long wp = 0; wp < Wp; wp++) {
    const long iw = wp - PW;
    out[wp] = (iw >= 0 && iw < W) ? line[iw] : 0.0f;
  }
}"""


def epilogue_source(variant: EpilogueVariant, activation: str) -> str:
    """out[plane][oh][ow] = activation(C'[plane][oh*Wp + ow] + bias + residual); work-item
    r = plane*OH + oh owns one output row; `activation` names the renderer's helper."""
    lines = [_signature(variant.name, EPILOGUE_PARAMETERS) + " {",
             "  const long r = get_global_id(0);",
             "  if (r >= rows) return;",
             "  const long plane = r / OH, oh = r % OH;",
             "  const __global float* c = (const __global float*)(arena) + c_off"
             " + plane * row_length + oh * Wp;",
             "  __global float* out = (__global float*)(arena) + out_off + r * OW;"]
    value = "c[ow]"
    if variant.bias:
        lines.append("  const float b = ((const __global float*)(weights))"
                     "[bias_off + plane % channels];")
        value += " + b"
    if variant.residual:
        lines.append("  const __global float* R = (const __global float*)(arena) + res_off"
                     " + r * OW;")
        value += " + R[ow]"
    lines += [f"  for (long ow = 0; ow < OW; ow++) out[ow] = {activation}({value});", "}"]
    return "\n".join(lines)
