"""Control flow with body graphs: If<8>, Loop<5> and TensorIterator<1>.

A node of these ops keeps its body graphs in `Node.bodies`; attributes are the port maps that
connect node inputs to body parameters and body results to node outputs (OpenVINO keeps the same
maps in its input/output descriptions):

- If<8>: inputs (cond, x0, x1, ...); bodies (then, else). `then_inputs[j]` is the node input
  feeding the then-body's parameter j (likewise `else_inputs`); node output k is then-body
  result `then_outputs[k]` or else-body result `else_outputs[k]`.
- Loop<5>: inputs (trip_count, execution_condition, carried initial values (num_carried),
  invariant values...); body parameters (iteration, condition, carried..., invariant...); body
  results (condition, carried..., per-iteration outputs...); node outputs (final carried...,
  per-iteration outputs stacked on a new axis 0...). This is ONNX Loop, which OpenVINO's Loop<5>
  expresses with its special body ports.
- TensorIterator<1>: inputs (state initial values (num_state), sequences (one per
  `scan_input_axes` entry), invariant values...); body parameters (state..., slices...,
  invariant...); body results (state..., per-iteration outputs...); node outputs (final
  state..., per-iteration outputs concatenated along `scan_output_axes`). Directions 1 walk a
  sequence (or fill an output) from the end.

The numpy references run the bodies with the TEMPLATE interpreter. Until `Node.evaluate` passes
bodies to references, `with_bodies` binds them to a node-specific subclass of the op, and type
inference (re)binds them on every node it sees (`bind_node_bodies`).
"""

from typing import Sequence

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType
from vinify.types import boolean, i64


def with_bodies(op: type[Op], bodies: Sequence) -> type[Op]:
    """`op` with its body graphs bound, so that its reference can run them."""
    base = getattr(op, "unbound_op", op)
    return type(base.__name__, (base,), {"body_graphs": tuple(bodies), "unbound_op": base})


def bind_node_bodies(ctx: InferContext) -> None:
    """Re-binds the node's op to its current bodies. Type inference runs on every node that is
    built, parsed or verified (TEMPLATE verifies before it runs), so a node made from text or by
    a pass still finds its bodies at run time."""
    node = ctx.node
    bound = getattr(node.op, "body_graphs", None)
    if bound is None or len(bound) != len(node.bodies) or \
            any(a is not b for a, b in zip(bound, node.bodies)):
        node.op = with_bodies(node.op, node.bodies)


def run_body(body, inputs: list[np.ndarray], order: list | None = None) -> list[np.ndarray]:
    """The body's results for `inputs` (`order`: its nodes in execution order, when a caller
    runs the same body many times)."""
    from vinify.runtime.devices.template import evaluate_graph

    return evaluate_graph(body, inputs, order)


def execution_order(body) -> list:
    return [node for node in body.nodes() if node.op.name != "Parameter"]


def bound_bodies(cls, count: int):
    bodies = getattr(cls, "body_graphs", ())
    if len(bodies) != count:
        raise NotImplementedError(f"{cls.key()} needs its {count} body graph(s) bound to run")
    return bodies


def node_bodies(ctx: InferContext, count: int):
    if len(ctx.node.bodies) != count:
        raise ctx.error(f"needs {count} body graph(s), got {len(ctx.node.bodies)}")
    bind_node_bodies(ctx)
    return ctx.node.bodies


def merge_types(ctx: InferContext, a: TensorType, b: TensorType) -> TensorType:
    """The narrowest type covering both branches' types (dims that differ become dynamic)."""
    if a.element_type != b.element_type:
        raise ctx.error(f"branches produce {a.element_type} and {b.element_type}")
    if a.shape.dims is None or b.shape.dims is None or len(a.shape.dims) != len(b.shape.dims):
        return TensorType(a.element_type, DYNAMIC_RANK)
    dims = tuple(x if x == y else DYNAMIC for x, y in zip(a.shape.dims, b.shape.dims))
    return TensorType(a.element_type, PartialShape(dims))


def _carried_type(ctx: InferContext, initial: TensorType, updated: TensorType) -> TensorType:
    """A loop-carried value's type; an optional initial value may be replaced by its content."""
    if initial.element_type != updated.element_type and initial.element_type.kind == "optional":
        return updated
    return merge_types(ctx, initial, updated)


@register
class If(Op):
    name, version = "If", 8
    num_inputs = (1, None)
    attributes = (Attr("then_inputs", "ints", ()), Attr("else_inputs", "ints", ()),
                  Attr("then_outputs", "ints", ()), Attr("else_outputs", "ints", ()))

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return len(attrs["then_outputs"])

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        then_body, else_body = node_bodies(ctx, 2)
        if len(ctx.attrs["then_outputs"]) != len(ctx.attrs["else_outputs"]):
            raise ctx.error("then_outputs and else_outputs differ in length")
        for key, body in (("then_inputs", then_body), ("else_inputs", else_body)):
            if len(ctx.attrs[key]) != len(body.parameters):
                raise ctx.error(f"{key} maps {len(ctx.attrs[key])} inputs onto "
                                f"{len(body.parameters)} body parameters")
        then_types = [then_body.outputs[i].type for i in ctx.attrs["then_outputs"]]
        else_types = [else_body.outputs[i].type for i in ctx.attrs["else_outputs"]]
        known = ctx.const(0)
        if known is not None:  # only the taken branch ever runs: its types are exact
            return then_types if bool(np.asarray(known).reshape(-1)[0]) else else_types
        return [merge_types(ctx, a, b) for a, b in zip(then_types, else_types)]

    @classmethod
    def evaluate(cls, attrs: dict, cond: np.ndarray, *inputs: np.ndarray):
        then_body, else_body = bound_bodies(cls, 2)
        arguments = (cond,) + inputs
        branch = "then" if bool(np.asarray(cond).reshape(-1)[0]) else "else"
        body = then_body if branch == "then" else else_body
        results = run_body(body, [arguments[i] for i in attrs[f"{branch}_inputs"]])
        return tuple(results[i] for i in attrs[f"{branch}_outputs"])


def _stacked(parts: list[np.ndarray], template: TensorType, axis: int = 0,
             reverse: bool = False) -> np.ndarray:
    """Per-iteration arrays joined on a new `axis`; empty (0 along it) when there are none."""
    if not parts:
        dims = [d.min if d.is_static else 0 for d in template.shape] if \
            template.shape.rank_is_static else []
        dims.insert(axis % (len(dims) + 1), 0)
        return np.zeros(dims, template.element_type.dtype)
    if reverse:
        parts = parts[::-1]
    return np.stack(parts, axis=axis)


def _as_parameter(parameter, result, value):
    """A body result fed back as the next iteration's parameter: a value reaching an optional
    parameter is wrapped into a one-element optional container (ONNX does so implicitly)."""
    if parameter.outputs[0].element_type.kind == "optional" and \
            result.element_type.kind != "optional":
        wrapped = np.empty(1, dtype=object)
        wrapped[0] = value
        return wrapped
    return value


STATIC_TRIP_LIMIT = 64  # iterations: a Loop up to this long gets static output shapes


def body_for_iteration(body, iteration: int, types: list[TensorType]):
    """A copy of a Loop body with its parameters retyped to `types` and its iteration number
    replaced by the constant `iteration`: shapes inside that depend on the iteration number
    (a Slice at it, say) become static."""
    return body_with_values(body, types, {0: np.array(iteration, np.int64)})


def body_with_values(body, types: list[TensorType], values: dict[int, np.ndarray]):
    """A copy of a body with its parameters retyped to `types`, and the parameters at the
    indices of `values` replaced by those constants (they stay in the parameter list, unused),
    every node's types inferred again."""
    from vinify.ir import Graph, Node, constant, parameter

    mapping: dict[int, object] = {}
    params = []
    for index, (value, kind) in enumerate(zip(body.inputs, types)):
        fresh = parameter(value.name or "param", kind.element_type, kind.shape)
        params.append(fresh)
        known = values.get(index)
        mapping[id(value)] = fresh.outputs[0] if known is None else constant(
            np.asarray(known, kind.element_type.dtype)).outputs[0]
    for inner in body.nodes():
        if inner.op.name in ("Parameter", "Result"):
            continue
        copy = Node(getattr(inner.op, "unbound_op", inner.op), [mapping[id(v)] for v in
                                                                inner.inputs],
                    dict(inner.attrs), name=inner.name, bodies=inner.bodies,
                    output_names=[v.name for v in inner.outputs])
        for old, new in zip(inner.outputs, copy.outputs):
            mapping[id(old)] = new
    return Graph(params, [mapping[id(v)] for v in body.outputs])


def shape_like_constants(arrays: dict[int, np.ndarray | None]) -> dict[int, np.ndarray]:
    """The small integer arrays among `arrays` (shapes, axes, sizes): the invariant inputs worth
    substituting into a body so that the shapes they decide become static."""
    return {index: array for index, array in arrays.items() if array is not None
            and np.asarray(array).dtype.kind in "iub" and np.asarray(array).size <= 64}


def static_trip_count(ctx_or_values, body) -> int | None:
    """How many times a Loop runs when that is known before it runs: the trip count and the
    initial condition are constants and the body passes its condition through unchanged (or
    makes it a constant true). None otherwise, or beyond STATIC_TRIP_LIMIT."""
    from vinify.ir import constant_value

    trips, condition = ctx_or_values
    if trips is None or condition is None:
        return None
    result = body.outputs[0]
    passes_through = result is body.inputs[1]
    stays_true = constant_value(result) is not None and bool(
        np.asarray(constant_value(result)).reshape(-1)[0])
    if not (passes_through or stays_true):
        return None
    count = int(np.asarray(trips).reshape(-1)[0]) if bool(
        np.asarray(condition).reshape(-1)[0]) else 0
    return max(count, 0) if count <= STATIC_TRIP_LIMIT else None


def _unrolled_types(ctx: InferContext, body, iterations: int) -> list[TensorType] | None:
    """The Loop's output types from inferring the body once per iteration (None: not static,
    or the body does not infer with a constant iteration number)."""
    carried = ctx.attrs["num_carried"]
    state = list(ctx.input_types[2:2 + carried])
    invariant = list(ctx.input_types[2 + carried:])
    scans = None
    head = [TensorType(i64, PartialShape(())), TensorType(boolean, PartialShape(()))]
    try:
        for iteration in range(iterations):
            outputs = body_for_iteration(body, iteration, head + state + invariant).outputs
            state = [v.type for v in outputs[1:1 + carried]]
            step = [v.type for v in outputs[1 + carried:]]
            scans = step if scans is None else [merge_types(ctx, a, b)
                                                for a, b in zip(scans, step)]
    except Exception:  # an iteration the body cannot infer: leave the shapes dynamic
        return None
    if scans is None or any(t.element_type.kind == "optional" for t in state):
        return None
    stacked = [TensorType(t.element_type, PartialShape((Dimension.of(iterations),)
                                                       + t.shape.dims))
               for t in scans if t.shape.dims is not None]
    if len(stacked) != len(scans) or not all(t.shape.is_static for t in state + stacked):
        return None
    return state + stacked


@register
class Loop(Op):
    name, version = "Loop", 5
    num_inputs = (2, None)
    attributes = (Attr("num_carried", "int", 0), Attr("num_scan_outputs", "int", 0))

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return attrs["num_carried"] + attrs["num_scan_outputs"]

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        (body,) = node_bodies(ctx, 1)
        carried, scans = ctx.attrs["num_carried"], ctx.attrs["num_scan_outputs"]
        if len(body.outputs) != 1 + carried + scans:
            raise ctx.error(f"body has {len(body.outputs)} results, expected "
                            f"1 + {carried} + {scans}")
        if len(body.parameters) != len(ctx.input_types):
            raise ctx.error(f"body has {len(body.parameters)} parameters for "
                            f"{len(ctx.input_types)} inputs")
        types = [_carried_type(ctx, ctx.input_types[2 + i], body.outputs[1 + i].type)
                 for i in range(carried)]
        for value in body.outputs[1 + carried:]:
            dims = value.shape.dims
            shape = DYNAMIC_RANK if dims is None else PartialShape((DYNAMIC,) + dims)
            types.append(TensorType(value.element_type, shape))
        iterations = static_trip_count((ctx.const(0), ctx.const(1)), body)
        if iterations:
            return _unrolled_types(ctx, body, iterations) or types
        return types

    @classmethod
    def evaluate(cls, attrs: dict, trip_count: np.ndarray, condition: np.ndarray,
                 *inputs: np.ndarray):
        (body,) = bound_bodies(cls, 1)
        count = attrs["num_carried"]
        carried, invariant = list(inputs[:count]), list(inputs[count:])
        trips = int(np.asarray(trip_count).reshape(-1)[0])
        keep_going = bool(np.asarray(condition).reshape(-1)[0])
        scans: list[list[np.ndarray]] = [[] for _ in range(attrs["num_scan_outputs"])]
        finals = list(carried)
        order = execution_order(body)
        iteration = 0
        while iteration < trips and keep_going:
            results = run_body(body, [np.array(iteration, np.int64), np.array(keep_going),
                                       *carried, *invariant], order)
            keep_going = bool(np.asarray(results[0]).reshape(-1)[0])
            finals = list(results[1:1 + count])
            carried = [_as_parameter(body.parameters[2 + i], body.outputs[1 + i], value)
                       for i, value in enumerate(finals)]
            for parts, array in zip(scans, results[1 + count:]):
                parts.append(array)
            iteration += 1
        templates = body.outputs[1 + count:]
        return tuple(finals) + tuple(_stacked(p, v.type) for p, v in zip(scans, templates))


@register
class TensorIterator(Op):
    name, version = "TensorIterator", 1
    num_inputs = (0, None)
    attributes = (Attr("num_state", "int", 0), Attr("scan_input_axes", "ints", ()),
                  Attr("scan_input_directions", "ints", ()), Attr("scan_output_axes", "ints", ()),
                  Attr("scan_output_directions", "ints", ()))

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return attrs["num_state"] + len(attrs["scan_output_axes"])

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        (body,) = node_bodies(ctx, 1)
        state, outputs = ctx.attrs["num_state"], ctx.attrs["scan_output_axes"]
        if len(body.outputs) != state + len(outputs):
            raise ctx.error(f"body has {len(body.outputs)} results, expected "
                            f"{state} + {len(outputs)}")
        results = cls._body_results(ctx, body)
        types = [merge_types(ctx, ctx.input_types[i], results[i].type) for i in range(state)]
        length = cls._sequence_length(ctx)
        for value, axis in zip(results[state:], outputs):
            if value.shape.dims is None:
                types.append(TensorType(value.element_type, DYNAMIC_RANK))
                continue
            dims = list(value.shape.dims)
            dims.insert(axis % (len(dims) + 1), length)
            types.append(TensorType(value.element_type, PartialShape(tuple(dims))))
        return types

    @classmethod
    def _body_results(cls, ctx: InferContext, body) -> list:
        """The body's results; when some of them have dynamic shapes and invariant inputs are
        small constants (a shape passed into the body), those of a body copy that reads the
        constants, whose shapes they may make static."""
        if all(v.shape.is_static for v in body.outputs):
            return body.outputs
        first = ctx.attrs["num_state"] + len(ctx.attrs["scan_input_axes"])
        known = shape_like_constants({i: ctx.const(i) for i in range(first,
                                                                     len(ctx.input_types))})
        if not known:
            return body.outputs
        try:
            return body_with_values(body, [v.type for v in body.inputs], known).outputs
        except Exception:  # the body does not infer with these values: keep its own types
            return body.outputs

    @classmethod
    def _sequence_length(cls, ctx: InferContext):
        state = ctx.attrs["num_state"]
        for index, axis in enumerate(ctx.attrs["scan_input_axes"]):
            shape = ctx.shape(state + index)
            if shape.rank_is_static:
                return shape.dims[axis % shape.rank]
        return DYNAMIC

    @classmethod
    def evaluate(cls, attrs: dict, *inputs: np.ndarray):
        (body,) = bound_bodies(cls, 1)
        state_count = attrs["num_state"]
        axes, directions = attrs["scan_input_axes"], attrs["scan_input_directions"]
        state = list(inputs[:state_count])
        sequences = list(inputs[state_count:state_count + len(axes)])
        invariant = list(inputs[state_count + len(axes):])
        length = sequences[0].shape[axes[0] % sequences[0].ndim] if sequences else 0
        scans: list[list[np.ndarray]] = [[] for _ in attrs["scan_output_axes"]]
        order = execution_order(body)
        for step in range(length):
            slices = [np.take(seq, length - 1 - step if (directions[i] if i < len(directions)
                                                         else 0) else step,
                              axis=axes[i] % seq.ndim) for i, seq in enumerate(sequences)]
            results = run_body(body, [*state, *slices, *invariant], order)
            state = list(results[:state_count])
            for parts, array in zip(scans, results[state_count:]):
                parts.append(array)
        templates = body.outputs[state_count:]
        out_directions = list(attrs["scan_output_directions"]) + [0] * len(scans)
        return tuple(state) + tuple(
            _stacked(parts, value.type, axis, bool(out_directions[k]))
            for k, (parts, value, axis) in enumerate(zip(scans, templates,
                                                         attrs["scan_output_axes"])))


__all__ = ["If", "Loop", "TensorIterator", "with_bodies", "merge_types", "boolean", "i64"]
