"""If<8> lowered by its branches: the taken one when the condition is known at compile time,
both followed by an elementwise select when it is known only at run time. Loop<5> unrolled when
its iteration count is known at compile time (compiler/ops/control_flow.static_trip_count).

Each branch body is specialized to the node's concrete input types (tensor_iterator's
`specialized_body`), its parameters are bound to the node inputs its port map names, and its
nodes are lowered with their own lowerings. Computing both branches is correct because lowered
bodies have no side effects (every read is bounds-safe) and the branches write separate
buffers; the cost is the untaken branch's work, fine for the small branches If usually holds.

A Loop body is lowered once per iteration, as TensorIterator's is, from a copy whose iteration
number is a constant (so shapes that depend on it are static), its carried parameters bound to
the previous iteration's results and its per-iteration outputs copied into their row of the
stacked outputs.
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
from vinify.codegen.lowering.tensor_iterator import (
    check_body,
    keep_alive,
    lower_body,
    place_step,
    specialized_body,
)
from vinify.errors import DeviceError
from vinify.ops.control_flow import body_for_iteration, static_trip_count
from vinify.shapes import PartialShape, TensorType
from vinify.types import boolean, i64

BRANCHES = (("then", 0), ("else", 1))
PARALLEL_MIN_ELEMENTS = 16384


def _branch(ctx: LoweringContext, node: Any, key: str, index: int) -> list[Any]:
    """Lowers one branch; returns its results in node output order."""
    feeds = [node.inputs[i] for i in node.attrs[f"{key}_inputs"]]
    body = keep_alive(ctx, specialized_body(node.bodies[index], [
        (v.element_type.name, static_shape(v)) for v in feeds]))
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


def _loop_head() -> list[TensorType]:
    return [TensorType(i64, PartialShape(())), TensorType(boolean, PartialShape(()))]


def unsupported_loop_reason(node: Any) -> str | None:
    """Why the CPU cannot unroll a Loop node (support.py asks), or None."""
    from vinify.codegen.lowering.support import unsupported_reason
    from vinify.ir import constant_value

    body = node.bodies[0]
    known = (constant_value(node.inputs[0]), constant_value(node.inputs[1]))
    if not static_trip_count(known, body):
        return "the iteration count must be known at compile time"
    copy = body_for_iteration(body, 0, _loop_head() + [v.type for v in node.inputs[2:]])
    for inner in copy.nodes():
        reason = unsupported_reason(inner)
        if reason is not None and any(constant_value(v) is None for v in inner.outputs):
            return f"its body: {inner.describe()}: {reason}"
    return None


@lowers("Loop", dtypes=ALL_ELEMENT_TYPES)
def lower_loop(ctx: LoweringContext, node: Any) -> None:
    body, where = node.bodies[0], node.describe()
    iterations = static_trip_count((ctx.constant(node.inputs[0]), ctx.constant(node.inputs[1])),
                                   body)
    if not iterations:
        raise DeviceError(f"CPU: {where}: the iteration count must be known at compile time")
    carried = node.attrs["num_carried"]
    states = [ctx.buffer(v) for v in node.inputs[2:2 + carried]]
    state_types = [v.type for v in node.inputs[2:2 + carried]]
    invariant = list(node.inputs[2 + carried:])
    stacked = [ctx.output(v) for v in node.outputs[carried:]]
    for iteration in range(iterations):
        copy = keep_alive(ctx, body_for_iteration(body, iteration, _loop_head() + state_types +
                                                  [v.type for v in invariant]))
        check_body(ctx, node, copy)
        params = copy.inputs
        ctx.bind(params[1], ctx.buffer(node.inputs[1]))
        for param, buffer in zip(params[2:2 + carried], states):
            ctx.bind(param, buffer)
        for param, value in zip(params[2 + carried:], invariant):
            ctx.bind(param, ctx.buffer(value))
        lower_body(ctx, copy)
        states = [ctx.buffer(v) for v in copy.outputs[1:1 + carried]]
        state_types = [v.type for v in copy.outputs[1:1 + carried]]
        for value, out, result in zip(copy.outputs[1 + carried:], stacked,
                                      node.outputs[carried:]):
            place_step(ctx, ctx.buffer(value), static_shape(value), out, static_shape(result),
                       0, iteration, where)
    for value, buffer in zip(node.outputs[:carried], states):
        ctx.bind(value, buffer)
