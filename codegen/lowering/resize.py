"""Interpolate (versions 1, 4, 11) and the internal OnnxResize as separable per-axis passes.

Both ops resize one axis at a time with a linear map from the input samples of that axis to the
output samples (a one-hot row per output for nearest). With the shapes, sizes, scales and axes
known at compile time, the map of each axis is measured from the op's own numpy reference
(Interpolate: `resize_axis` applied to an identity matrix; OnnxResize: its `resize_matrix`), so
every mode, coordinate transformation, rounding rule, antialias filter and padding is the
reference's by construction. Each row keeps only its nonzero taps: a pass is then

    out[n, o, i] = bias[o] + sum_k weight[o, k] * src[n, index[o, k], i]

with (index, weight) tables as weights buffers and a static tap count. Passes run in the
reference's order through scratch buffers; a pass whose rows are single unit taps is a gather
that moves elements without arithmetic (exact for every element type).
"""

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    LoweringContext,
    kernel_dtype,
    lowers,
    static_shape,
)
from vinify.codegen.lowering.unary_math import let_bindings, round_value
from vinify.errors import DeviceError
from vinify.ops.interpolate import InterpolateV1, resize_axis, scaled_length
from vinify.ops.sampling import resize_matrix

UNROLL_TAPS = 16  # up to this many taps per row the tap loop is unrolled with hoisted tables
ConstantOf = Callable[[Any], np.ndarray | None]


@dataclass(frozen=True)
class AxisPass:
    """One axis resized: row o of the output reads taps index[o, :] with weight[o, :]."""

    axis: int
    in_len: int
    indices: np.ndarray  # [out_len, taps] int64
    weights: np.ndarray  # [out_len, taps] float64
    bias: np.ndarray  # [out_len] float64 (the extrapolation value outside a crop)

    @property
    def out_len(self) -> int:
        return self.indices.shape[0]

    @property
    def is_gather(self) -> bool:
        return self.indices.shape[1] == 1 and bool(np.all(self.weights == 1)) and \
            not np.any(self.bias)


def axis_pass(axis: int, matrix: np.ndarray, bias: np.ndarray | None = None) -> AxisPass:
    """The sparse form of an [out, in] matrix: each row's nonzero columns, padded with zero
    weight taps to the longest row."""
    out_len, in_len = matrix.shape
    taps = max(1, int(np.count_nonzero(matrix, axis=1).max(initial=0)))
    indices = np.zeros((out_len, taps), np.int64)
    weights = np.zeros((out_len, taps), np.float64)
    for row in range(out_len):
        columns = np.flatnonzero(matrix[row])
        indices[row, :len(columns)] = columns
        weights[row, :len(columns)] = matrix[row, columns]
    return AxisPass(axis, in_len, indices, weights,
                    np.zeros(out_len) if bias is None else bias)


def _required(node: Any, constant: ConstantOf, index: int, what: str) -> np.ndarray:
    array = constant(node.inputs[index])
    if array is None:
        raise DeviceError(f"CPU: {node.describe()}: the {what} must be known at compile time "
                          f"(input {index} is computed at run time)")
    return np.asarray(array).ravel()


def _interpolate_targets(node: Any, constant: ConstantOf, rank: int):
    """(v4-style attributes, axes, sizes, scales) of any Interpolate version."""
    version, attrs = node.op.version, node.attrs
    if version == 1:
        axes = [a % rank for a in attrs["axes"]]
        return InterpolateV1.as_v4(attrs), axes, _required(node, constant, 1, "target shape"), \
            None
    axes_index = 3 if version == 4 else 2
    axes = list(range(rank))
    if len(node.inputs) > axes_index:
        axes = [int(a) % rank for a in _required(node, constant, axes_index, "axes")]
    by_scales = attrs["shape_calculation_mode"] == "scales"
    if version == 4:
        chosen = (2, "scales") if by_scales else (1, "sizes")
        values = _required(node, constant, *chosen)
        return attrs, axes, values, values
    values = _required(node, constant, 1, "scales" if by_scales else "sizes")
    return attrs, axes, values, values


def _padding(attrs: dict, rank: int) -> tuple[list[int], list[int]]:
    begin = list(attrs["pads_begin"]) + [0] * rank
    end = list(attrs["pads_end"]) + [0] * rank
    return begin[:rank], end[:rank]


def interpolate_passes(node: Any, constant: ConstantOf) -> list[AxisPass]:
    """Interpolate's passes: zero padding folded into each axis' matrix (padded columns
    dropped), padded-only axes first (exact shifts), then the resized axes in `axes` order."""
    shape = static_shape(node.inputs[0])
    rank = len(shape)
    attrs, axes, sizes, scales = _interpolate_targets(node, constant, rank)
    begin, end = _padding(attrs, rank)
    padded = [shape[a] + begin[a] + end[a] for a in range(rank)]
    by_scales = attrs["shape_calculation_mode"] == "scales"
    matrices: dict[int, np.ndarray] = {}
    for position, axis in enumerate(axes):
        in_len = padded[axis]
        if by_scales:
            scale = float(scales[position])
            out_len = scaled_length(in_len, scale)
        else:
            out_len = int(sizes[position])
            scale = out_len / in_len
        if out_len == in_len and scale == 1.0:
            continue
        try:
            matrices[axis] = resize_axis(np.eye(in_len), 0, out_len, scale, attrs)
        except NotImplementedError as error:
            raise DeviceError(f"CPU: {node.describe()}: {error}") from None
    shifted = [a for a in range(rank) if padded[a] != shape[a] and a not in matrices]
    passes = []
    for axis in shifted + [a for a in axes if a in matrices]:
        matrix = matrices.get(axis, np.eye(padded[axis]))
        passes.append(axis_pass(axis, matrix[:, begin[axis]:begin[axis] + shape[axis]]))
    return passes


def onnx_resize_passes(node: Any, constant: ConstantOf) -> list[AxisPass]:
    """OnnxResize's passes, last axis first as its reference runs them; rows outside a
    tf_crop_and_resize ROI hold the extrapolation value."""
    shape = static_shape(node.inputs[0])
    rank, attrs = len(shape), node.attrs
    sizes = _required(node, constant, 1, "sizes")
    scales = _required(node, constant, 2, "scales")
    roi = np.asarray(_required(node, constant, 3, "roi"), np.float64)
    crop = attrs["coordinate_transformation_mode"] == "tf_crop_and_resize"
    passes = []
    for axis in reversed(range(rank)):
        out_len, in_len = int(sizes[axis]), shape[axis]
        if out_len == in_len and float(scales[axis]) == 1.0 and not crop:
            continue
        limits = (roi[axis], roi[rank + axis]) if roi.size else (0.0, 1.0)
        matrix, outside = resize_matrix(attrs, in_len, out_len, float(scales[axis]), limits)
        matrix[outside] = 0.0
        bias = np.where(outside, float(attrs["extrapolation_value"]), 0.0)
        passes.append(axis_pass(axis, matrix, bias))
    return passes


PASS_BUILDERS = {"Interpolate": interpolate_passes, "OnnxResize": onnx_resize_passes}


def unsupported_resize_reason(node: Any, constant: ConstantOf) -> str | None:
    """Why the passes of this node cannot be built at compile time, or None."""
    try:
        PASS_BUILDERS[node.op.name](node, constant)
    except DeviceError as error:
        return str(error).split(": ", 2)[-1]
    return None


class PassEmitter:
    """Emits one kernel per pass over the current shape, threading buffers between passes."""

    def __init__(self, ctx: LoweringContext, node: Any, passes: list[AxisPass]):
        self.ctx, self.node, self.passes = ctx, node, passes
        self.out_dtype = kernel_dtype(node.outputs[0])
        self.gather_only = all(p.is_gather for p in passes)
        self.work_dtype = self.out_dtype if self.gather_only else "f32"
        # Interpolate rounds integer results after each axis; OnnxResize truncates at the end.
        self.round_each = node.op.name == "Interpolate" and self.out_dtype != "f32"

    def emit_all(self, source: K.Buffer, shape: list[int], out: K.Buffer) -> None:
        for position, step in enumerate(self.passes):
            last = position == len(self.passes) - 1
            out_shape = list(shape)
            out_shape[step.axis] = step.out_len
            size = int(np.prod(out_shape, dtype=np.int64))
            target = out if last else self.ctx.scratch("resize", size, self.work_dtype)
            self.emit_pass(step, source, target, shape)
            source, shape = target, out_shape

    def emit_pass(self, step: AxisPass, source: K.Buffer, target: K.Buffer,
                  shape: list[int]) -> None:
        outer = int(np.prod(shape[:step.axis], dtype=np.int64))
        inner = int(np.prod(shape[step.axis + 1:], dtype=np.int64))
        rows = outer * step.out_len
        if rows * inner == 0:
            return
        flat, i = K.Var("row"), K.Var("i")
        n = K.Binary("div", flat, K.Const(step.out_len))
        o = K.Binary("rem", flat, K.Const(step.out_len))
        source_base = K.Binary("mul", n, K.Const(step.in_len * inner))
        offsets = self.ctx.add_weights("resize_index", step.indices * inner, "i64")
        if step.is_gather:
            body = self._gather_body(source, target, source_base, offsets, o, flat, inner, i)
        else:
            body = self._weighted_body(step, source, target, source_base, offsets, o, flat,
                                       inner, i)
        self.ctx.emit("resize", [K.Loop(flat, K.Const(0), K.Const(rows), tuple(body),
                                        parallel=rows > 1)], self.node.describe())

    def _gather_body(self, source, target, source_base, offsets, o, flat, inner, i) -> list:
        offset = K.Var("offset")
        start = K.Binary("add", source_base, offset)
        copy = K.Store(target, K.Binary("add", K.Binary("mul", flat, K.Const(inner)), i),
                       K.Load(source, K.Binary("add", start, i)))
        return [K.Let(offset, K.Load(offsets, o)), K.Loop(i, K.Const(0), K.Const(inner), (copy,))]

    def _weighted_body(self, step, source, target, source_base, offsets, o, flat, inner,
                       i) -> list:
        taps = step.indices.shape[1]
        weights = self.ctx.add_weights("resize_weight", step.weights, "f32")
        first_tap = K.Binary("mul", o, K.Const(taps))
        acc = K.Var("acc", "f32")
        prologue: list[K.Stmt] = []
        if np.any(step.bias):
            bias = self.ctx.add_weights("resize_bias", step.bias, "f32")
            start: K.Expr = K.Load(bias, o)
        else:
            start = K.Const(0.0, "f32")
        sums: list[K.Stmt] = [K.Let(acc, start)]
        if taps <= UNROLL_TAPS:
            for k in range(taps):
                offset, weight = K.Var(f"offset{k}"), K.Var(f"weight{k}", "f32")
                tap = K.Binary("add", first_tap, K.Const(k))
                prologue += [K.Let(offset, K.Binary("add", source_base, K.Load(offsets, tap))),
                             K.Let(weight, K.Load(weights, tap))]
                sums.append(K.Let(acc, K.Fma(weight, self._sample(source, offset, i), acc)))
        else:
            k = K.Var("k")
            tap = K.Binary("add", first_tap, k)
            offset = K.Binary("add", source_base, K.Load(offsets, tap))
            term = K.Let(acc, K.Fma(K.Load(weights, tap), self._sample(source, offset, i), acc))
            sums.append(K.Loop(k, K.Const(0), K.Const(taps), (term,)))
        sums.append(K.Store(target, K.Binary("add", K.Binary("mul", flat, K.Const(inner)), i),
                            self._finish(acc, sums, target.dtype)))
        return prologue + [K.Loop(i, K.Const(0), K.Const(inner), tuple(sums))]

    def _sample(self, source: K.Buffer, offset: K.Expr, i: K.Var) -> K.Expr:
        value = K.Load(source, K.Binary("add", offset, i))
        return value if source.dtype == "f32" else K.Cast(value, "f32")

    def _finish(self, acc: K.Var, sums: list, dtype: str) -> K.Expr:
        """The stored value: rounded per axis for an integer Interpolate, cast at the end."""
        value: K.Expr = acc
        if self.round_each:
            with let_bindings(sums):
                value = round_value(acc, half_to_even=True)
        return value if dtype == "f32" else K.Cast(value, dtype)


@lowers("Interpolate", "OnnxResize")
def lower_resize(ctx: LoweringContext, node: Any) -> None:
    passes = PASS_BUILDERS[node.op.name](node, ctx.constant)
    shape = list(static_shape(node.inputs[0]))
    if not passes:  # same shape, no padding: an identity gather
        passes = [axis_pass(0, np.eye(shape[0]))] if shape else []
    source, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    if not passes:  # a scalar passes through
        passes = [AxisPass(0, 1, np.zeros((1, 1), np.int64), np.ones((1, 1)), np.zeros(1))]
        shape = [1]
    PassEmitter(ctx, node, passes).emit_all(source, shape, out)
