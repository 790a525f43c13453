"""Internal ops (domain "vinify") for the ONNX training losses NegativeLogLikelihoodLoss and
SoftmaxCrossEntropyLoss, which have no OpenVINO op."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import PartialShape, TensorType

_LOSS_ATTRIBUTES = (
    Attr("reduction", "str", "mean", ("none", "sum", "mean")),
    Attr("ignore_index", "int", 0), Attr("has_ignore_index", "bool", False),
)


def _loss_type(ctx: InferContext) -> TensorType:
    if not ctx.element_type(0).is_float:
        raise ctx.error(f"input 0 must be floating point, got {ctx.element_type(0)}")
    if ctx.element_type(1).kind not in ("int", "uint"):
        raise ctx.error(f"the targets must be integers, got {ctx.element_type(1)}")
    shape = ctx.shape(1) if ctx.attrs["reduction"] == "none" else PartialShape(())
    return TensorType(ctx.element_type(0), shape)


def negative_log_likelihood(attrs: dict, log_probabilities: np.ndarray, target: np.ndarray,
                            weight: np.ndarray | None = None) -> np.ndarray:
    """-log_probabilities[n, target[n, ...], ...] * weight[target], reduced as asked."""
    target = target.astype(np.int64)
    ignored = target == attrs["ignore_index"] if attrs["has_ignore_index"] else \
        np.zeros(target.shape, bool)
    classes = np.where(ignored, 0, target)
    picked = np.take_along_axis(log_probabilities.astype(np.float64),
                                np.expand_dims(classes, 1), axis=1).squeeze(1)
    weights = np.ones(target.shape) if weight is None else weight.astype(np.float64)[classes]
    weights = np.where(ignored, 0.0, weights)
    loss = -picked * weights
    if attrs["reduction"] == "none":
        return loss
    if attrs["reduction"] == "sum":
        return np.asarray(loss.sum())
    return np.asarray(loss.sum() / weights.sum())


@register
class NegativeLogLikelihoodLoss(Op):
    name, version, domain = "NegativeLogLikelihoodLoss", 1, "vinify"
    num_inputs = (2, 3)
    attributes = _LOSS_ATTRIBUTES

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [_loss_type(ctx)]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, target: np.ndarray, *weight: np.ndarray):
        return negative_log_likelihood(attrs, x, target, *weight)


@register
class SoftmaxCrossEntropyLoss(Op):
    """Log-softmax over axis 1, then the negative log likelihood; outputs (loss, log_prob)."""

    name, version, domain = "SoftmaxCrossEntropyLoss", 1, "vinify"
    num_inputs = (2, 3)
    attributes = _LOSS_ATTRIBUTES

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 2

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [_loss_type(ctx), ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, scores: np.ndarray, labels: np.ndarray, *weight: np.ndarray):
        wide = scores.astype(np.float64)
        shifted = wide - wide.max(axis=1, keepdims=True)
        log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return negative_log_likelihood(attrs, log_probabilities, labels, *weight), \
            log_probabilities
