"""Interpolate (versions 1, 4, 11) and the internal OnnxResize as separable per-axis passes.

Both ops resize one axis at a time with a linear map from the input samples of that axis to the
output samples (a one-hot row per output for nearest). With the shapes, sizes, scales and axes
known at compile time, the map of each axis comes from the op's own numpy reference helpers
(Interpolate: the coordinate, rounding and filter-weight functions `resize_axis` applies;
OnnxResize: its `resize_matrix`), so every mode, coordinate transformation, rounding rule,
antialias filter and padding is the reference's. Each row keeps only its nonzero taps: a pass is

    out[n, o, i] = bias[o] + sum_k weight[o, k] * src[n, index[o, k], i]

with (index, weight) tables as weights buffers and a static tap count. Passes run in the
reference's order through scratch buffers; when every pass is a gather (nearest), one kernel
moves each element from its source without arithmetic (exact for every element type). A crop
whose ROI is a runtime input gets its tables from a kernel instead (resize_crop.py). Sizes,
scales and axes given as graph inputs reach here as constants through value specialization.
"""

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    ALL_ELEMENT_TYPES,
    LoweringContext,
    kernel_dtype,
    lowers,
    static_shape,
)
from vinify.codegen.lowering.resize_crop import CropAxisPass, emit_crop_tables
from vinify.codegen.lowering.unary_math import let_bindings, round_value
from vinify.errors import DeviceError
from vinify.ops.interpolate import (
    InterpolateV1,
    axis_taps,
    axis_target,
)
from vinify.ops.sampling import resize_matrix

# Booleans are left out: a filtered boolean is "any weight", not a rounded sum.
RESIZED_ELEMENT_TYPES = ALL_ELEMENT_TYPES - {"boolean"}
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
    def taps(self) -> int:
        return self.indices.shape[1]

    @property
    def is_gather(self) -> bool:
        return self.indices.shape[1] == 1 and bool(np.all(self.weights == 1)) and \
            not np.any(self.bias)


def axis_pass(axis: int, matrix: np.ndarray, bias: np.ndarray | None = None) -> AxisPass:
    """The sparse form of an [out, in] matrix: each row's nonzero columns in order, padded with
    zero-weight taps to the longest row."""
    out_len, in_len = matrix.shape
    rows, columns = np.nonzero(matrix)
    counts = np.bincount(rows, minlength=out_len)
    taps = max(1, int(counts.max(initial=0)))
    slots = np.arange(rows.size) - np.repeat(np.cumsum(counts) - counts, counts)
    indices = np.zeros((out_len, taps), np.int64)
    weights = np.zeros((out_len, taps), np.float64)
    indices[rows, slots] = columns
    weights[rows, slots] = matrix[rows, columns]
    return AxisPass(axis, in_len, indices, weights,
                    np.zeros(out_len) if bias is None else bias)


def index_pass(axis: int, sources: np.ndarray, in_len: int) -> AxisPass:
    """Row o copies sample sources[o]; a source outside [0, in_len) (padding) reads zero."""
    inside = (sources >= 0) & (sources < in_len)
    return AxisPass(axis, in_len, np.where(inside, sources, 0).astype(np.int64)[:, None],
                    inside.astype(np.float64)[:, None], np.zeros(len(sources)))


def interpolate_axis(node: Any, attrs: dict, out_len: int, in_len: int, scale: float,
                     begin: int, source_len: int) -> np.ndarray:
    """One axis of Interpolate as its reference `resize_axis` computes it: source indices for
    nearest, else the dense [out, padded in] filter matrix; padded columns dropped."""
    try:
        taps = axis_taps(attrs, out_len, in_len, scale)
    except NotImplementedError as error:
        raise DeviceError(f"CPU: {node.describe()}: {error}") from None
    if attrs["mode"] == "nearest":
        return taps - begin
    return taps[:, begin:begin + source_len]


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
    """Interpolate's passes: zero padding folded into each axis (padded samples read zero),
    padded-only axes first (exact shifts), then the resized axes in `axes` order."""
    shape = static_shape(node.inputs[0])
    rank = len(shape)
    attrs, axes, sizes, scales = _interpolate_targets(node, constant, rank)
    begin, end = _padding(attrs, rank)
    padded = [shape[a] + begin[a] + end[a] for a in range(rank)]
    resized: dict[int, AxisPass] = {}
    for position, axis in enumerate(axes):
        in_len = padded[axis]
        out_len, scale = axis_target(attrs, in_len, position, scales, sizes)
        if out_len == in_len and scale == 1.0:
            continue
        taps = interpolate_axis(node, attrs, out_len, in_len, scale, begin[axis], shape[axis])
        resized[axis] = index_pass(axis, taps, shape[axis]) if taps.ndim == 1 else \
            axis_pass(axis, taps)
    shifted = [index_pass(a, np.arange(padded[a]) - begin[a], shape[a]) for a in range(rank)
               if padded[a] != shape[a] and a not in resized]
    return shifted + [resized[a] for a in axes if a in resized]


def onnx_resize_passes(node: Any, constant: ConstantOf) -> list[AxisPass]:
    """OnnxResize's passes, last axis first as its reference runs them; rows outside a
    tf_crop_and_resize ROI hold the extrapolation value."""
    shape = static_shape(node.inputs[0])
    rank, attrs = len(shape), node.attrs
    sizes = _required(node, constant, 1, "sizes")
    scales = _required(node, constant, 2, "scales")
    crop = attrs["coordinate_transformation_mode"] == "tf_crop_and_resize"
    roi = constant(node.inputs[3]) if crop else np.zeros(0)
    passes: list = []
    for axis in reversed(range(rank)):
        out_len, in_len = int(sizes[axis]), shape[axis]
        if out_len == in_len and float(scales[axis]) == 1.0 and not crop:
            continue
        if roi is None:  # read at run time: the tables are computed by a kernel
            passes.append(CropAxisPass(axis, rank, in_len, out_len, float(scales[axis]),
                                       dict(attrs)))
            continue
        roi = np.asarray(roi, np.float64).ravel()
        limits = (roi[axis], roi[rank + axis]) if roi.size else (0.0, 1.0)
        matrix, outside = resize_matrix(attrs, in_len, out_len, float(scales[axis]), limits)
        matrix[outside] = 0.0
        bias = np.where(outside, float(attrs["extrapolation_value"]), 0.0)
        passes.append(axis_pass(axis, matrix, bias))
    return passes


PASS_BUILDERS = {"Interpolate": interpolate_passes, "OnnxResize": onnx_resize_passes}


INTERPOLATE_MODES = ("nearest", "linear_onnx", "cubic", "linear", "bilinear_pillow",
                     "bicubic_pillow")  # the modes with a reference (Interpolate-1 adds area)


def compile_time_inputs(node: Any) -> list[tuple[int, str]]:
    """(index, name) of the inputs whose values the tables are built from."""
    if node.op.name == "OnnxResize":
        return [(1, "sizes"), (2, "scales")]
    version = node.op.version
    if version == 1:
        return [(1, "target shape")]
    by_scales = node.attrs["shape_calculation_mode"] == "scales"
    axes_index = 3 if version == 4 else 2
    target = (2 if version == 4 and by_scales else 1, "scales" if by_scales else "sizes")
    return [target] + ([(axes_index, "axes")] if len(node.inputs) > axes_index else [])


def unsupported_resize_reason(node: Any, constant: ConstantOf) -> str | None:
    """Why this node's tables cannot be built at compile time, or None (cheap: no tables)."""
    for index, what in compile_time_inputs(node):
        if constant(node.inputs[index]) is None:
            return f"the {what} must be known at compile time (input {index} is computed at " \
                "run time)"
    mode = node.attrs["mode"]
    if node.op.name == "Interpolate" and mode not in INTERPOLATE_MODES:
        return f"Interpolate mode '{mode}' has no reference yet"
    return None


def _add(a: K.Expr, b: K.Expr | int) -> K.Expr:
    return K.Binary("add", a, b if isinstance(b, K.Expr) else K.Const(b))


def _mul(a: K.Expr, b: int) -> K.Expr:
    return K.Binary("mul", a, K.Const(b))


def _converted(value: K.Expr, dtype: str) -> K.Expr:
    return value if value.dtype == dtype else K.Cast(value, dtype)


def _splat(value: K.Expr, lanes: int) -> K.Expr:
    return value if lanes == 1 else K.Splat(value, lanes)


@dataclass(frozen=True)
class RowTables:
    """A row pass' tap tables ([out_len, taps] row-major); no weights: a gather."""

    offsets: K.Buffer
    weights: K.Buffer | None
    bias: K.Buffer | None
    taps: int


class PassEmitter:
    """Emits one kernel per pass over the current shape, threading buffers between passes.

    A pass over an axis with contiguous elements behind it (inner > 1) runs one row of outputs
    per parallel iteration, its taps hoisted, vectors along the inner elements. A pass over the
    last axis (inner == 1) runs vectors of consecutive outputs instead, each lane gathering its
    own taps from tables stored tap-major."""

    def __init__(self, ctx: LoweringContext, node: Any, passes: list[AxisPass]):
        self.ctx, self.node, self.passes = ctx, node, passes
        self.out_dtype = kernel_dtype(node.outputs[0])
        self.gather_only = all(p.is_gather for p in passes)
        # Sums in f64 for f64 data, else in f32 (f16/bf16/integers are widened to it).
        self.compute = "f64" if self.out_dtype == "f64" else "f32"
        self.work_dtype = self.out_dtype if self.gather_only else self.compute
        # Interpolate rounds integer results after each axis; OnnxResize truncates at the end.
        self.round_each = node.op.name == "Interpolate" and not K.is_float(self.out_dtype)

    def emit_all(self, source: K.Buffer, shape: list[int], out: K.Buffer) -> None:
        if self.gather_only:
            self.emit_gather(source, shape, out)
            return
        for position, step in enumerate(self.passes):
            last = position == len(self.passes) - 1
            out_shape = list(shape)
            out_shape[step.axis] = step.out_len
            size = int(np.prod(out_shape, dtype=np.int64))
            target = out if last else self.ctx.scratch("resize", size, self.work_dtype)
            self.emit_pass(step, source, target, shape)
            source, shape = target, out_shape

    def emit_pass(self, step: Any, source: K.Buffer, target: K.Buffer,
                  shape: list[int]) -> None:
        outer = int(np.prod(shape[:step.axis], dtype=np.int64))
        inner = int(np.prod(shape[step.axis + 1:], dtype=np.int64))
        if outer * step.out_len * inner == 0:
            return
        vectors = source.dtype == target.dtype == "f32" and not self.round_each
        lanes = self.ctx.target.vector_lanes if vectors else 1
        if inner == 1 and lanes > 1 and isinstance(step, AxisPass):
            loop = self._lane_pass(step, source, target, outer, lanes)
        else:
            tables = self._row_tables(step, inner)
            loop = self._row_pass(step, tables, source, target, outer, inner,
                                  lanes if inner >= lanes else 1)
        self.ctx.emit("resize", [loop], self.node.describe())

    def emit_gather(self, source: K.Buffer, shape: list[int], out: K.Buffer) -> None:
        """Every pass a gather (nearest): one kernel reads each output's source element through
        per-axis offset tables, rows in parallel, vectors along the last axis."""
        rank = len(shape)
        strides = [int(np.prod(shape[a + 1:], dtype=np.int64)) for a in range(rank)]
        out_shape, tables = list(shape), {}
        for step in self.passes:
            out_shape[step.axis] = step.out_len
            tables[step.axis] = self.ctx.add_weights(
                "resize_offset", step.indices[:, 0] * strides[step.axis], "i64")
        if int(np.prod(out_shape, dtype=np.int64)) == 0:
            return
        row, j = K.Var("row"), K.Var("j")
        base: K.Expr = K.Const(0)
        rest: K.Expr = row
        for axis in range(rank - 2, -1, -1):
            coordinate = K.Binary("rem", rest, K.Const(out_shape[axis]))
            rest = K.Binary("div", rest, K.Const(out_shape[axis]))
            term = K.Load(tables[axis], coordinate) if axis in tables else \
                _mul(coordinate, strides[axis])
            base = _add(base, term)
        width = out_shape[-1]
        lanes = self.ctx.target.vector_lanes if out.dtype == "f32" and width > 1 else 1
        mask = None if width % lanes == 0 else \
            K.LaneMask(K.Binary("sub", K.Const(width), j), lanes)
        start = K.Var("start")
        if rank - 1 in tables:
            offsets = K.Load(tables[rank - 1], j, lanes, mask)
            index = K.Binary("add", start if lanes == 1 else K.Splat(start, lanes), offsets)
        else:
            index = _add(start, j)
        copy = K.Store(out, _add(_mul(row, width), j), K.Load(source, index, lanes, mask), mask)
        rows = int(np.prod(out_shape[:-1], dtype=np.int64))
        body = (K.Let(start, base), K.Loop(j, K.Const(0), K.Const(width), (copy,), step=lanes))
        self.ctx.emit("resize_gather", [K.Loop(row, K.Const(0), K.Const(rows), body,
                                               parallel=rows > 1)], self.node.describe())

    # -- one row of outputs per iteration, vectors along the inner elements ------------------

    def _row_tables(self, step: Any, inner: int) -> RowTables:
        """Constant tables, or for a crop with a runtime ROI, tables a kernel computes first."""
        if isinstance(step, CropAxisPass):
            roi = self.ctx.buffer(self.node.inputs[3])
            offsets, weights, bias = emit_crop_tables(self.ctx, self.node, step, roi, inner,
                                                      self.compute)
            return RowTables(offsets, weights, bias, step.taps)
        offsets = self.ctx.add_weights("resize_index", step.indices * inner, "i64")
        if step.is_gather:
            return RowTables(offsets, None, None, 1)
        weights = self.ctx.add_weights("resize_weight", step.weights, self.compute)
        bias = self.ctx.add_weights("resize_bias", step.bias, self.compute) \
            if np.any(step.bias) else None
        return RowTables(offsets, weights, bias, step.taps)

    def _row_pass(self, step: Any, tables: RowTables, source: K.Buffer, target: K.Buffer,
                  outer: int, inner: int, lanes: int) -> K.Loop:
        row, i = K.Var("row"), K.Var("i")
        o = K.Binary("rem", row, K.Const(step.out_len))
        source_base = _mul(K.Binary("div", row, K.Const(step.out_len)), step.in_len * inner)
        mask = None if inner % lanes == 0 else \
            K.LaneMask(K.Binary("sub", K.Const(inner), i), lanes)
        statements: list[K.Stmt] = []
        sums: list[K.Stmt] = []
        if tables.weights is None:  # a gather
            start = K.Var("start")
            statements.append(K.Let(start, _add(source_base, K.Load(tables.offsets, o))))
            value: K.Expr = _converted(K.Load(source, _add(start, i), lanes, mask), target.dtype)
        else:
            acc = K.Var("acc", self.compute, lanes)
            bias = K.Const(0.0, self.compute, lanes) if tables.bias is None else \
                _splat(K.Load(tables.bias, o), lanes)
            sums.append(K.Let(acc, bias))

            def sample(offset: K.Expr) -> K.Expr:
                return _converted(K.Load(source, _add(offset, i), lanes, mask), self.compute)

            statements += self._row_sums(tables, _mul(o, tables.taps), source_base, acc,
                                         sample, sums)
            value = self._finish(acc, sums, target.dtype)
        sums.append(K.Store(target, _add(_mul(row, inner), i), value, mask))
        statements.append(K.Loop(i, K.Const(0), K.Const(inner), tuple(sums), step=lanes))
        rows = outer * step.out_len
        return K.Loop(row, K.Const(0), K.Const(rows), tuple(statements), parallel=rows > 1)

    def _row_sums(self, tables: RowTables, first_tap: K.Expr, source_base: K.Expr,
                  acc: K.Var, sample: Any, sums: list) -> list[K.Stmt]:
        """Appends the tap sum to `sums`; returns the per-row statements hoisted before it."""
        lanes = acc.lanes
        if tables.taps > UNROLL_TAPS:
            k = K.Var("k")
            tap = _add(first_tap, k)
            term = K.Fma(_splat(K.Load(tables.weights, tap), lanes),
                         sample(_add(source_base, K.Load(tables.offsets, tap))), acc)
            sums.append(K.Loop(k, K.Const(0), K.Const(tables.taps), (K.Let(acc, term),)))
            return []
        hoisted = []
        for k in range(tables.taps):
            offset, weight = K.Var(f"offset{k}"), K.Var(f"weight{k}", self.compute)
            tap = _add(first_tap, k)
            hoisted += [K.Let(offset, _add(source_base, K.Load(tables.offsets, tap))),
                        K.Let(weight, K.Load(tables.weights, tap))]
            sums.append(K.Let(acc, K.Fma(_splat(weight, lanes), sample(offset), acc)))
        return hoisted

    # -- the last axis: vectors of consecutive outputs, one gather per tap --------------------

    def _lane_pass(self, step: AxisPass, source: K.Buffer, target: K.Buffer, outer: int,
                   lanes: int) -> K.Loop:
        n, o = K.Var("n"), K.Var("o")
        out_len, taps = step.out_len, step.indices.shape[1]
        mask = None if out_len % lanes == 0 else \
            K.LaneMask(K.Binary("sub", K.Const(out_len), o), lanes)
        offsets = self.ctx.add_weights("resize_index", step.indices.T, "i64")
        base = K.Var("base", "i64", lanes)

        def column(buffer: K.Buffer, k: K.Expr | int) -> K.Expr:
            return K.Load(buffer, _add(_mul(k, out_len) if isinstance(k, K.Expr) else
                                       K.Const(k * out_len), o), lanes, mask)

        def sample(k: K.Expr | int) -> K.Expr:
            return K.Load(source, K.Binary("add", base, column(offsets, k)), lanes, mask)

        body: list[K.Stmt] = []
        if step.is_gather:
            value: K.Expr = sample(0)
        else:
            weights = self.ctx.add_weights("resize_weight", step.weights.T, self.compute)
            acc = K.Var("acc", self.compute, lanes)
            body.append(K.Let(acc, self._lane_bias(step, o, lanes, mask)))
            if taps <= UNROLL_TAPS:
                body += [K.Let(acc, K.Fma(column(weights, k), sample(k), acc))
                         for k in range(taps)]
            else:
                k = K.Var("k")
                term = K.Let(acc, K.Fma(column(weights, k), sample(k), acc))
                body.append(K.Loop(k, K.Const(0), K.Const(taps), (term,)))
            value = acc
        body.append(K.Store(target, _add(_mul(n, out_len), o), value, mask))
        row = (K.Let(base, K.Splat(_mul(n, step.in_len), lanes)),
               K.Loop(o, K.Const(0), K.Const(out_len), tuple(body), step=lanes))
        return K.Loop(n, K.Const(0), K.Const(outer), row, parallel=outer > 1)

    # -- shared pieces ------------------------------------------------------------------------

    def _lane_bias(self, step: AxisPass, o: K.Expr, lanes: int, mask: K.Expr | None
                   ) -> K.Expr:
        """The biases of outputs o .. o + lanes."""
        if not np.any(step.bias):
            return K.Const(0.0, self.compute, lanes)
        bias = self.ctx.add_weights("resize_bias", step.bias, self.compute)
        return K.Load(bias, o, lanes, mask)

    def _finish(self, acc: K.Var, sums: list, dtype: str) -> K.Expr:
        """The stored value: rounded per axis for an integer Interpolate, cast at the end."""
        value: K.Expr = acc
        if self.round_each:
            with let_bindings(sums):
                value = round_value(acc, half_to_even=True)
        return _converted(value, dtype)


@lowers("Interpolate", "OnnxResize", dtypes=RESIZED_ELEMENT_TYPES)
def lower_resize(ctx: LoweringContext, node: Any) -> None:
    reason = unsupported_resize_reason(node, ctx.constant)
    if reason is not None:
        raise DeviceError(f"CPU: {node.describe()}: {reason}")
    passes = PASS_BUILDERS[node.op.name](node, ctx.constant)
    shape = list(static_shape(node.inputs[0]))
    if not passes:  # same shape, no padding: an identity gather
        passes = [axis_pass(0, np.eye(shape[0]))] if shape else []
    source, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    if not passes:  # a scalar passes through
        passes = [AxisPass(0, 1, np.zeros((1, 1), np.int64), np.ones((1, 1)), np.zeros(1))]
        shape = [1]
    PassEmitter(ctx, node, passes).emit_all(source, shape, out)
