"""OneHot<1> and OneHot<16>: a new axis of length depth holding on_value where the position
equals the index and off_value elsewhere, on any element type.

The depth is the inserted axis of the static output shape, so it needs no constant input (the
runtime specializes a depth given as an input value). The indices are read at run time; an index
outside [0, depth) matches no position and its row is all off_value, as the reference gives;
OneHot<16>'s 'normalize' mode first counts indices in [-depth, -1] from the end.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    ALL_ELEMENT_TYPES,
    LoweringContext,
    lowers,
    static_shape,
)

PARALLEL_MIN_ELEMENTS = 16384


def _size(dims) -> int:
    return int(np.prod(dims, dtype=np.int64))


@lowers("OneHot", dtypes=ALL_ELEMENT_TYPES)
def lower_one_hot(ctx: LoweringContext, node: Any) -> None:
    """The output viewed as [outer, depth, inner] and the indices as [outer, inner]."""
    index_shape = static_shape(node.inputs[0])
    out_shape = static_shape(node.outputs[0])
    axis = node.attrs["axis"] % len(out_shape)
    outer, depth, inner = _size(index_shape[:axis]), out_shape[axis], _size(index_shape[axis:])
    indices, on, off = (ctx.buffer(node.inputs[i]) for i in (0, 2, 3))
    out = ctx.output(node.outputs[0])
    o, j, i = K.Var("o"), K.Var("j"), K.Var("i")
    index = K.Cast(K.Load(indices, K.Binary("add", K.Binary("mul", o, K.Const(inner)), i)),
                   "i64")
    if node.attrs.get("negative_indices_mode") == "normalize":
        counted_back = K.Binary("and", K.Binary("lt", index, K.Const(0)),
                                K.Binary("ge", index, K.Const(-depth)))
        index = K.Select(counted_back, K.Binary("add", index, K.Const(depth)), index)
    value = K.Select(K.Binary("eq", index, j), K.Load(on, K.Const(0)), K.Load(off, K.Const(0)))
    target = K.index_of([o, j, i], [depth * inner, inner, 1])
    parallel = outer > 1 and outer * depth * inner >= PARALLEL_MIN_ELEMENTS
    body = K.loop_nest([o, j, i], [outer, depth, inner], [K.Store(out, target, value)], parallel)
    ctx.emit("one_hot", body, node.describe())
