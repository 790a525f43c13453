"""Fused ops (domain "vinify"): a convolution or matmul with its bias, residual and activation.

They exist so a device can run `act(conv(x, W) + bias + residual)` as one kernel; the fusion pass
(vinify.passes fuse-conv-bias-activation) creates them. Each one's numpy reference composes the
references of the ops it replaces, so an optimized graph still runs on TEMPLATE with the same
numbers. Inputs: data, weights, bias (1-D, one per output channel), and an optional residual of
the output's type. The activation is named by `activation`; its parameters are
`activation_alpha` / `activation_beta` (Clamp: min / max, Elu: alpha, Swish: beta).
"""

from typing import Any

import numpy as np
from vinify.op import Attr, InferContext, Op, lookup_op, register
from vinify.ops.convolution import Convolution, GroupConvolution
from vinify.ops.matmul import MatMul
from vinify.shapes import TensorType

# activation name -> (op name, version, attributes from (alpha, beta), extra inputs)
ACTIVATIONS: dict[str, tuple[str, int, Any, Any]] = {
    "Relu": ("Relu", 1, lambda a, b: {}, lambda a, b: ()),
    "Sigmoid": ("Sigmoid", 1, lambda a, b: {}, lambda a, b: ()),
    "Tanh": ("Tanh", 1, lambda a, b: {}, lambda a, b: ()),
    "Clamp": ("Clamp", 1, lambda a, b: {"min": a, "max": b}, lambda a, b: ()),
    "Elu": ("Elu", 1, lambda a, b: {"alpha": a}, lambda a, b: ()),
    "Swish": ("Swish", 4, lambda a, b: {}, lambda a, b: (np.float32(a),)),
    "HSwish": ("HSwish", 4, lambda a, b: {}, lambda a, b: ()),
    "HSigmoid": ("HSigmoid", 5, lambda a, b: {}, lambda a, b: ()),
    "Mish": ("Mish", 4, lambda a, b: {}, lambda a, b: ()),
    "SoftPlus": ("SoftPlus", 4, lambda a, b: {}, lambda a, b: ()),
    "Gelu": ("Gelu", 7, lambda a, b: {"approximation_mode": "ERF"}, lambda a, b: ()),
    "GeluTanh": ("Gelu", 7, lambda a, b: {"approximation_mode": "TANH"}, lambda a, b: ()),
}

ACTIVATION_ATTRS = (
    Attr("activation", "str", "none", ("none",) + tuple(ACTIVATIONS)),
    Attr("activation_alpha", "float", 0.0),
    Attr("activation_beta", "float", 0.0),
)


def apply_activation(attrs: dict, x: np.ndarray) -> np.ndarray:
    """The named activation applied with its op's own numpy reference."""
    name = attrs["activation"]
    if name == "none":
        return x
    op_name, version, make_attrs, make_extra = ACTIVATIONS[name]
    alpha, beta = attrs["activation_alpha"], attrs["activation_beta"]
    op = lookup_op(op_name, version)
    extra = [np.asarray(e, dtype=x.dtype) for e in make_extra(alpha, beta)]
    complete = op.complete_attrs(make_attrs(alpha, beta), f"fused activation {name}")
    return np.asarray(op.evaluate(complete, x, *extra), dtype=x.dtype)


class _BaseInputs(InferContext):
    """The fused node's context narrowed to the base op: its first two inputs, its attributes."""

    def __init__(self, ctx: InferContext, base: type[Op]):
        self.node = ctx.node
        self.attrs = {a.name: ctx.attrs[a.name] for a in base.attributes}
        self.input_types = ctx.input_types[:2]


class FusedBase(Op):
    """base(data, weights) + bias [+ residual], then the activation."""

    domain = "vinify"
    num_inputs = (3, 4)
    base_op: type[Op] = Convolution
    channel_axis: int = 1

    @classmethod
    def base(cls) -> type[Op]:
        return cls.base_op

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        [output] = cls.base().infer(_BaseInputs(ctx, cls.base()))
        if ctx.element_type(2) != output.element_type:
            raise ctx.error(f"bias is {ctx.input_types[2]}, output is {output}")
        bias = ctx.shape(2)
        if bias.rank_is_static and bias.rank != 1:
            raise ctx.error(f"bias must be 1-D (one value per output channel), got {bias}")
        if output.shape.rank_is_static and bias.rank_is_static and \
                not bias[0].compatible(output.shape[cls.channel_axis]):
            raise ctx.error(f"bias {bias} does not match the channels of output {output}")
        if len(ctx.input_types) == 4 and not ctx.input_types[3].compatible(output):
            raise ctx.error(f"residual {ctx.input_types[3]} differs from output {output}")
        return [output]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, w: np.ndarray, bias: np.ndarray,
                 *residual: np.ndarray) -> np.ndarray:
        base = cls.base()
        out = base.evaluate({a.name: attrs[a.name] for a in base.attributes}, x, w)
        out = np.asarray(out, dtype=x.dtype)
        shape = [1] * out.ndim
        shape[cls.channel_axis] = -1
        out = out + bias.reshape(shape)
        if residual:
            out = out + residual[0]
        return apply_activation(attrs, out.astype(x.dtype))


@register
class FusedConvolution(FusedBase):
    """act(Convolution<1>(data, weights) + bias[C] [+ residual])."""

    name, version = "FusedConvolution", 1
    base_op = Convolution
    attributes = Convolution.attributes + ACTIVATION_ATTRS


@register
class FusedGroupConvolution(FusedBase):
    """act(GroupConvolution<1>(data, weights) + bias[C] [+ residual])."""

    name, version = "FusedGroupConvolution", 1
    base_op = GroupConvolution
    attributes = GroupConvolution.attributes + ACTIVATION_ATTRS


@register
class FusedMatMul(FusedBase):
    """act(MatMul<1>(a, b) + bias[N] [+ residual]); the bias runs along the last axis."""

    name, version = "FusedMatMul", 1
    base_op = MatMul
    channel_axis = -1
    attributes = MatMul.attributes + ACTIVATION_ATTRS
