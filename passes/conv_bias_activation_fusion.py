"""Fusion of Convolution / GroupConvolution / MatMul with bias, residual Add and activation.

Three rewrites grow a fused op (compiler/ops/fused.py) one step at a time, to a fixpoint:

    Add(Convolution(x, W), b)        ->  FusedConvolution(x, W, b')            b' = b as [C]
    Add(Fused(x, W, b), r)           ->  FusedConvolution(x, W, b, r)          r: same type
    Relu(Fused(x, W, b[, r]))        ->  FusedConvolution(x, W, b[, r]) {activation="Relu"}

e.g. a ResNet block's tail

    %c = Convolution<1>(%x, %w) {...} : f32[1,8,4,4]
    %b = Add<1>(%c, %bias) : f32[1,8,4,4]          (%bias : f32[1,8,1,1])
    %s = Add<1>(%b, %shortcut) : f32[1,8,4,4]
    %y = Relu<1>(%s) : f32[1,8,4,4]
  becomes
    %y = FusedConvolution<1>(%x, %w, %bias8, %shortcut) {..., activation="Relu"} : f32[1,8,4,4]

A producer with more than one user is never fused (its value is needed on its own). Activation
without bias fuses with a zero bias.
"""

from dataclasses import dataclass, replace

import numpy as np
from vinify.ir import Graph, Node, Value, constant, make
from vinify.passes.batch_norm_folding import _channel_vector
from vinify.passes.graph_edit import float_attribute
from vinify.passes.pass_manager import Pass, register_pass
from vinify.passes.pattern import Match, any_value, op
from vinify.passes.pattern import constant as constant_pattern
from vinify.passes.rewriter import Rewrite, apply_rewrites

FUSED_OF = {"Convolution": "FusedConvolution", "GroupConvolution": "FusedGroupConvolution",
            "MatMul": "FusedMatMul"}
ACTIVATION_KEYS = ("activation", "activation_alpha", "activation_beta")


@dataclass(frozen=True)
class _Parts:
    """A fused op taken apart: base op inputs and attributes, bias, residual, activation."""

    fused_name: str
    data: Value
    weights: Value
    attrs: dict
    bias: Value | None = None
    residual: Value | None = None
    activation: tuple = ("none", 0.0, 0.0)

    @property
    def channel_axis(self) -> int:
        return -1 if self.fused_name == "FusedMatMul" else 1

    def build(self, like: Value) -> Value | None:
        bias = self.bias if self.bias is not None else _zero_bias(like, self.channel_axis)
        if bias is None:
            return None
        inputs = [self.data, self.weights, bias] + ([self.residual] if self.residual else [])
        activation = dict(zip(ACTIVATION_KEYS, self.activation))
        node = make(self.fused_name, 1, inputs, **self.attrs, **activation)
        return node.outputs[0] if node.outputs[0].type == like.type else None


def _parts(node: Node) -> _Parts:
    if node.op.name in FUSED_OF:
        return _Parts(FUSED_OF[node.op.name], node.inputs[0], node.inputs[1], dict(node.attrs))
    attrs = {k: v for k, v in node.attrs.items() if k not in ACTIVATION_KEYS}
    residual = node.inputs[3] if len(node.inputs) == 4 else None
    activation = tuple(node.attrs[k] for k in ACTIVATION_KEYS)
    return _Parts(node.op.name, node.inputs[0], node.inputs[1], attrs, node.inputs[2], residual,
                  activation)


def _zero_bias(like: Value, axis: int) -> Value | None:
    if not like.shape.rank_is_static or not like.shape[axis].is_static:
        return None
    channels = like.shape[axis].get_length()
    return constant(np.zeros(channels, like.element_type.dtype)).outputs[0]


def _fuse_bias(match: Match) -> Value | None:
    parts = _parts(match.node("y"))
    output = match["y"]
    if not output.shape.rank_is_static or not output.shape[parts.channel_axis].is_static:
        return None
    channels = output.shape[parts.channel_axis].get_length()
    axis = parts.channel_axis % output.shape.rank
    vector = _channel_vector(match.const("b"), output.shape.rank, axis, channels)
    if vector is None:
        return None
    bias = constant(np.ascontiguousarray(vector, dtype=output.element_type.dtype)).outputs[0]
    return replace(parts, bias=bias).build(match.root.outputs[0])


def _fuse_residual(match: Match) -> Value | None:
    parts = _parts(match.node("y"))
    residual = match["r"]
    if residual.node.op.name == "Constant" or residual.type != match["y"].type:
        return None
    return replace(parts, residual=residual).build(match.root.outputs[0])


def _activation_of(node: Node) -> tuple | None:
    name = node.op.name
    if name in ("Relu", "Sigmoid", "Tanh", "HSwish", "HSigmoid", "Mish", "SoftPlus"):
        return (name, 0.0, 0.0)
    if name == "Clamp":
        return ("Clamp", float(node.attrs["min"]), float(node.attrs["max"]))
    if name == "Elu":
        return ("Elu", float(node.attrs["alpha"]), 0.0)
    if name == "Gelu":
        tanh = node.attrs.get("approximation_mode", "ERF").upper() == "TANH"
        return ("GeluTanh" if tanh else "Gelu", 0.0, 0.0)
    if name == "Swish":
        return _swish(node)
    return None


def _swish(node: Node) -> tuple | None:
    if len(node.inputs) == 1:
        return ("Swish", 1.0, 0.0)
    beta = node.inputs[1]
    if beta.node.op.name != "Constant" or beta.node.attrs["value"].size != 1:
        return None
    return ("Swish", float_attribute(beta.node.attrs["value"]), 0.0)


def _fuse_activation(match: Match) -> Value | None:
    activation = _activation_of(match.root)
    if activation is None:
        return None
    return replace(_parts(match.node("y")), activation=activation).build(match.root.outputs[0])


def _no_activation(node: Node) -> bool:
    return node.op.name in FUSED_OF or node.attrs["activation"] == "none"


def _no_residual_or_activation(node: Node) -> bool:
    return node.op.name in FUSED_OF or (len(node.inputs) == 3 and _no_activation(node))


ACTIVATION_OPS = ("Relu", "Sigmoid", "Tanh", "Clamp", "Elu", "Swish", "HSwish", "HSigmoid",
                  "Mish", "SoftPlus", "Gelu")


def fusion_rewrites() -> list[Rewrite]:
    base = tuple(FUSED_OF)
    fused = tuple(FUSED_OF.values())
    bare = op(base, single_use=True, capture="y")
    open_fused = op(base + fused, single_use=True, capture="y", where=_no_residual_or_activation)
    any_fused = op(base + fused, single_use=True, capture="y", where=_no_activation)
    return [
        Rewrite("bias", op("Add", bare, constant_pattern("b"), commutative=True), _fuse_bias),
        Rewrite("residual", op("Add", open_fused, any_value("r"), commutative=True),
                _fuse_residual),
        Rewrite("activation", op(ACTIVATION_OPS, any_fused), _fuse_activation),
    ]


@register_pass
@dataclass(frozen=True)
class FuseConvBiasActivation(Pass):
    name = "fuse-conv-bias-activation"

    def run(self, graph: Graph) -> None:
        apply_rewrites(graph, fusion_rewrites())

