"""Outputs whose size counts their data (NonZero), compiled with their upper-bound shape.

NonZero's column count is the number of non-zero elements: unknown until the data arrives, but
never more than the input's element count. A device that compiles static shapes computes it
into a buffer of that upper-bound size and writes the actual count into a small i64 buffer; the
executable then returns only the first `count` entries along the trimmed axis. Which values
qualify (results, directly or through views and Gather, and the Slice(x, 0, valid_outputs) the
ONNX converter puts after NonMaxSuppression) is decided in vinify.bounded_outputs; a count that
sizes other computation keeps its bounded shape and stays refused. NonZero's columns past the
count are written 0, so a Gather by them reads in bounds.
"""

from typing import Any

import numpy as np
from vinify.bounded_outputs import Trim, counted_values, trims, upper_bound
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    ALL_ELEMENT_TYPES,
    LoweringContext,
    kernel_dtype,
    lowers,
    static_shape,
)
from vinify.shapes import TensorType


def bound_outputs(graph: Any) -> tuple[Any, list[Trim]]:
    """A copy of `graph` whose count-sized values have their upper-bound static shapes (an NMS
    Slice bypassed: its users read the padded rows), and the trims of its results; the graph
    itself when it has none."""
    if not counted_values(graph):
        return graph, []
    from vinify.reshape import reshaped

    copy = reshaped(graph, {})
    counted = counted_values(copy)
    found = trims(copy, counted)
    for node in copy.nodes():
        for value in node.outputs:
            if id(value) not in counted:
                continue
            if node.op.name == "Slice":  # Slice(nms rows, 0, valid_outputs)
                value.replace_all_uses_with(node.inputs[0])
            else:
                value.type = TensorType(value.element_type, upper_bound(value))
    for result in copy.results:
        result.outputs[0].type = result.inputs[0].type
    return copy, found


def count_buffer(ctx: LoweringContext, value: Any) -> K.Buffer:
    """The i64 buffer holding the count of `value` (NonZero's column count, NMS's valid
    outputs), created by the lowering that computes it."""
    counts = ctx.__dict__.setdefault("bounded_counts", {})
    if id(value) not in counts:
        counts[id(value)] = ctx.buffer(value)  # NMS valid_outputs: an output of its own
    return counts[id(value)]


def _nonzero_test(data: K.Buffer, index: K.Expr) -> K.Expr:
    value = K.widen(K.Load(data, index))
    return K.Binary("ne", value, K.Const(0.0 if K.is_float(value.dtype) else 0, value.dtype))


@lowers("NonZero", dtypes=ALL_ELEMENT_TYPES)
def lower_nonzero(ctx: LoweringContext, node: Any) -> None:
    """One serial pass: the coordinates of element i go to column `count` (overwritten by the
    next non-zero when element i is zero), then count grows by one when it is non-zero."""
    shape = static_shape(node.inputs[0])
    total = int(np.prod(shape, dtype=np.int64))
    data, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    columns = static_shape(node.outputs[0])[1]
    count_dtype = kernel_dtype(node.outputs[0])
    counter = ctx.scratch("nonzero_count", 1, "i64")
    ctx.__dict__.setdefault("bounded_counts", {})[id(node.outputs[0])] = counter
    i, count = K.Var("i"), K.Var("count")
    strides = [int(np.prod(shape[axis + 1:], dtype=np.int64)) for axis in range(len(shape))]
    stores = [K.Store(out, K.add(count, row * columns),
                      K.narrow(K.Binary("rem", K.Binary("div", i, K.Const(stride)),
                                        K.Const(extent)), count_dtype))
              for row, (stride, extent) in enumerate(zip(strides, shape))]
    step = K.Select(_nonzero_test(data, i), K.Const(1), K.Const(0))
    zero = K.Const(0, count_dtype)
    tail = [K.Store(out, K.add(i, row * columns), zero) for row in range(len(shape))]
    body = [K.Let(count, K.Const(0)),
            K.Loop(i, K.Const(0), K.Const(total), (*stores, K.Let(count, K.add(count, step)))),
            K.Store(counter, K.Const(0), count),
            K.Loop(i, count, K.Const(columns), tuple(tail))]  # valid indices past the count
    ctx.emit("nonzero", body, node.describe())


def emit_trim_counts(ctx: LoweringContext, trims: list[Trim]) -> K.Buffer | None:
    """One last kernel copies every trim's count into one i64 buffer, so no later kernel can
    reuse its memory before the executable reads it (element k holds trim k's count)."""
    if not trims:
        return None
    counts = ctx.scratch("trim_counts", len(trims), "i64")
    body = [K.Store(counts, K.Const(k), K.Cast(K.Load(count_buffer(ctx, t.count), K.Const(0)),
                                               "i64"))
            for k, t in enumerate(trims)]
    ctx.emit("trim_counts", body, "output counts")
    return counts
