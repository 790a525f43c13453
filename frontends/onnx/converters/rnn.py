"""Recurrent converters: LSTM, GRU, RNN onto LSTMSequence-5, GRUSequence-5, RNNSequence-5.

ONNX is time-major ([seq, batch, input], layout=0) with states [num_directions, batch, hidden];
OpenVINO is batch-major with states [batch, num_directions, hidden]. ONNX LSTM gates are i,o,f,c
and OpenVINO's f,i,c,o; ONNX biases are Wb and Rb concatenated, OpenVINO's their sum (GRU with
linear_before_reset keeps the hidden gate's Rb apart).
"""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    concat,
    convert,
    dim_value,
    i64_const,
    reshape,
    scalar_like,
)
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import i32

_DIRECTIONS = {"forward": 1, "reverse": 1, "bidirectional": 2}


def _transpose(ctx: NodeContext, value: Value, order: list[int]) -> Value:
    return as_value(ctx.make("Transpose", 1, value, i64_const(ctx, order)))


def _chunks(ctx: NodeContext, value: Value, count: int) -> list[Value]:
    """`value` split into `count` equal parts along axis 1 (the gate axis)."""
    return list(ctx.make("Split", 1, value, i64_const(ctx, 1), num_splits=count).outputs)


def _join(ctx: NodeContext, parts: list[Value]) -> Value:
    return as_value(ctx.make("Concat", 1, *parts, axis=1))


class Recurrence:
    """The common inputs of an ONNX LSTM/GRU/RNN node in OpenVINO's layouts."""

    def __init__(self, ctx: NodeContext, gates: int):
        self.ctx = ctx
        self.gates = gates
        self.direction = ctx.attr("direction", "forward")
        if self.direction not in _DIRECTIONS:
            raise ctx.error(f"unknown direction '{self.direction}'")
        self.directions = _DIRECTIONS[self.direction]
        self.hidden = ctx.attr("hidden_size")
        self.batch_major = ctx.attr("layout", 0) == 1
        x = ctx.input(0)
        self.x = x if self.batch_major else _transpose(ctx, x, [1, 0, 2])
        self.w, self.r = ctx.input(1), ctx.input(2)

    def batch(self) -> Value:
        return dim_value(self.ctx, self.x, 0)

    def state(self, index: int) -> Value:
        """Initial state input `index` as [batch, dirs, hidden]; zeros when omitted."""
        ctx = self.ctx
        value = ctx.optional_input(index)
        if value is None:
            shape = concat(ctx, [reshape(ctx, self.batch(), [1]),
                                 i64_const(ctx, [self.directions, self.hidden])])
            return as_value(ctx.make("Broadcast", 3, scalar_like(ctx, 0, self.x), shape))
        return value if self.batch_major else _transpose(ctx, value, [1, 0, 2])

    def lengths(self) -> Value:
        ctx = self.ctx
        value = ctx.optional_input(4)
        if value is not None:
            return convert(ctx, value, i32)
        steps = convert(ctx, dim_value(ctx, self.x, 1), i32)
        return as_value(ctx.make("Broadcast", 3, steps, reshape(ctx, self.batch(), [1])))

    def bias_halves(self) -> tuple[Value, Value]:
        """(Wb, Rb), each [dirs, gates*hidden]; zeros when B is omitted."""
        ctx = self.ctx
        value = ctx.optional_input(3)
        if value is None:
            zeros = np.zeros((self.directions, self.gates * self.hidden),
                             self.x.element_type.dtype)
            return ctx.const(zeros), ctx.const(zeros)
        halves = _chunks(ctx, value, 2)
        return halves[0], halves[1]

    def activations(self, defaults: list[str]) -> dict:
        """activations/alpha/beta attributes; both directions must use the same functions."""
        ctx = self.ctx
        names = [n.lower() for n in ctx.attr("activations", defaults)]
        alpha, beta = ctx.attr("activation_alpha", []), ctx.attr("activation_beta", [])
        if self.directions == 2 and len(names) == 2 * len(defaults):
            if names[:len(defaults)] != names[len(defaults):]:
                raise ctx.error(f"different activations per direction {names} are not supported")
            names = names[:len(defaults)]
            alpha, beta = alpha[:len(alpha) // 2], beta[:len(beta) // 2]
        attrs = {"activations": names, "activations_alpha": alpha, "activations_beta": beta,
                 "hidden_size": self.hidden, "direction": self.direction}
        if ctx.has_attr("clip"):
            attrs["clip"] = ctx.attr("clip")
        return attrs

    def outputs(self, node) -> list[Value]:
        """Y and the final states in the node's ONNX layout."""
        ctx = self.ctx
        y = node.outputs[0]
        y = _transpose(ctx, y, [0, 2, 1, 3] if self.batch_major else [2, 1, 0, 3])
        states = [s if self.batch_major else _transpose(ctx, s, [1, 0, 2])
                  for s in node.outputs[1:]]
        return [y] + states


@converter("LSTM", since=1)
def lstm(ctx: NodeContext) -> list[Value]:
    if ctx.attr("input_forget", 0):
        raise ctx.error("LSTM input_forget=1 is not supported")
    rec = Recurrence(ctx, 4)

    def reorder(value: Value) -> Value:  # i, o, f, c -> f, i, c, o
        i, o, f, c = _chunks(ctx, value, 4)
        return _join(ctx, [f, i, c, o])

    w_bias, r_bias = rec.bias_halves()
    bias = reorder(as_value(ctx.make("Add", 1, w_bias, r_bias)))
    inputs = [rec.x, rec.state(5), rec.state(6), rec.lengths(), reorder(rec.w),
              reorder(rec.r), bias]
    attrs = rec.activations(["sigmoid", "tanh", "tanh"])
    peephole = ctx.optional_input(7)
    if peephole is None:
        return rec.outputs(ctx.make("LSTMSequence", 5, *inputs, **attrs))
    # LSTMSequence-5 has no peepholes: vinify's internal sequence op keeps them
    return rec.outputs(ctx.make("PeepholeLSTMSequence", 1, *inputs, peephole, **attrs))


@converter("GRU", since=1)
def gru(ctx: NodeContext) -> list[Value]:
    rec = Recurrence(ctx, 3)
    linear_before_reset = bool(ctx.attr("linear_before_reset", 0))
    w_bias, r_bias = rec.bias_halves()
    if linear_before_reset:
        wz, wr, wh = _chunks(ctx, w_bias, 3)
        rz, rr, rh = _chunks(ctx, r_bias, 3)
        bias = _join(ctx, [as_value(ctx.make("Add", 1, wz, rz)),
                           as_value(ctx.make("Add", 1, wr, rr)), wh, rh])
    else:
        bias = as_value(ctx.make("Add", 1, w_bias, r_bias))
    node = ctx.make("GRUSequence", 5, rec.x, rec.state(5), rec.lengths(), rec.w, rec.r, bias,
                    linear_before_reset=linear_before_reset,
                    **rec.activations(["sigmoid", "tanh"]))
    return rec.outputs(node)


@converter("RNN", since=1)
def rnn(ctx: NodeContext) -> list[Value]:
    rec = Recurrence(ctx, 1)
    w_bias, r_bias = rec.bias_halves()
    bias = as_value(ctx.make("Add", 1, w_bias, r_bias))
    node = ctx.make("RNNSequence", 5, rec.x, rec.state(5), rec.lengths(), rec.w, rec.r, bias,
                    **rec.activations(["tanh"]))
    return rec.outputs(node)
