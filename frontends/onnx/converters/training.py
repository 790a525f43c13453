"""ONNX preview-training optimizers (Adagrad, Momentum, Adam) onto internal vinify ops."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter

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
