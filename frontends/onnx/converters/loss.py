"""NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss onto vinify's internal loss ops."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter


def _loss(ctx: NodeContext, op_name: str):
    inputs = [v for v in ctx.inputs()[:3] if v is not None]
    return ctx.make(op_name, 1, *inputs, reduction=ctx.attr("reduction", "mean"),
                    ignore_index=ctx.attr("ignore_index", 0),
                    has_ignore_index=ctx.has_attr("ignore_index"))


@converter("NegativeLogLikelihoodLoss", since=12)
def negative_log_likelihood_loss(ctx: NodeContext):
    return _loss(ctx, "NegativeLogLikelihoodLoss")


@converter("SoftmaxCrossEntropyLoss", since=12)
def softmax_cross_entropy_loss(ctx: NodeContext):
    return list(_loss(ctx, "SoftmaxCrossEntropyLoss").outputs)
