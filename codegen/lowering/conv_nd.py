"""Convolution and GroupConvolution of any spatial rank (1-D, 3-D, ...) as a direct loop nest.

The 2-D (NCHW) convolutions go through im2col + the register-blocked GEMM (convolution.py); the
other ranks are rarer (audio, causal 1-D convolutions, volumes, 3-D average pools decomposed into
grouped convolutions) and small, so correctness and simplicity win here: one parallel loop over
output planes (image, output channel), then output positions with the last spatial axis in
vectors of `lanes`, accumulating over the group's input channels and every kernel tap. Each lane
reads its own input position (a masked load for stride 1, a gather otherwise); taps that fall in
the padding read nothing and add 0.

`WindowWalk` is the addressing shared with the N-D pooling lowering (pool_nd.py): flat output
positions and kernel taps decomposed into per-axis coordinates, input coordinates and masks.
Nodes a GEMM epilogue absorbed (bias, batch norm, residual, activation) are lowered after the
convolution by their own lowerings.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    LOWERINGS,
    LoweringContext,
    accept_element_types,
    static_shape,
)

PARALLEL_MIN_WORK = 16384  # multiply-adds below which a waking thread costs more than it saves


def _product(dims) -> int:
    return int(np.prod(dims, dtype=np.int64))


def _row_major_strides(dims: tuple) -> list[int]:
    return [_product(dims[axis + 1:]) for axis in range(len(dims))]


def decompose(flat: K.Expr, dims: tuple) -> list[K.Expr]:
    """Per-axis coordinates of a flat row-major index over `dims`."""
    coordinates = []
    for axis, stride in enumerate(_row_major_strides(dims)):
        coordinate = flat if stride == 1 else K.Binary("div", flat, K.Const(stride))
        if axis > 0:
            coordinate = K.Binary("rem", coordinate, K.Const(dims[axis]))
        coordinates.append(coordinate)
    return coordinates


def _in_range(coordinate: K.Expr, size: int, lanes: int = 1) -> K.Expr:
    return K.Binary("and", K.Binary("ge", coordinate, K.Const(0, "i64", lanes)),
                    K.Binary("lt", coordinate, K.Const(size, "i64", lanes)))


@dataclass(frozen=True)
class WindowWalk:
    """Sliding-window addressing over the spatial axes of one NC... plane."""

    spatial: tuple[int, ...]  # input sizes
    out: tuple[int, ...]  # output sizes
    kernel: tuple[int, ...]
    strides: tuple[int, ...]
    dilations: tuple[int, ...]
    pads_begin: tuple[int, ...]
    lanes: int

    @property
    def outer_positions(self) -> int:
        """Output positions per plane, the last axis (walked in vectors) left out."""
        return _product(self.out[:-1])

    @property
    def taps(self) -> int:
        return _product(self.kernel)

    def last_axis_lanes(self, last: K.Expr) -> K.Expr | None:
        """The lane mask of a vector of output positions starting at `last` (None: scalar)."""
        if self.lanes == 1:
            return None
        return K.LaneMask(K.Binary("sub", K.Const(self.out[-1]), last), self.lanes)

    def splat(self, value: K.Expr) -> K.Expr:
        return value if self.lanes == 1 else K.Splat(value, self.lanes)

    def tap_read(self, outer: K.Expr, last: K.Expr, tap: K.Expr
                 ) -> tuple[K.Expr, K.Expr, K.Expr, bool]:
        """(element offset of the first lane within a plane (scalar), per-lane offsets of the
        last axis (vector), lane mask, contiguous) of one kernel tap for a vector of outputs."""
        lanes, rank = self.lanes, len(self.spatial)
        out_coordinates = decompose(outer, self.out[:-1]) if rank > 1 else []
        tap_coordinates = decompose(tap, self.kernel)
        row = K.Const(0)
        valid: K.Expr | None = None
        for axis in range(rank - 1):
            position = self._input_coordinate(out_coordinates[axis], tap_coordinates[axis], axis)
            inside = _in_range(position, self.spatial[axis])
            valid = inside if valid is None else K.Binary("and", valid, inside)
            row = K.Binary("add", K.Binary("mul", row, K.Const(self.spatial[axis])), position)
        axis = rank - 1
        first = self._input_coordinate(last, tap_coordinates[axis], axis)
        stride = self.strides[axis]
        columns = first if lanes == 1 else K.Binary(
            "add", K.Splat(first, lanes),
            K.Binary("mul", K.Iota(lanes), K.Const(stride, "i64", lanes)))
        mask = _in_range(columns, self.spatial[axis], lanes)
        if lanes > 1:
            mask = K.Binary("and", self.last_axis_lanes(last), mask)
        if valid is not None:
            mask = K.Binary("and", mask, self.splat(valid))
        row_start = K.Binary("mul", row, K.Const(self.spatial[axis]))
        return K.Binary("add", row_start, first), K.Binary(
            "add", self.splat(row_start), columns), mask, stride == 1

    def _input_coordinate(self, out_coordinate: K.Expr, tap_coordinate: K.Expr,
                          axis: int) -> K.Expr:
        start = K.Binary("mul", out_coordinate, K.Const(self.strides[axis]))
        offset = K.Binary("sub", K.Binary("mul", tap_coordinate, K.Const(self.dilations[axis])),
                          K.Const(self.pads_begin[axis]))
        return K.Binary("add", start, offset)

    def load(self, buffer: K.Buffer, plane_offset: K.Expr, outer: K.Expr, last: K.Expr,
             tap: K.Expr) -> tuple[K.Expr, K.Expr]:
        """(values in their compute type, mask) of one tap for a vector of outputs; masked
        lanes read nothing and hold 0."""
        first, lane_offsets, mask, contiguous = self.tap_read(outer, last, tap)
        if self.lanes == 1:  # a scalar read of a clamped address, then 0 where masked
            index = K.Binary("add", plane_offset, first)
            clamped = K.Binary("min", K.Binary("max", index, K.Const(0)),
                               K.Const(buffer.size - 1))
            value = K.widen(K.Load(buffer, clamped))
            zero = K.Const(0.0 if K.is_float(value.dtype) else 0, value.dtype)
            return K.Select(mask, value, zero), mask
        if contiguous:
            return K.widen(K.Load(buffer, K.Binary("add", plane_offset, first), self.lanes,
                                  mask)), mask
        index = K.Binary("add", K.Splat(plane_offset, self.lanes), lane_offsets)
        return K.widen(K.Load(buffer, index, self.lanes, mask)), mask

    def output_index(self, plane: K.Expr, outer: K.Expr, last: K.Expr) -> K.Expr:
        position = K.Binary("add", K.Binary("mul", outer, K.Const(self.out[-1])), last)
        return K.Binary("add", K.Binary("mul", plane, K.Const(_product(self.out))), position)


def window_lanes(ctx: LoweringContext, node: Any) -> int:
    """Vector lanes for a window op: 1 for f16/bf16 (OpenCL C reads half element by element
    without cl_khr_fp16), the target's width otherwise."""
    if node.inputs[0].element_type.name in K.NARROW_FLOAT_TYPES:
        return 1
    return ctx.target.vector_lanes


def convolution_walk(node: Any, kernel: tuple, lanes: int) -> WindowWalk:
    from vinify.ops.convolution import window_pads

    attrs = node.attrs
    spatial = static_shape(node.inputs[0])[2:]
    pads = tuple(window_pads(size, (k - 1) * d + 1, s, attrs["auto_pad"], begin, end)[0]
                 for size, k, d, s, begin, end in zip(spatial, kernel, attrs["dilations"],
                                                      attrs["strides"], attrs["pads_begin"],
                                                      attrs["pads_end"]))
    return WindowWalk(tuple(spatial), tuple(static_shape(node.outputs[0])[2:]), tuple(kernel),
                      tuple(attrs["strides"]), tuple(attrs["dilations"]), pads, lanes)


def takes_convolution(node: Any) -> bool:
    """Whether this lowering (not convolution.py's 2-D f32 GEMM) compiles the convolution."""
    return (len(static_shape(node.inputs[0])) != 4
            or node.outputs[0].element_type.name != "f32")


def lower_direct_convolution(ctx: LoweringContext, node: Any, epilogue: Any = None) -> None:
    """The convolution into its own output, then any absorbed epilogue nodes in order."""
    x_shape, w_shape = static_shape(node.inputs[0]), static_shape(node.inputs[1])
    if node.op.name == "Convolution":
        w_shape = (1,) + w_shape
    groups, group_out, group_in = w_shape[:3]
    walk = convolution_walk(node, w_shape[3:], window_lanes(ctx, node))
    x, w = ctx.buffer(node.inputs[0]), ctx.buffer(node.inputs[1])
    out = ctx.output(node.outputs[0])
    plane, outer, last = K.Var("plane"), K.Var("outer"), K.Var("last")
    channel, tap = K.Var("channel"), K.Var("tap")
    image = K.Binary("div", plane, K.Const(groups * group_out))
    out_channel = K.Binary("rem", plane, K.Const(groups * group_out))
    group = K.Binary("div", out_channel, K.Const(group_out))
    in_channel = K.Binary("add", K.Binary("mul", group, K.Const(group_in)), channel)
    x_plane = K.Binary("mul", K.Binary("add", K.Binary("mul", image, K.Const(x_shape[1])),
                                       in_channel), K.Const(_product(walk.spatial)))
    w_row = K.Binary("mul", K.Binary("add", K.Binary("mul", out_channel, K.Const(group_in)),
                                     channel), K.Const(walk.taps))
    acc = K.Var("acc", K.compute_dtype(out.dtype), walk.lanes)
    values, _ = walk.load(x, K.Var("x_plane"), outer, last, tap)
    weight = walk.splat(K.widen(K.Load(w, K.Binary("add", K.Var("w_row"), tap))))
    per_channel = K.Loop(channel, K.Const(0), K.Const(group_in), (
        K.Let(K.Var("x_plane"), x_plane), K.Let(K.Var("w_row"), w_row),
        K.Loop(tap, K.Const(0), K.Const(walk.taps), (K.Let(acc, K.Fma(values, weight, acc)),))))
    vectors = K.Loop(last, K.Const(0), K.Const(walk.out[-1]), (
        K.Let(acc, K.Const(0.0, acc.dtype, walk.lanes)), per_channel,
        K.Store(out, walk.output_index(plane, outer, last), K.narrow(acc, out.dtype),
                walk.last_axis_lanes(last))),
        step=walk.lanes)
    planes = x_shape[0] * groups * group_out
    work = planes * _product(walk.out) * group_in * walk.taps
    ctx.emit("conv_nd", [K.Loop(plane, K.Const(0), K.Const(planes), (
        K.Loop(outer, K.Const(0), K.Const(walk.outer_positions), (vectors,)),),
        parallel=planes > 1 and work >= PARALLEL_MIN_WORK)], node.describe())
    for absorbed in (epilogue.nodes[1:] if epilogue is not None else []):
        LOWERINGS[absorbed.op.name](ctx, absorbed)


accept_element_types(FLOAT_ELEMENT_TYPES, "Convolution", "GroupConvolution")
