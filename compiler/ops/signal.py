"""Fourier transforms: DFT<7>, IDFT<7>, RDFT<9>, IRDFT<9>, STFT<15> (OpenVINO opset semantics).

Complex tensors are real tensors with a trailing dimension of 2 (real, imaginary). `axes` index
the signal dimensions (negative ones count from the last signal dimension); `signal_size` trims
or zero-pads each transformed axis (-1 keeps its length). Inverse transforms scale by 1/N.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import DYNAMIC, Dimension, PartialShape, TensorType


def _real(data: np.ndarray) -> np.ndarray:
    """Single-precision data is transformed in single precision (as numpy's FFT does)."""
    return data.astype(np.float64 if data.dtype == np.float64 else np.float32)


def _complex(data: np.ndarray) -> np.ndarray:
    real = _real(data)
    return real[..., 0] + 1j * real[..., 1]


def _pairs(values: np.ndarray, dtype) -> np.ndarray:
    return np.stack([values.real, values.imag], axis=-1).astype(dtype)


def _axes_and_sizes(signal_rank: int, axes: np.ndarray, rest: tuple,
                    lengths: tuple[int, ...]) -> tuple[list[int], list[int]]:
    axes_list = [int(a) % signal_rank for a in np.asarray(axes).reshape(-1)]
    sizes = [int(s) for s in np.asarray(rest[0]).reshape(-1)] if rest else [-1] * len(axes_list)
    sizes = [lengths[a] if s == -1 else s for a, s in zip(axes_list, sizes)]
    return axes_list, sizes


class FourierBase(Op):
    """Shared inference: the dims at `axes` become `signal_size` (or stay), then the last axis."""

    num_inputs = (2, 3)
    complex_input = True  # the input has a trailing [2] dimension

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.element_type(0)
        if not elem.is_float:
            raise ctx.error(f"data must be floating point, got {elem}")
        shape = ctx.shape(0)
        if not shape.rank_is_static:
            return [TensorType(elem, PartialShape(None))]
        dims = list(shape.dims[:-1] if cls.complex_input else shape.dims)
        if cls.complex_input and not shape.dims[-1].compatible(Dimension.of(2)):
            raise ctx.error(f"complex data must end in a dimension of 2, got {shape}")
        axes, sizes = ctx.const(1), ctx.const(2) if len(ctx.input_types) > 2 else None
        if axes is None:
            return [TensorType(elem, PartialShape(tuple([DYNAMIC] * len(cls.output_dims(dims)))))]
        axes = [int(a) % len(dims) for a in np.asarray(axes).reshape(-1)]
        if len(set(axes)) != len(axes):
            raise ctx.error(f"axes {axes} repeat an axis")
        if len(ctx.input_types) > 2 and sizes is None:
            for axis in axes:
                dims[axis] = DYNAMIC
        elif sizes is not None:
            for axis, size in zip(axes, np.asarray(sizes).reshape(-1)):
                dims[axis] = dims[axis] if int(size) == -1 else Dimension.of(int(size))
        return [TensorType(elem, PartialShape(tuple(cls.output_dims(dims, axes))))]

    @classmethod
    def output_dims(cls, dims: list, axes: list[int] | None = None) -> list:
        return dims + [Dimension.of(2)]


@register
class DFT(FourierBase):
    name, version = "DFT", 7

    @classmethod
    def evaluate(cls, attrs: dict, data, axes, *rest):
        values = _complex(data)
        axes_list, sizes = _axes_and_sizes(values.ndim, axes, rest, values.shape)
        return _pairs(np.fft.fftn(values, sizes, axes_list), data.dtype)


@register
class IDFT(FourierBase):
    name, version = "IDFT", 7

    @classmethod
    def evaluate(cls, attrs: dict, data, axes, *rest):
        values = _complex(data)
        axes_list, sizes = _axes_and_sizes(values.ndim, axes, rest, values.shape)
        return _pairs(np.fft.ifftn(values, sizes, axes_list), data.dtype)


@register
class RDFT(FourierBase):
    """Real input; the last transformed axis keeps n // 2 + 1 frequencies."""

    name, version = "RDFT", 9
    complex_input = False

    @classmethod
    def output_dims(cls, dims: list, axes: list[int] | None = None) -> list:
        dims = list(dims)
        if axes:
            last = dims[axes[-1]]
            dims[axes[-1]] = Dimension.of(last.min // 2 + 1) if last.is_static else DYNAMIC
        return dims + [Dimension.of(2)]

    @classmethod
    def evaluate(cls, attrs: dict, data, axes, *rest):
        values = _real(data)
        axes_list, sizes = _axes_and_sizes(values.ndim, axes, rest, values.shape)
        return _pairs(np.fft.rfftn(values, sizes, axes_list), data.dtype)


@register
class IRDFT(FourierBase):
    """Complex half-spectrum input; real output whose last axis is signal_size or 2 * (n - 1)."""

    name, version = "IRDFT", 9

    @classmethod
    def output_dims(cls, dims: list, axes: list[int] | None = None) -> list:
        return list(dims)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        [result] = super().infer(ctx)
        sizes = ctx.const(2) if len(ctx.input_types) > 2 else None
        axes = ctx.const(1)
        shape = result.shape
        if axes is None or not shape.rank_is_static or not shape.rank:
            return [result]
        last = int(np.asarray(axes).reshape(-1)[-1]) % shape.rank
        given = None if sizes is None else int(np.asarray(sizes).reshape(-1)[-1])
        if given is None or given == -1:
            dim = ctx.shape(0)[last]
            new = Dimension.of(2 * (dim.min - 1)) if dim.is_static else DYNAMIC
            dims = list(shape.dims)
            dims[last] = new
            return [TensorType(result.element_type, PartialShape(tuple(dims)))]
        return [result]

    @classmethod
    def evaluate(cls, attrs: dict, data, axes, *rest):
        values = _complex(data)
        axes_list = [int(a) % values.ndim for a in np.asarray(axes).reshape(-1)]
        sizes = [int(s) for s in np.asarray(rest[0]).reshape(-1)] if rest else [-1] * len(
            axes_list)
        full = [values.shape[a] if s == -1 else s for a, s in zip(axes_list, sizes)]
        if sizes[-1] == -1:
            full[-1] = 2 * (values.shape[axes_list[-1]] - 1)
        return np.fft.irfftn(values, full, axes_list).astype(data.dtype)


@register
class STFT(Op):
    """signal [batch?, length], window [frame_size], frame_size, frame_step ->
    [batch?, frames, frame_size // 2 + 1, 2] (frames and bins swapped when transpose_frames)."""

    name, version = "STFT", 15
    num_inputs = (4, 4)
    attributes = (Attr("transpose_frames", "bool"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        signal = ctx.shape(0)
        size, step = ctx.const(2), ctx.const(3)
        if not signal.rank_is_static or signal.rank not in (1, 2):
            raise ctx.error(f"signal must be [length] or [batch, length], got {signal}")
        frames, bins = DYNAMIC, DYNAMIC
        if size is not None:
            bins = Dimension.of(int(size) // 2 + 1)
            length = signal.dims[-1]
            if step is not None and length.is_static:
                frames = Dimension.of((length.min - int(size)) // int(step) + 1)
        middle = (bins, frames) if ctx.attrs["transpose_frames"] else (frames, bins)
        dims = tuple(signal.dims[:-1]) + middle + (Dimension.of(2),)
        return [TensorType(ctx.element_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, attrs: dict, signal, window, frame_size, frame_step):
        size, step = int(frame_size), int(frame_step)
        values = signal.astype(np.float64)
        count = (values.shape[-1] - size) // step + 1
        starts = np.arange(count) * step
        frames = values[..., starts[:, None] + np.arange(size)]
        padded = np.zeros(size)
        offset = (size - window.shape[0]) // 2
        padded[offset:offset + window.shape[0]] = window
        spectrum = np.fft.rfft(frames * padded, axis=-1)
        if attrs["transpose_frames"]:
            spectrum = np.swapaxes(spectrum, -1, -2)
        return _pairs(spectrum, signal.dtype)


def _mel(hertz: float) -> float:
    return 2595.0 * np.log10(1.0 + hertz / 700.0)


@register
class MelWeightMatrix(Op):
    """ONNX MelWeightMatrix (vinify-internal; no OpenVINO op): [dft_length // 2 + 1,
    num_mel_bins] triangular filters whose edges are spaced evenly on the mel scale between the
    lower and upper edge frequencies."""

    name, version, domain = "MelWeightMatrix", 1, "vinify"
    num_inputs = (5, 5)
    attributes = (Attr("output_type", "type"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        bins, length = ctx.const(0), ctx.const(1)
        rows = DYNAMIC if length is None else Dimension.of(int(length) // 2 + 1)
        columns = DYNAMIC if bins is None else Dimension.of(int(bins))
        return [TensorType(ctx.attrs["output_type"], PartialShape((rows, columns)))]

    @classmethod
    def evaluate(cls, attrs: dict, bins, length, rate, lower, upper):
        bins, length, rate = int(bins), int(length), int(rate)
        low, high = _mel(float(lower)), _mel(float(upper))
        edges_mel = np.arange(bins + 2) * (high - low) / (bins + 2) + low
        edges_hz = 700.0 * (10.0 ** (edges_mel / 2595.0) - 1.0)
        edges = (((length + 1) * edges_hz) // rate).astype(np.int64)
        weights = np.zeros((length // 2 + 1, bins))
        for i in range(bins):
            left, center, right = edges[i], edges[i + 1], edges[i + 2]
            if center == left:
                weights[center, i] = 1.0
            else:
                rising = np.arange(left, center + 1)
                weights[rising, i] = (rising - left) / (center - left)
            if right > center:
                falling = np.arange(center, right)
                weights[falling, i] = (right - falling) / (right - center)
        return weights.astype(attrs["output_type"].dtype)
