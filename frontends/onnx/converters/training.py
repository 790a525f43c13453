"""ONNX preview-training ops: the optimizers (Adagrad, Momentum, Adam) onto internal vinify
ops, and Gradient by reverse-mode differentiation of elementwise arithmetic."""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter
from vinify.ir import Node, Value

TRAINING = "ai.onnx.preview.training"


def _step(ctx: NodeContext, op_name: str, names: tuple[str, ...]):
    attrs = {name: ctx.attr(name) for name in names if ctx.has_attr(name)}
    node = ctx.make(op_name, 1, *[v for v in ctx.inputs() if v is not None], **attrs)
    return list(node.outputs)


@converter("Adagrad", since=1, domain=TRAINING)
def adagrad(ctx: NodeContext):
    return _step(ctx, "Adagrad", ("decay_factor", "epsilon", "norm_coefficient"))


@converter("Momentum", since=1, domain=TRAINING)
def momentum(ctx: NodeContext):
    return _step(ctx, "Momentum", ("alpha", "beta", "mode", "norm_coefficient"))


@converter("Adam", since=1, domain=TRAINING)
def adam(ctx: NodeContext):
    return _step(ctx, "Adam", ("alpha", "beta", "epsilon", "norm_coefficient",
                               "norm_coefficient_post"))


def _reverse_topological(root: Node) -> list[Node]:
    """Nodes that `root` depends on, each after all of its users (root first)."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((value.node, False) for value in node.inputs)
    return order[::-1]


def _vector_jacobian(ctx: NodeContext, node: Node, grad: Value) -> list[Value]:
    """The gradient reaching each input of an elementwise node from its output's gradient."""
    inputs = node.inputs
    if len(inputs) == 2 and inputs[0].shape != inputs[1].shape:
        raise ctx.error(f"Gradient through broadcasting {node.describe()} is not supported")
    name = node.op.name
    if name == "Add":
        return [grad, grad]
    if name == "Subtract":
        return [grad, ctx.make("Negative", 1, grad).outputs[0]]
    if name == "Multiply":
        return [ctx.make("Multiply", 1, grad, inputs[1]).outputs[0],
                ctx.make("Multiply", 1, grad, inputs[0]).outputs[0]]
    if name == "Divide":
        quotient = ctx.make("Divide", 1, grad, inputs[1]).outputs[0]
        ratio = ctx.make("Divide", 1, node.outputs[0], inputs[1])
        return [quotient, ctx.make("Negative", 1, ctx.make("Multiply", 1, grad, ratio)).outputs[0]]
    if name == "Negative":
        return [ctx.make("Negative", 1, grad).outputs[0]]
    raise ctx.error(f"Gradient through {node.describe()} is not supported (elementwise "
                    "Add/Sub/Mul/Div/Neg only)")


@converter("Gradient", since=1, domain=TRAINING)
def gradient(ctx: NodeContext):
    """Reverse-mode gradients of `y` (seeded with ones) with respect to `xs`."""
    y = ctx.scope.lookup(ctx.attr("y"))
    xs = [ctx.scope.lookup(name) for name in ctx.attr("xs")]
    if not isinstance(y, Value) or any(not isinstance(x, Value) for x in xs):
        raise ctx.error("y and xs must name tensors of the graph")
    if not y.shape.is_static:
        raise ctx.error("Gradient needs y of a static shape")
    grads: dict[int, Value] = {id(y): ctx.const(np.ones(y.shape.to_tuple(),
                                                        y.element_type.dtype))}
    for node in _reverse_topological(y.node):
        grad = grads.get(id(node.outputs[0]))
        if grad is None or not node.inputs:
            continue
        for value, part in zip(node.inputs, _vector_jacobian(ctx, node, grad)):
            previous = grads.get(id(value))
            grads[id(value)] = part if previous is None else \
                ctx.make("Add", 1, previous, part).outputs[0]
    return [grads.get(id(x)) or ctx.const(np.zeros(x.shape.to_tuple(), x.element_type.dtype))
            for x in xs]
