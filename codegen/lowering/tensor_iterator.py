"""TensorIterator (scan form: states, scanned inputs, invariant inputs) unrolled at compile time.

The iteration count is static, so the body is lowered once per step: its parameters are bound
to the current state buffers, to a copy of this step's slice of every scanned input, and to the
invariant inputs; its nodes are lowered with their own lowerings; its results become the next
states, and its scan results are copied into their slot of the stacked outputs. Body values are
bound afresh each step, so each step's kernels read that step's buffers.
"""

import weakref
from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LOWERINGS, LoweringContext, lowers, static_shape
from vinify.codegen.lowering.data_movement import emit_strided_copy
from vinify.errors import DeviceError
from vinify.ops.control_flow import shape_like_constants

BOUNDARY_OPS = ("Parameter", "Result", "Constant")
UNROLL_LIMIT = 4096  # steps; beyond this the generated code would be unreasonably long
# Body copies lowered with a context stay alive as long as it: the context keys buffers and
# folded constants by id(value), and a freed copy's ids would be reused by later values.
_LOWERED_BODIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def keep_alive(ctx: LoweringContext, body: Any) -> Any:
    """`body`, kept referenced for as long as `ctx` lives."""
    _LOWERED_BODIES.setdefault(ctx, []).append(body)
    return body


def _strides(shape: tuple) -> list[int]:
    return [int(np.prod(shape[d + 1:], dtype=np.int64)) for d in range(len(shape))]


def check_body(ctx: LoweringContext, node: Any, body: Any) -> None:
    """Raises naming every body node the CPU cannot compile (constant ones fold away)."""
    from vinify.codegen.lowering.support import unsupported_reason

    problems = []
    for inner in body.nodes():
        reason = unsupported_reason(inner)
        if reason is None or all(ctx.constant(v) is not None for v in inner.outputs):
            continue
        problems.append(f"{inner.describe()}: {reason}")
    if problems:
        raise DeviceError(f"CPU: {node.describe()}: its body has nodes the CPU cannot compile: "
                          + "; ".join(problems))


def specialized_body(body: Any, types: list[tuple[str, tuple]],
                     values: dict[int, np.ndarray] | None = None) -> Any:
    """A copy of `body` whose parameters have the given (element type, static shape), every
    node's types inferred again: an imported body may declare dynamic shapes. The parameters at
    the indices of `values` read those constants instead (a shape passed in as an input)."""
    from vinify.ir import Graph, Node, constant, parameter

    values = values or {}
    mapping: dict[int, Any] = {}
    params = []
    for index, (value, (elem, shape)) in enumerate(zip(body.inputs, types)):
        fresh = parameter(value.name or "param", elem, shape)
        params.append(fresh)
        mapping[id(value)] = fresh.outputs[0] if index not in values else constant(
            values[index], elem).outputs[0]
    for inner in body.nodes():
        if inner.op.name in ("Parameter", "Result"):
            continue
        copy = Node(inner.op, [mapping[id(v)] for v in inner.inputs], dict(inner.attrs),
                    name=inner.name, bodies=inner.bodies,
                    output_names=[v.name for v in inner.outputs])
        for old, new in zip(inner.outputs, copy.outputs):
            mapping[id(old)] = new
    return Graph(params, [mapping[id(v)] for v in body.outputs])


def slice_step(ctx: LoweringContext, source: K.Buffer, shape: tuple, axis: int, index: int,
               target: Any, where: str) -> K.Buffer:
    """A copy of source[..., index, ...] (axis removed) bound to the body parameter value."""
    strides = _strides(shape)
    out = ctx.output(target)
    kept = [d for d in range(len(shape)) if d != axis]
    emit_strided_copy(ctx, source, out, tuple(shape[d] for d in kept), index * strides[axis],
                      [strides[d] for d in kept], where)
    return out


def place_step(ctx: LoweringContext, part: K.Buffer, part_shape: tuple, out: K.Buffer,
               out_shape: tuple, axis: int, index: int, where: str) -> None:
    """out[..., index, ...] = part along the inserted axis."""
    strides = _strides(out_shape)
    kept = [strides[d] for d in range(len(out_shape)) if d != axis]
    variables = [K.Var(f"i{d}") for d in range(len(part_shape))] or [K.Var("i0")]
    extents = list(part_shape) or [1]
    read = K.index_of(variables, _strides(part_shape)) if part_shape else K.Const(0)
    write = K.Binary("add", K.Const(index * strides[axis]), K.index_of(variables, kept))
    body = [K.Store(out, write, K.Load(part, read))]
    ctx.emit("scan_output", K.loop_nest(variables, extents, body), where)


def lower_body(ctx: LoweringContext, body: Any) -> None:
    for inner in body.nodes():
        if inner.op.name in BOUNDARY_OPS:
            continue
        if all(ctx.constant(v) is not None for v in inner.outputs):
            continue
        LOWERINGS[inner.op.name](ctx, inner)


def body_types(node: Any, scan_shapes: list[tuple], axes: list[int]) -> list[tuple]:
    """The body parameters' types: states and invariants as given, scans without their axis."""
    count = node.attrs["num_state"]
    types = []
    for index, value in enumerate(node.inputs):
        shape = static_shape(value)
        scan = index - count
        if 0 <= scan < len(scan_shapes):
            shape = tuple(d for a, d in enumerate(shape) if a != axes[scan])
        types.append((value.element_type.name, shape))
    return types


@lowers("TensorIterator")
def lower_tensor_iterator(ctx: LoweringContext, node: Any) -> None:
    attrs, where = node.attrs, node.describe()
    state_count, axes = attrs["num_state"], list(attrs["scan_input_axes"])
    directions = list(attrs["scan_input_directions"]) + [0] * len(axes)
    scans = node.inputs[state_count:state_count + len(axes)]
    scan_shapes = [static_shape(v) for v in scans]
    axes = [a % len(s) for a, s in zip(axes, scan_shapes)]
    length = scan_shapes[0][axes[0]] if scans else 0
    first_invariant = state_count + len(axes)
    known = shape_like_constants({i: ctx.constant(node.inputs[i])
                                  for i in range(first_invariant, len(node.inputs))})
    body = keep_alive(ctx, specialized_body(node.bodies[0], body_types(node, scan_shapes, axes),
                                            known))
    check_body(ctx, node, body)
    if length > UNROLL_LIMIT:
        raise DeviceError(f"CPU: {where}: {length} iterations is too many to unroll")
    states = [ctx.buffer(v) for v in node.inputs[:state_count]]
    invariant = [ctx.buffer(v) for v in node.inputs[state_count + len(axes):]]
    params = list(body.inputs)
    outputs = [ctx.output(v) for v in node.outputs[state_count:]]
    out_axes = list(attrs["scan_output_axes"])
    out_directions = list(attrs["scan_output_directions"]) + [0] * len(out_axes)
    for step in range(length):
        for param, buffer in zip(params[:state_count], states):
            ctx.bind(param, buffer)
        for k, value in enumerate(scans):
            index = length - 1 - step if directions[k] else step
            slice_step(ctx, ctx.buffer(value), scan_shapes[k], axes[k], index,
                       params[state_count + k], where)
        for param, buffer in zip(params[state_count + len(axes):], invariant):
            ctx.bind(param, buffer)
        lower_body(ctx, body)
        states = [ctx.buffer(v) for v in body.outputs[:state_count]]
        for k, (value, out) in enumerate(zip(body.outputs[state_count:], outputs)):
            out_shape = static_shape(node.outputs[state_count + k])
            index = length - 1 - step if out_directions[k] else step
            place_step(ctx, ctx.buffer(value), static_shape(value), out, out_shape,
                       out_axes[k] % len(out_shape), index, where)
    for value, buffer in zip(node.outputs[:state_count], states):
        ctx.bind(value, buffer)
