"""ConvolutionBackpropData and GroupConvolutionBackpropData (transposed convolutions) of any
spatial rank on f32, with weights known at compile time or read at run time.

Each output element gathers its inputs directly: along every spatial axis, output position o
receives input i through kernel tap k when o + pad_begin == i * stride + k * dilation, so the
loops run over input channels and taps and keep the terms where that i is a whole number inside
the input. This reads only what contributes and needs no zero-stuffed copy.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape
from vinify.errors import DeviceError
from vinify.ops.convolution import backprop_pads


def _size(dims) -> int:
    return int(np.prod(dims, dtype=np.int64))


def _strides(shape: tuple) -> list[int]:
    return [_size(shape[d + 1:]) for d in range(len(shape))]


def _geometry(ctx: LoweringContext, node: Any, x_shape: tuple, kernel: tuple) -> list[tuple]:
    """Per spatial axis (stride, dilation, pad_begin)."""
    attrs = node.attrs
    rank = len(kernel)
    extents = [(k - 1) * d + 1 for k, d in zip(kernel, attrs["dilations"])]
    output_spatial = None
    if len(node.inputs) == 3:
        given = ctx.constant(node.inputs[2])
        if given is None:
            raise DeviceError(f"CPU: {node.describe()}: output_shape must be constant")
        output_spatial = [int(n) for n in np.asarray(given).reshape(-1)]
    pads = backprop_pads(attrs, x_shape[2:], extents, output_spatial)
    return [(attrs["strides"][a], attrs["dilations"][a], pads[a][0]) for a in range(rank)]


@lowers("ConvolutionBackpropData", "GroupConvolutionBackpropData")
def lower_transposed_convolution(ctx: LoweringContext, node: Any) -> None:
    x_shape, w_shape = static_shape(node.inputs[0]), static_shape(node.inputs[1])
    out_shape = static_shape(node.outputs[0])
    grouped = node.op.name.startswith("Group")
    w_full = w_shape if grouped else (1,) + w_shape  # [G, Ci, Co, k...]
    groups, in_per_group, out_per_group = w_full[:3]
    kernel = w_full[3:]
    geometry = _geometry(ctx, node, x_shape, kernel)
    x, w, out = ctx.buffer(node.inputs[0]), ctx.buffer(node.inputs[1]), ctx.output(node.outputs[0])
    rank = len(kernel)
    plane = K.Var("plane")  # n * C_out + output channel
    n = K.Binary("div", plane, K.Const(out_shape[1]))
    channel = K.Binary("rem", plane, K.Const(out_shape[1]))
    group = K.Binary("div", channel, K.Const(out_per_group))
    co = K.Binary("rem", channel, K.Const(out_per_group))
    outs = [K.Var(f"o{a}") for a in range(rank)]
    taps = [K.Var(f"k{a}") for a in range(rank)]
    ci = K.Var("ci")
    valid: K.Expr = K.Binary("eq", K.Const(0), K.Const(0))
    positions = []
    for a, (stride, dilation, pad) in enumerate(geometry):
        shifted = K.Binary("sub", K.Binary("add", outs[a], K.Const(pad)),
                           K.Binary("mul", taps[a], K.Const(dilation)))
        position = K.Binary("div", shifted, K.Const(stride))
        inside = K.Binary("and", K.Binary("ge", shifted, K.Const(0)),
                          K.Binary("lt", position, K.Const(x_shape[2 + a])))
        if stride > 1:
            inside = K.Binary("and", inside, K.Binary(
                "eq", K.Binary("rem", shifted, K.Const(stride)), K.Const(0)))
        valid = K.Binary("and", valid, inside)
        positions.append(position)
    x_channel = K.Binary("add", K.Binary("mul", group, K.Const(in_per_group)), ci)
    x_index = K.index_of([n, x_channel, *positions], _strides(x_shape))
    w_index = K.index_of([group, ci, co, *taps], _strides(w_full))
    acc = K.Var("acc", "f32")
    term = K.Select(valid, K.Load(x, K.Select(valid, x_index, K.Const(0))), K.Const(0.0, "f32"))
    inner = K.loop_nest([ci, *taps], [in_per_group, *kernel],
                        [K.Let(acc, K.Fma(term, K.Load(w, w_index), acc))])
    out_index = K.Binary("add", K.Binary("mul", plane, K.Const(_size(out_shape[2:]))),
                         K.index_of(outs, _strides(out_shape[2:])))
    spatial = K.loop_nest(outs, list(out_shape[2:]),
                          [K.Let(acc, K.Const(0.0, "f32")), *inner, K.Store(out, out_index, acc)])
    planes = out_shape[0] * out_shape[1]
    if groups * in_per_group != x_shape[1]:
        raise DeviceError(f"CPU: {node.describe()}: filters do not match the input channels")
    ctx.emit("deconvolution", [K.Loop(plane, K.Const(0), K.Const(planes), tuple(spatial),
                                      parallel=planes > 1)], node.describe())
