"""If, Loop and Scan onto If<8>, Loop<5> and TensorIterator<1> with body graphs.

A body that reads values of the enclosing graph gets them as extra parameters (captures, see
importer.GraphScope); the converter feeds them as extra node inputs after the formal ones.
"""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.importer import Body
from vinify.frontends.onnx.registry import converter
from vinify.frontends.onnx.types import shape_of
from vinify.ir import Graph, Node, Value, parameter
from vinify.op import lookup_op
from vinify.ops.control_flow import with_bodies
from vinify.shapes import DYNAMIC_RANK, PartialShape, TensorType
from vinify.types import boolean, i64


def make_with_bodies(ctx: NodeContext, op_name: str, version: int, inputs: list[Value],
                      bodies: list, **attrs) -> Node:
    op = with_bodies(lookup_op(op_name, version), [b.graph for b in bodies])
    node = Node(op, inputs, attrs, name=ctx.name, bodies=[b.graph for b in bodies])
    ctx.created.append(node)
    return node


def _convert_body(ctx: NodeContext, name: str, input_types: list[TensorType]):
    return ctx.importer.convert_body(ctx.attr(name), ctx.scope, input_types)


@converter("If", since=1)
def if_(ctx: NodeContext):
    cond = ctx.input(0)
    known = ctx.const_value(cond)
    if known is not None:  # a constant condition converts only the branch taken: the other
        # may be invalid for these shapes (ONNX never runs it), e.g. a 3-D Split in a 2-D case
        taken = "then_branch" if bool(np.asarray(known).reshape(-1)[0]) else "else_branch"
        return _inline_body(ctx, _convert_body(ctx, taken, []))
    then_body = _convert_body(ctx, "then_branch", [])
    else_body = _convert_body(ctx, "else_branch", [])
    inputs = [cond]
    then_inputs = list(range(1, 1 + len(then_body.captured_outer)))
    inputs += then_body.captured_outer
    else_inputs = list(range(len(inputs), len(inputs) + len(else_body.captured_outer)))
    inputs += else_body.captured_outer
    count = len(then_body.graph.outputs)
    if len(else_body.graph.outputs) != count:
        raise ctx.error(f"then_branch has {count} outputs, else_branch "
                        f"{len(else_body.graph.outputs)}")
    node = make_with_bodies(ctx, "If", 8, inputs, [then_body, else_body],
                             then_inputs=then_inputs, else_inputs=else_inputs,
                             then_outputs=list(range(count)), else_outputs=list(range(count)))
    return list(node.outputs)


def _inline_body(ctx: NodeContext, body) -> list[Value]:
    """The body's results with its parameters replaced by the outer values they capture."""
    for param, outer in zip(body.graph.parameters, body.captured_outer):
        param.outputs[0].replace_all_uses_with(outer)
    results = []
    for result, value in zip(body.graph.results, body.graph.outputs):
        result.drop()
        results.append(_outer_value(body, value))
    return results


def _outer_value(body, value: Value) -> Value:
    for param, outer in zip(body.graph.parameters, body.captured_outer):
        if value is param.outputs[0]:
            return outer
    return value


def _declared_type(info, like: TensorType | None) -> TensorType:
    """A body input's type: the element type of the value feeding it, the shape it declares."""
    declared = shape_of(info.type) if info.type.HasField("tensor_type") else DYNAMIC_RANK
    elem = like.element_type if like is not None else None
    return TensorType(elem, declared)


@converter("Loop", since=1)
def loop(ctx: NodeContext):
    graph = ctx.attr("body")
    trip_count = ctx.optional_input(0)
    condition = ctx.optional_input(1)
    initial = [ctx.input(i) for i in range(2, ctx.num_inputs)]
    if trip_count is None:
        trip_count = ctx.const(np.array(np.iinfo(np.int64).max, np.int64))
    if condition is None:
        condition = ctx.const(np.array(True))
    types = [TensorType(i64, PartialShape(())), TensorType(boolean, PartialShape(()))]
    types += [_declared_type(info, value.type) for info, value in
              zip(graph.input[2:], initial)]
    body = ctx.importer.convert_body(graph, ctx.scope, types)
    carried = len(initial)
    scans = len(body.graph.outputs) - 1 - carried
    inputs = [trip_count, condition, *initial, *body.captured_outer]
    node = make_with_bodies(ctx, "Loop", 5, inputs, [body], num_carried=carried,
                             num_scan_outputs=scans)
    return list(node.outputs)


def _slice_type(value: Value, axis: int) -> TensorType:
    if not value.shape.rank_is_static:
        return TensorType(value.element_type, DYNAMIC_RANK)
    dims = list(value.shape.dims)
    del dims[axis % len(dims)]
    return TensorType(value.element_type, PartialShape(tuple(dims)))


@converter("Scan", since=9)
def scan(ctx: NodeContext):
    graph = ctx.attr("body")
    scan_count = ctx.attr("num_scan_inputs")
    values = [ctx.input(i) for i in range(ctx.num_inputs)]
    state, sequences = values[:len(values) - scan_count], values[len(values) - scan_count:]
    axes = ctx.attr("scan_input_axes", [0] * scan_count)
    directions = ctx.attr("scan_input_directions", [0] * scan_count)
    types = [v.type for v in state] + [_slice_type(v, a) for v, a in zip(sequences, axes)]
    body = ctx.importer.convert_body(graph, ctx.scope, types)
    output_count = len(body.graph.outputs) - len(state)
    output_axes = ctx.attr("scan_output_axes", [0] * output_count)
    output_directions = ctx.attr("scan_output_directions", [0] * output_count)
    inputs = [*state, *sequences, *body.captured_outer]
    node = make_with_bodies(ctx, "TensorIterator", 1, inputs, [body], num_state=len(state),
                             scan_input_axes=axes, scan_input_directions=directions,
                             scan_output_axes=output_axes,
                             scan_output_directions=output_directions)
    return list(node.outputs)


def _without_batch(value: Value) -> TensorType:
    return _slice_type(value, 0)


def _without_batch_and_step(value: Value) -> TensorType:
    shape = _without_batch(value).shape
    dims = None if shape.dims is None else shape.dims[1:]
    return TensorType(value.element_type, PartialShape(dims))


@converter("Scan", since=8, until=8)
def scan_batched(ctx: NodeContext):
    """Scan-8: axis 0 of every input is a batch and sequences run along axis 1. It becomes a
    TensorIterator over the batch whose body is a TensorIterator over the sequence."""
    if ctx.optional_input(0) is not None:
        raise ctx.error("sequence_lens (variable-length batches) is not supported")
    scan_count = ctx.attr("num_scan_inputs")
    values = [ctx.input(i) for i in range(1, ctx.num_inputs)]
    state, sequences = values[:len(values) - scan_count], values[len(values) - scan_count:]
    step_types = [_without_batch(v) for v in state] + \
        [_without_batch_and_step(v) for v in sequences]
    inner = ctx.importer.convert_body(ctx.attr("body"), ctx.scope, step_types)
    outer_params = [parameter(f"{ctx.name}/batch_{i}", t.element_type, t.shape)
                    for i, t in enumerate([_without_batch(v) for v in values] +
                                          [v.type for v in inner.captured_outer])]
    directions = ctx.attr("directions", [0] * scan_count)
    per_batch = make_with_bodies(
        ctx, "TensorIterator", 1, [p.outputs[0] for p in outer_params], [inner],
        num_state=len(state), scan_input_axes=[0] * scan_count, scan_input_directions=directions,
        scan_output_axes=[0] * (len(inner.graph.outputs) - len(state)),
        scan_output_directions=[0] * (len(inner.graph.outputs) - len(state)))
    outer = Body(Graph(outer_params, list(per_batch.outputs), name=f"{ctx.name}/batch"),
                 outer_params)
    count = len(per_batch.outputs)
    node = make_with_bodies(ctx, "TensorIterator", 1, values + inner.captured_outer, [outer],
                            num_state=0, scan_input_axes=[0] * len(values),
                            scan_input_directions=[0] * len(values),
                            scan_output_axes=[0] * count, scan_output_directions=[0] * count)
    return list(node.outputs)
