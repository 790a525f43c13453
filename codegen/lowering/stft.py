"""STFT<15>: the real DFT of each windowed frame, as a direct sum over twiddle tables.

Frame size and step must be known at compile time (the runtime specializes them when they are
input values); the signal and the window are read at run time, the window centred in the frame
as the reference pads it. The cos/sin tables of every (bin, sample) pair are weights computed in
f64 with numpy, and sums accumulate in f64, as the reference's FFT does: an O(size^2) DFT per
frame, fine for the frame sizes STFT sees in practice.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    LoweringContext,
    lowers,
    static_shape,
)
from vinify.errors import DeviceError

WIDE = "f64"
PARALLEL_MIN_ELEMENTS = 4096


def _b(op: str, a: K.Expr, b: K.Expr | int) -> K.Expr:
    return K.Binary(op, a, b if isinstance(b, K.Expr) else K.Const(b))


def _wide(value: K.Expr) -> K.Expr:
    return value if value.dtype == WIDE else K.Cast(value, WIDE)


def _known_int(ctx: LoweringContext, node: Any, index: int, what: str) -> int:
    array = ctx.constant(node.inputs[index])
    if array is None:
        raise DeviceError(f"CPU: {node.describe()}: the {what} must be known at compile time")
    return int(np.asarray(array).reshape(-1)[0])


@lowers("STFT", dtypes=FLOAT_ELEMENT_TYPES)
def lower_stft(ctx: LoweringContext, node: Any) -> None:
    size = _known_int(ctx, node, 2, "frame size")
    step = _known_int(ctx, node, 3, "frame step")
    signal_shape = static_shape(node.inputs[0])
    window_size = static_shape(node.inputs[1])[0]
    batch, length = int(np.prod(signal_shape[:-1], dtype=np.int64)), signal_shape[-1]
    frames, bins = (length - size) // step + 1, size // 2 + 1
    angles = 2.0 * np.pi * np.outer(np.arange(bins), np.arange(size)) / size
    cos_table = ctx.add_weights("stft_cos", np.cos(angles), WIDE)
    sin_table = ctx.add_weights("stft_sin", -np.sin(angles), WIDE)
    signal, window = ctx.buffer(node.inputs[0]), ctx.buffer(node.inputs[1])
    out = ctx.output(node.outputs[0])
    b, f, k, n = K.Var("b"), K.Var("f"), K.Var("k"), K.Var("n")
    offset = (size - window_size) // 2
    sample = _wide(K.Load(signal, _b("add", _b("add", _b("mul", b, length), _b("mul", f, step)),
                                     _b("add", n, offset))))
    tapered = _b("mul", sample, _wide(K.Load(window, n)))
    twiddle = _b("add", _b("mul", k, size), _b("add", n, offset))
    real, imag = K.Var("real", WIDE), K.Var("imag", WIDE)
    accumulate = K.Loop(n, K.Const(0), K.Const(window_size), (
        K.Let(real, K.Fma(tapered, K.Load(cos_table, twiddle), real)),
        K.Let(imag, K.Fma(tapered, K.Load(sin_table, twiddle), imag))))
    transposed = node.attrs["transpose_frames"]
    middle = [bins, frames] if transposed else [frames, bins]
    first, second = (k, f) if transposed else (f, k)  # batch and first: one parallel loop
    outer = K.Var("outer")
    position = K.index_of([outer, second], [middle[1] * 2, 2])
    zero = K.Const(0.0, WIDE)
    body = [K.Let(real, zero), K.Let(imag, zero), accumulate,
            K.Store(out, position, K.Cast(real, out.dtype)),
            K.Store(out, _b("add", position, 1), K.Cast(imag, out.dtype))]
    split = [K.Let(b, _b("div", outer, middle[0])), K.Let(first, _b("rem", outer, middle[0]))]
    rows = batch * middle[0]
    parallel = rows > 1 and rows * middle[1] >= PARALLEL_MIN_ELEMENTS
    nest = K.Loop(outer, K.Const(0), K.Const(rows), (
        *split, K.Loop(second, K.Const(0), K.Const(middle[1]), tuple(body))), parallel=parallel)
    ctx.emit("stft", [nest], node.describe())
