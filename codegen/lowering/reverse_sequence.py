"""ReverseSequence with sequence lengths read at run time, on any element type.

With lengths known at compile time this is data_movement's precomputed element map
(`lower_mapped`). With
run-time lengths each output element reads its own source: along the sequence axis, position t
of batch item b reads position len - 1 - t when t < len, itself otherwise, where len is the
item's length clamped to [0, sequence size] as the reference's slicing clamps it.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering import data_movement
from vinify.codegen.lowering.context import (
    ALL_ELEMENT_TYPES,
    LoweringContext,
    lowers,
    static_shape,
)

PARALLEL_MIN_ELEMENTS = 16384


def _strides(shape: tuple) -> list[int]:
    return [int(np.prod(shape[d + 1:], dtype=np.int64)) for d in range(len(shape))]


@lowers("ReverseSequence", dtypes=ALL_ELEMENT_TYPES)
def lower_reverse_sequence(ctx: LoweringContext, node: Any) -> None:
    if ctx.constant(node.inputs[1]) is not None:
        data_movement.lower_mapped(ctx, node)
        return
    shape = static_shape(node.inputs[0])
    batch_axis = node.attrs["batch_axis"] % len(shape)
    seq_axis = node.attrs["seq_axis"] % len(shape)
    data, lengths = ctx.buffer(node.inputs[0]), ctx.buffer(node.inputs[1])
    out = ctx.output(node.outputs[0])
    coords = [K.Var(f"i{d}") for d in range(len(shape))]
    size, t = shape[seq_axis], coords[seq_axis]
    length = K.Var("length")
    raw = K.Cast(K.Load(lengths, coords[batch_axis]), "i64")
    clamped = K.Binary("min", K.Binary("max", raw, K.Const(0)), K.Const(size))
    source_t = K.Select(K.Binary("lt", t, length),
                        K.Binary("sub", K.Binary("sub", length, K.Const(1)), t), t)
    source = [source_t if d == seq_axis else c for d, c in enumerate(coords)]
    strides = _strides(shape)
    body = [K.Let(length, clamped),
            K.Store(out, K.index_of(coords, strides), K.Load(data, K.index_of(source, strides)))]
    parallel = len(shape) > 1 and shape[0] > 1 and out.size >= PARALLEL_MIN_ELEMENTS
    ctx.emit("reverse_sequence", K.loop_nest(coords, list(shape), body, parallel),
             node.describe())
