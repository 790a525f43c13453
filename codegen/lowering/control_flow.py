"""If<8> lowered by its branches: the taken one when the condition is known at compile time,
both followed by an elementwise select when it is known only at run time.

Each branch body is specialized to the node's concrete input types (tensor_iterator's
`specialized_body`), its parameters are bound to the node inputs its port map names, and its
nodes are lowered with their own lowerings. Computing both branches is correct because lowered
bodies have no side effects (every read is bounds-safe) and the branches write separate
buffers; the cost is the untaken branch's work, fine for the small branches If usually holds.
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
from vinify.codegen.lowering.tensor_iterator import check_body, lower_body, specialized_body
from vinify.errors import DeviceError

BRANCHES = (("then", 0), ("else", 1))
PARALLEL_MIN_ELEMENTS = 16384


def _branch(ctx: LoweringContext, node: Any, key: str, index: int) -> list[Any]:
    """Lowers one branch; returns its results in node output order."""
    feeds = [node.inputs[i] for i in node.attrs[f"{key}_inputs"]]
    body = specialized_body(node.bodies[index], [(v.element_type.name, static_shape(v))
                                                 for v in feeds])
    check_body(ctx, node, body)
    for param, value in zip(body.inputs, feeds):
        ctx.bind(param, ctx.buffer(value))
    lower_body(ctx, body)
    results = [body.outputs[i] for i in node.attrs[f"{key}_outputs"]]
    for value, result in zip(node.outputs, results):
        if static_shape(result) != static_shape(value):
            raise DeviceError(f"CPU: {node.describe()}: the {key} branch gives "
                              f"{result.shape} for an output of shape {value.shape}")
    return results


def unsupported_if_reason(node: Any) -> str | None:
    """Why the CPU cannot compile an If node's branches (support.py asks), or None."""
    from vinify.codegen.lowering.support import unsupported_reason
    from vinify.ir import constant_value

    for key, index in BRANCHES:
        feeds = [node.inputs[i] for i in node.attrs[f"{key}_inputs"]]
        body = specialized_body(node.bodies[index], [(v.element_type.name, v.shape.to_tuple())
                                                     for v in feeds])
        for inner in body.nodes():
            reason = unsupported_reason(inner)
            if reason is not None and any(constant_value(v) is None for v in inner.outputs):
                return f"the {key} branch: {inner.describe()}: {reason}"
    return None


def _emit_select(ctx: LoweringContext, node: Any, cond: K.Buffer, output: Any,
                 then_value: Any, else_value: Any) -> None:
    out = ctx.output(output)
    then_buffer, else_buffer = ctx.buffer(then_value), ctx.buffer(else_value)
    taken = K.Binary("ne", K.Cast(K.Load(cond, K.Const(0)), "i64"), K.Const(0))
    i = K.Var("i")
    value = K.Select(taken, K.Load(then_buffer, i), K.Load(else_buffer, i))
    parallel = out.size >= PARALLEL_MIN_ELEMENTS
    ctx.emit("if_select", [K.Loop(i, K.Const(0), K.Const(out.size), (K.Store(out, i, value),),
                                  parallel=parallel)], node.describe())


@lowers("If", dtypes=ALL_ELEMENT_TYPES)
def lower_if(ctx: LoweringContext, node: Any) -> None:
    known = ctx.constant(node.inputs[0])
    if known is not None:
        key, index = BRANCHES[0] if bool(np.asarray(known).reshape(-1)[0]) else BRANCHES[1]
        for value, result in zip(node.outputs, _branch(ctx, node, key, index)):
            ctx.bind(value, ctx.buffer(result))
        return
    then_results = _branch(ctx, node, *BRANCHES[0])
    else_results = _branch(ctx, node, *BRANCHES[1])
    cond = ctx.buffer(node.inputs[0])
    for value, then_value, else_value in zip(node.outputs, then_results, else_results):
        _emit_select(ctx, node, cond, value, then_value, else_value)
