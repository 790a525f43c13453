"""BatchNormInference folding: batch norms become per-channel affine ops folded into weights.

Two passes. `decompose-batch-norm` turns an inference batch norm with constant statistics into
the affine map it is:

    %y = BatchNormInference<5>(%x, %gamma, %beta, %mean, %var) {epsilon=0.001} : f32[1,8,4,4]
  becomes
    %0 = Multiply<1>(%x, scale) ; %y = Add<1>(%0, shift)     scale = gamma / sqrt(var + eps)
                                                             shift = beta - mean * scale
    (scale and shift are constants shaped [C,1,1] to broadcast over the channel axis)

`fold-affine-into-weights` then moves constant per-channel scales into the weights of the
producer and merges constant chains (the ONNX-style Mul/Add layers after a BatchNormalization):

    Multiply(Convolution(x, W), c)   ->  Convolution(x, W * c)   (also GroupConvolution, MatMul)
    Multiply(Add(y, b), c)           ->  Add(Multiply(y, c), b * c)
    Multiply(Multiply(y, a), c)      ->  Multiply(y, a * c)
    Add(Add(y, a), b)                ->  Add(y, a + b)
"""

from dataclasses import dataclass

import numpy as np
from vinify.ir import Graph, Value, constant, make
from vinify.passes.pass_manager import Pass, register_pass
from vinify.passes.pattern import Match, any_value, op
from vinify.passes.pattern import constant as constant_pattern
from vinify.passes.rewriter import Rewrite, apply_rewrites

# input positions of (data, gamma, beta, mean, variance) per BatchNormInference version
_BATCH_NORM_INPUTS = {1: (2, 0, 1, 3, 4), 5: (0, 1, 2, 3, 4)}


def _decompose(match: Match) -> Value | None:
    node = match.root
    order = _BATCH_NORM_INPUTS.get(node.op.version)
    if order is None:
        return None
    data, *statistics = (node.inputs[i] for i in order)
    arrays = [_constant_array(value) for value in statistics]
    if any(array is None for array in arrays) or not data.shape.rank_is_static:
        return None
    if data.shape.rank < 2 or not data.element_type.is_float:
        return None
    gamma, beta, mean, variance = (a.astype(np.float64) for a in arrays)
    scale = gamma / np.sqrt(variance + node.attrs["epsilon"])
    shift = beta - mean * scale
    channel_shape = (-1,) + (1,) * (data.shape.rank - 2)
    dtype = data.element_type.dtype
    scaled = make("Multiply", 1, [data, constant(scale.reshape(channel_shape).astype(dtype))])
    return make("Add", 1, [scaled, constant(shift.reshape(channel_shape).astype(dtype))]).outputs[0]


def _constant_array(value: Value) -> np.ndarray | None:
    return value.node.attrs["value"] if value.node.op.name == "Constant" else None


def _channel_vector(array: np.ndarray, rank: int, axis: int, channels: int) -> np.ndarray | None:
    """`array` as a length-`channels` vector if it varies only along `axis` of a rank-`rank`
    broadcast; None otherwise."""
    if array.ndim > rank:
        return None
    padded = array.reshape((1,) * (rank - array.ndim) + array.shape)
    for index, length in enumerate(padded.shape):
        if length != 1 and not (index == axis and length == channels):
            return None
    target = [1] * rank
    target[axis] = channels
    return np.broadcast_to(padded, target).reshape(channels)


def _scaled_weights(node, weights: np.ndarray, scale: np.ndarray) -> np.ndarray | None:
    output = node.outputs[0]
    if not output.shape.rank_is_static:
        return None
    rank = output.shape.rank
    if node.op.name in ("Convolution", "GroupConvolution"):
        channels = weights.shape[0] * (weights.shape[1] if node.op.name == "GroupConvolution"
                                       else 1)
        vector = _channel_vector(scale, rank, 1, channels)
        if vector is None:
            return None
        lead = 2 if node.op.name == "GroupConvolution" else 1
        shaped = vector.reshape(weights.shape[:lead] + (1,) * (weights.ndim - lead))
        return (weights * shaped).astype(weights.dtype)
    if weights.ndim != 2 or rank < 1:
        return None
    transposed = node.attrs["transpose_b"]
    vector = _channel_vector(scale, rank, rank - 1, weights.shape[0 if transposed else 1])
    if vector is None:
        return None
    shaped = vector[:, None] if transposed else vector[None, :]
    return (weights * shaped).astype(weights.dtype)


def _fold_scale_into_weights(match: Match) -> Value | None:
    producer = match.node("y")
    weights = _constant_array(producer.inputs[1])
    if weights is None:
        return None
    scaled = _scaled_weights(producer, weights, match.const("c"))
    if scaled is None:
        return None
    new = make(producer.op.name, producer.op.version, [producer.inputs[0], constant(scaled)],
               **producer.attrs)
    return _if_same_type(match, new.outputs[0])


def _if_same_type(match: Match, new: Value) -> Value | None:
    return new if new.type == match.root.outputs[0].type else None


def _distribute_scale(match: Match) -> Value | None:
    shift = (match.const("b") * match.const("c")).astype(match.const("b").dtype)
    scaled = make("Multiply", 1, [match["y"], constant(match.const("c"))])
    return _if_same_type(match, make("Add", 1, [scaled, constant(shift)]).outputs[0])


def _merge_constants(match: Match) -> Value | None:
    first, second = match.const("a"), match.const("c")
    combined = (first * second) if match.root.op.name == "Multiply" else (first + second)
    combined = combined.astype(first.dtype)
    new = make(match.root.op.name, 1, [match["y"], constant(combined)])
    return _if_same_type(match, new.outputs[0])


def affine_rewrites() -> list[Rewrite]:
    y, c = any_value("y"), constant_pattern("c")
    producer = op(("Convolution", "GroupConvolution", "MatMul"), any_value("x"),
                  constant_pattern(), single_use=True, capture="y")
    add = op("Add", y, constant_pattern("b"), commutative=True, single_use=True)
    inner_mul = op("Multiply", y, constant_pattern("a"), commutative=True, single_use=True)
    inner_add = op("Add", y, constant_pattern("a"), commutative=True, single_use=True)
    return [
        Rewrite("scale-into-weights", op("Multiply", producer, c, commutative=True),
                _fold_scale_into_weights),
        Rewrite("distribute-scale", op("Multiply", add, c, commutative=True), _distribute_scale),
        Rewrite("merge-scales", op("Multiply", inner_mul, c, commutative=True), _merge_constants),
        Rewrite("merge-shifts", op("Add", inner_add, c, commutative=True), _merge_constants),
    ]


@register_pass
@dataclass(frozen=True)
class DecomposeBatchNorm(Pass):
    name = "decompose-batch-norm"

    def run(self, graph: Graph) -> None:
        apply_rewrites(graph, [Rewrite("batch-norm", op("BatchNormInference"), _decompose)])


@register_pass
@dataclass(frozen=True)
class FoldAffineIntoWeights(Pass):
    name = "fold-affine-into-weights"

    def run(self, graph: Graph) -> None:
        apply_rewrites(graph, affine_rewrites())
