"""Signal converters: DFT (opset 17 axis attribute, opset 20 axis input) and STFT.

ONNX signals carry a trailing dimension of 1 (real) or 2 (complex). A real forward one-sided
transform is OpenVINO's RDFT; everything else runs as a complex DFT/IDFT, with real input given a
zero imaginary part.
"""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    convert,
    dim_value,
    i64_const,
    reshape,
    scalar_like,
    static_rank,
    to_scalar,
)
from vinify.frontends.onnx.registry import converter
from vinify.frontends.onnx.types import element_type_of
from vinify.ir import Value, as_value
from vinify.types import i64


def _dft_axis(ctx: NodeContext, rank: int) -> Value:
    """The transformed axis as a non-negative i64 [1] (run-time when the axis is an input)."""
    if ctx.opset < 20:
        axis = ctx.attr("axis", 1)
    elif ctx.optional_input(2) is None:
        axis = -2
    else:
        given = reshape(ctx, convert(ctx, ctx.input(2), i64), [1])
        known = ctx.const_value(given)
        if known is None:
            return as_value(ctx.make("FloorMod", 1, given, i64_const(ctx, rank)))
        axis = int(known[0])
    if not -rank <= axis < rank - 1:
        raise ctx.error(f"axis {axis} must name a signal axis of a rank-{rank} input")
    return i64_const(ctx, [axis % rank])


def _axis_length(ctx: NodeContext, value: Value, axes: Value) -> Value:
    return as_value(ctx.make("Gather", 8, as_value(ctx.make("ShapeOf", 3, value,
                                                              output_type="i64")),
                             axes, i64_const(ctx, 0)))


def _as_complex(ctx: NodeContext, signal: Value) -> Value:
    """A [..., 1] real signal as [..., 2] with zero imaginary parts."""
    zeros = as_value(ctx.make("Multiply", 1, signal, scalar_like(ctx, 0, signal)))
    return as_value(ctx.make("Concat", 1, signal, zeros, axis=-1))


@converter("DFT", since=17)
def dft(ctx: NodeContext) -> Value:
    signal = ctx.input(0)
    rank = static_rank(ctx, signal)
    axes = _dft_axis(ctx, rank)
    inverse, onesided = bool(ctx.attr("inverse", 0)), bool(ctx.attr("onesided", 0))
    length = ctx.optional_input(1)
    extra = [] if length is None else [reshape(ctx, convert(ctx, length, i64), [1])]
    real = signal.shape[-1].is_static and signal.shape[-1].min == 1
    if inverse and onesided:
        output = as_value(ctx.make("IRDFT", 9, signal, axes, *extra))
        return as_value(ctx.make("Unsqueeze", 1, output, i64_const(ctx, [-1])))
    if real and onesided:
        squeezed = as_value(ctx.make("Squeeze", 1, signal, i64_const(ctx, [rank - 1])))
        return as_value(ctx.make("RDFT", 9, squeezed, axes, *extra))
    data = _as_complex(ctx, signal) if real else signal
    output = as_value(ctx.make("IDFT" if inverse else "DFT", 7, data, axes, *extra))
    if not onesided:
        return output
    half = as_value(ctx.make("Add", 1, as_value(ctx.make(
        "Divide", 1, _axis_length(ctx, output, axes), i64_const(ctx, 2))), i64_const(ctx, 1)))
    return as_value(ctx.make("Slice", 8, output, i64_const(ctx, [0]), half,
                             i64_const(ctx, [1]), axes))


@converter("STFT", since=17)
def stft(ctx: NodeContext) -> Value:
    signal = ctx.input(0)
    if not ctx.attr("onesided", 1):
        raise ctx.error("two-sided STFT is not supported")
    if not (signal.shape.rank_is_static and signal.shape[-1].is_static
            and signal.shape[-1].min == 1):
        raise ctx.error(f"STFT supports real signals [batch, length, 1], got {signal.type}")
    real = as_value(ctx.make("Squeeze", 1, signal, i64_const(ctx, [signal.shape.rank - 1])))
    step = convert(ctx, to_scalar(ctx, ctx.input(1)), i64)
    window, length = ctx.optional_input(2), ctx.optional_input(3)
    if length is None:
        if window is None:
            raise ctx.error("STFT needs a window or a frame_length")
        length = dim_value(ctx, window, 0)
    length = convert(ctx, to_scalar(ctx, length), i64)
    if window is None:
        window = as_value(ctx.make("Broadcast", 3, scalar_like(ctx, 1, signal),
                                   reshape(ctx, length, [1])))
    return as_value(ctx.make("STFT", 15, real, window, length, step, transpose_frames=False))


@converter("MelWeightMatrix", since=17)
def mel_weight_matrix(ctx: NodeContext) -> Value:
    """Onto vinify's internal MelWeightMatrix op (no OpenVINO op builds mel filter banks)."""
    elem = element_type_of(ctx.attr("output_datatype", 1), ctx.name)
    scalars = [to_scalar(ctx, ctx.input(i)) for i in range(5)]
    return as_value(ctx.make("MelWeightMatrix", 1, *scalars, output_type=str(elem)))
