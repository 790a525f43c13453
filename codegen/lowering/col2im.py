"""Col2Im<15> (and ONNX's N-D Col2Im): sliding blocks summed back into an image.

Written as a gather, so every output element is computed by one iteration (parallel, no
scatter): padded position q along an axis receives tap t of block b when q = t * dilation +
b * stride, i.e. when r = q - t * dilation is a non-negative multiple of the stride below
stride * blocks. Each output element loops over the kernel taps and sums the column entries
that land on it. Kernel sizes must be known at compile time (the runtime specializes a
block_shape given as an input value); the image size is the static output shape.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape
from vinify.errors import DeviceError

PARALLEL_MIN_ELEMENTS = 4096


def _strides(shape) -> list[int]:
    return [int(np.prod(shape[d + 1:], dtype=np.int64)) for d in range(len(shape))]


def _b(op: str, a: K.Expr, b: K.Expr | int) -> K.Expr:
    return K.Binary(op, a, b if isinstance(b, K.Expr) else K.Const(b))


def _tap_hit(q: K.Expr, tap: K.Var, dilation: int, stride: int, blocks: int
             ) -> tuple[K.Expr, K.Expr]:
    """(block index along the axis, whether tap `tap` of that block lands on position q)."""
    r = _b("sub", q, _b("mul", tap, dilation))
    block = _b("div", r, stride)
    valid = _b("and", _b("ge", r, 0), _b("lt", block, blocks))
    if stride != 1:
        valid = _b("and", valid, _b("eq", _b("rem", r, stride), 0))
    return block, valid


def col2im_kernel_sizes(ctx: LoweringContext, node: Any) -> list[int]:
    kernel = ctx.constant(node.inputs[2])
    if kernel is None:
        raise DeviceError(f"CPU: {node.describe()}: kernel sizes must be known at compile time")
    return [int(k) for k in np.asarray(kernel).reshape(-1)]


@lowers("Col2Im")
def lower_col2im(ctx: LoweringContext, node: Any) -> None:
    attrs = node.attrs
    kernel = col2im_kernel_sizes(ctx, node)
    spatial = len(kernel)
    out_shape = static_shape(node.outputs[0])
    data_shape = static_shape(node.inputs[0])
    sizes, channels = list(out_shape[-spatial:]), out_shape[-spatial - 1]
    batch = data_shape[0] if len(data_shape) == 3 else 1
    strides, dilations = list(attrs["strides"]), list(attrs["dilations"])
    begins, ends = list(attrs["pads_begin"]), list(attrs["pads_end"])
    blocks = [(n + b + e - d * (k - 1) - 1) // s + 1
              for n, b, e, d, k, s in zip(sizes, begins, ends, dilations, kernel, strides)]
    columns, image = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    planes = batch * channels  # (n, c) pairs, one loop: column rows and images follow in it
    plane = K.Var("plane")
    positions = [K.Var(f"o{a}") for a in range(spatial)]
    taps = [K.Var(f"t{a}") for a in range(spatial)]
    hits = [_tap_hit(_b("add", positions[a], begins[a]), taps[a], dilations[a], strides[a],
                     blocks[a]) for a in range(spatial)]
    valid = hits[0][1]
    for _, axis_valid in hits[1:]:
        valid = _b("and", valid, axis_valid)
    row = _b("add", _b("mul", plane, int(np.prod(kernel))), K.index_of(taps, _strides(kernel)))
    column = _b("add", _b("mul", row, int(np.prod(blocks))),
                K.index_of([block for block, _ in hits], _strides(blocks)))
    acc = K.Var("acc", "f32")
    picked = K.Select(valid, K.Load(columns, K.Select(valid, column, K.Const(0))),
                      K.Const(0.0, "f32"))
    summed = K.loop_nest(taps, kernel, [K.Let(acc, K.Binary("add", acc, picked))])
    target = K.index_of([plane] + positions, _strides([planes] + sizes))
    body = [K.Let(acc, K.Const(0.0, "f32")), *summed, K.Store(image, target, acc)]
    extents = [planes] + sizes
    parallel = planes > 1 and int(np.prod(extents)) >= PARALLEL_MIN_ELEMENTS
    ctx.emit("col2im", K.loop_nest([plane] + positions, extents, body, parallel),
             node.describe())
