"""Recurrent cells and sequences: RNNCell, GRUCell, LSTMCell and their Sequence versions.

Layouts follow the OpenVINO opset specification: a sequence input is [batch, seq, input], states
are [batch, num_directions, hidden], weights W [num_directions, gates*hidden, input], R
[num_directions, gates*hidden, hidden], B [num_directions, gates*hidden] (GRU with
linear_before_reset: 4*hidden). Gate orders: LSTM f,i,c,o; GRU z,r,h. Outputs past a batch
item's sequence length are zero and its final state is the state at its last valid step.
"""

from typing import Callable

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import DYNAMIC, Dimension, PartialShape, TensorType


def _sigmoid(x: np.ndarray, alpha: float | None, beta: float | None) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _hard_sigmoid(x: np.ndarray, alpha: float | None, beta: float | None) -> np.ndarray:
    alpha = 0.2 if alpha is None else alpha
    beta = 0.5 if beta is None else beta
    return np.clip(alpha * x + beta, 0.0, 1.0)


ACTIVATIONS: dict[str, Callable] = {
    "sigmoid": _sigmoid,
    "tanh": lambda x, a, b: np.tanh(x),
    "relu": lambda x, a, b: np.maximum(x, 0.0),
    "hardsigmoid": _hard_sigmoid,
    "softsign": lambda x, a, b: x / (1.0 + np.abs(x)),
    "softplus": lambda x, a, b: np.log1p(np.exp(x)),
    "leakyrelu": lambda x, a, b: np.where(x >= 0, x, (0.01 if a is None else a) * x),
    "elu": lambda x, a, b: np.where(x >= 0, x, (1.0 if a is None else a) * np.expm1(x)),
    "scaledtanh": lambda x, a, b: (1.0 if a is None else a) * np.tanh((1.0 if b is None else b)
                                                                       * x),
    "affine": lambda x, a, b: (1.0 if a is None else a) * x + (0.0 if b is None else b),
    "thresholdedrelu": lambda x, a, b: np.where(x > (1.0 if a is None else a), x, 0.0),
}


def _common_attributes(default_activations: tuple[str, ...]) -> tuple[Attr, ...]:
    return (Attr("hidden_size", "int"),
            Attr("activations", "strs", default_activations),
            Attr("activations_alpha", "floats", ()),
            Attr("activations_beta", "floats", ()),
            Attr("clip", "float", 0.0))


class Activations:
    """The attribute's activation functions with their alpha/beta, applied with clipping."""

    def __init__(self, attrs: dict):
        self.names = [name.lower() for name in attrs["activations"]]
        unknown = [n for n in self.names if n not in ACTIVATIONS]
        if unknown:
            raise ValueError(f"unknown activation(s) {unknown}")
        self.alpha = list(attrs["activations_alpha"])
        self.beta = list(attrs["activations_beta"])
        self.clip = attrs["clip"]

    def __call__(self, index: int, x: np.ndarray) -> np.ndarray:
        if self.clip > 0:
            x = np.clip(x, -self.clip, self.clip)
        alpha = self.alpha[index] if index < len(self.alpha) else None
        beta = self.beta[index] if index < len(self.beta) else None
        return ACTIVATIONS[self.names[index]](x, alpha, beta)

    def plain(self, index: int, x: np.ndarray) -> np.ndarray:
        """Activation without clipping (LSTM's output activation of the cell state)."""
        alpha = self.alpha[index] if index < len(self.alpha) else None
        beta = self.beta[index] if index < len(self.beta) else None
        return ACTIVATIONS[self.names[index]](x, alpha, beta)


def _split(gates: np.ndarray, count: int) -> list[np.ndarray]:
    return np.split(gates, count, axis=-1)


def lstm_step(act: Activations, x, h, c, w, r, b, peephole=None):
    """One LSTM step: gates f, i, c, o; returns (h, c). `peephole` (i, o, f weights, ONNX's
    order) adds the old cell state to the input and forget gates and the new one to the
    output gate."""
    f, i, g, o = _split(x @ w.T + h @ r.T + b, 4)
    if peephole is not None:
        p_i, p_o, p_f = _split(peephole, 3)
        f, i = f + p_f * c, i + p_i * c
    f, i = act(0, f), act(0, i)
    c_next = f * c + i * act(1, g)
    if peephole is not None:
        o = o + p_o * c_next
    return act(0, o) * act.plain(2, c_next), c_next


def gru_step(act: Activations, linear_before_reset: bool, x, h, w, r, b):
    """One GRU step: gates z, r, h; B holds Wb+Rb (3 gates) or also Rbh apart (4 parts)."""
    w_z, w_r, w_h = np.split(w, 3, axis=0)
    r_z, r_r, r_h = np.split(r, 3, axis=0)
    parts = _split(b, 4 if linear_before_reset else 3)
    z = act(0, x @ w_z.T + h @ r_z.T + parts[0])
    reset = act(0, x @ w_r.T + h @ r_r.T + parts[1])
    if linear_before_reset:
        candidate = act(1, x @ w_h.T + parts[2] + reset * (h @ r_h.T + parts[3]))
    else:
        candidate = act(1, x @ w_h.T + (reset * h) @ r_h.T + parts[2])
    return (1.0 - z) * candidate + z * h


def rnn_step(act: Activations, x, h, w, r, b):
    return act(0, x @ w.T + h @ r.T + b)


def _wide(array: np.ndarray) -> np.ndarray:
    return array.astype(np.float64)


def run_direction(step: Callable, x: np.ndarray, states: list[np.ndarray],
                  lengths: np.ndarray, reverse: bool) -> tuple[np.ndarray, list[np.ndarray]]:
    """Runs `step(x_t, *states) -> states` over time for one direction.

    Each batch item runs its own number of steps; reversed runs start at its last valid step.
    Returns Y [batch, seq, hidden] (zeros past each length) and the final states.
    """
    batch, seq = x.shape[0], x.shape[1]
    outputs = np.zeros((batch, seq, states[0].shape[-1]), np.float64)
    for t in range(seq):
        active = t < lengths
        positions = np.where(active, (lengths - 1 - t) if reverse else t, 0)
        x_t = x[np.arange(batch), positions]
        updated = step(x_t, *states)
        updated = updated if isinstance(updated, tuple) else (updated,)
        states = [np.where(active[:, None], new, old) for new, old in zip(updated, states)]
        outputs[np.arange(batch)[active], positions[active]] = states[0][active]
    return outputs, states


def _directions(attrs: dict) -> list[bool]:
    return {"forward": [False], "reverse": [True], "bidirectional": [False, True]}[
        attrs["direction"]]


DIRECTION = Attr("direction", "str", "forward", ("forward", "reverse", "bidirectional"))


class SequenceBase(Op):
    """Shared inference for the *Sequence ops; subclasses set the gate count and state count."""

    gates = 1
    states = 1

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 1 + cls.states

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.input_types[0].element_type
        if not elem.is_float:
            raise ctx.error(f"X must be floating point, got {elem}")
        x = ctx.shape(0)
        if x.rank_is_static and x.rank != 3:
            raise ctx.error(f"X must be [batch, seq, input], got {x}")
        directions = len(_directions(ctx.attrs))
        hidden = ctx.attrs["hidden_size"]
        w = ctx.shape(cls.w_index())
        if w.rank_is_static and w[1].is_static and w[1].min != cls.gates * hidden:
            raise ctx.error(f"W has {w[1].min} rows, expected {cls.gates} * hidden_size "
                            f"({cls.gates * hidden})")
        batch = x[0] if x.rank_is_static else DYNAMIC
        seq = x[1] if x.rank_is_static else DYNAMIC
        d, h = Dimension.of(directions), Dimension.of(hidden)
        state = TensorType(elem, PartialShape((batch, d, h)))
        return [TensorType(elem, PartialShape((batch, d, seq, h)))] + [state] * cls.states

    @classmethod
    def w_index(cls) -> int:
        return 2 + cls.states

    @classmethod
    def run(cls, attrs: dict, x, states, lengths, w, r, b) -> tuple:
        """Runs every direction and stacks outputs as [batch, dirs, seq, hidden]."""
        act = Activations(attrs)
        ys, finals = [], []
        for index, reverse in enumerate(_directions(attrs)):
            step = cls.step_function(attrs, act, _wide(w[index]), _wide(r[index]),
                                     _wide(b[index]))
            y, last = run_direction(step, _wide(x), [_wide(s[:, index]) for s in states],
                                    np.asarray(lengths).astype(np.int64), reverse)
            ys.append(y)
            finals.append(last)
        outputs = [np.stack(ys, axis=1).astype(x.dtype)]
        for k in range(cls.states):
            outputs.append(np.stack([f[k] for f in finals], axis=1).astype(x.dtype))
        return tuple(outputs)


@register
class LSTMSequence(SequenceBase):
    """X, H0, C0, sequence_lengths, W, R, B -> Y, Ho, Co."""

    name, version = "LSTMSequence", 5
    num_inputs = (7, 7)
    attributes = _common_attributes(("sigmoid", "tanh", "tanh")) + (DIRECTION,)
    gates, states = 4, 2

    @classmethod
    def step_function(cls, attrs, act, w, r, b):
        return lambda x, h, c: lstm_step(act, x, h, c, w, r, b)

    @classmethod
    def evaluate(cls, attrs: dict, x, h0, c0, lengths, w, r, b):
        return cls.run(attrs, x, [h0, c0], lengths, w, r, b)


@register
class GRUSequence(SequenceBase):
    """X, H0, sequence_lengths, W, R, B -> Y, Ho."""

    name, version = "GRUSequence", 5
    num_inputs = (6, 6)
    attributes = _common_attributes(("sigmoid", "tanh")) + (
        DIRECTION, Attr("linear_before_reset", "bool", False))
    gates, states = 3, 1

    @classmethod
    def step_function(cls, attrs, act, w, r, b):
        return lambda x, h: gru_step(act, attrs["linear_before_reset"], x, h, w, r, b)

    @classmethod
    def evaluate(cls, attrs: dict, x, h0, lengths, w, r, b):
        return cls.run(attrs, x, [h0], lengths, w, r, b)


@register
class RNNSequence(SequenceBase):
    """X, H0, sequence_lengths, W, R, B -> Y, Ho."""

    name, version = "RNNSequence", 5
    num_inputs = (6, 6)
    attributes = _common_attributes(("tanh",)) + (DIRECTION,)
    gates, states = 1, 1

    @classmethod
    def step_function(cls, attrs, act, w, r, b):
        return lambda x, h: rnn_step(act, x, h, w, r, b)

    @classmethod
    def evaluate(cls, attrs: dict, x, h0, lengths, w, r, b):
        return cls.run(attrs, x, [h0], lengths, w, r, b)


class CellBase(Op):
    """Shared inference for the single-step cells: every output is [batch, hidden]."""

    states = 1

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return cls.states

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.input_types[0].element_type
        if not elem.is_float:
            raise ctx.error(f"X must be floating point, got {elem}")
        x = ctx.shape(0)
        if x.rank_is_static and x.rank != 2:
            raise ctx.error(f"X must be [batch, input], got {x}")
        batch = x[0] if x.rank_is_static else DYNAMIC
        state = TensorType(elem, PartialShape((batch, Dimension.of(ctx.attrs["hidden_size"]))))
        return [state] * cls.states


@register
class LSTMCell(CellBase):
    """X, H, C, W, R, B -> Ho, Co (gates f, i, c, o)."""

    name, version = "LSTMCell", 4
    num_inputs = (6, 6)
    attributes = _common_attributes(("sigmoid", "tanh", "tanh"))
    states = 2

    @classmethod
    def evaluate(cls, attrs: dict, x, h, c, w, r, b):
        ho, co = lstm_step(Activations(attrs), _wide(x), _wide(h), _wide(c), _wide(w),
                           _wide(r), _wide(b))
        return ho.astype(x.dtype), co.astype(x.dtype)


@register
class GRUCell(CellBase):
    """X, H, W, R, B -> Ho (gates z, r, h)."""

    name, version = "GRUCell", 3
    num_inputs = (5, 5)
    attributes = _common_attributes(("sigmoid", "tanh")) + (
        Attr("linear_before_reset", "bool", False),)

    @classmethod
    def evaluate(cls, attrs: dict, x, h, w, r, b):
        return gru_step(Activations(attrs), attrs["linear_before_reset"], _wide(x), _wide(h),
                        _wide(w), _wide(r), _wide(b)).astype(x.dtype)


@register
class RNNCell(CellBase):
    """X, H, W, R, B -> Ho."""

    name, version = "RNNCell", 1
    num_inputs = (5, 5)
    attributes = _common_attributes(("tanh",))

    @classmethod
    def evaluate(cls, attrs: dict, x, h, w, r, b):
        return rnn_step(Activations(attrs), _wide(x), _wide(h), _wide(w), _wide(r),
                        _wide(b)).astype(x.dtype)


@register
class PeepholeLSTMSequence(LSTMSequence):
    """LSTMSequence with peephole weights P [num_directions, 3 * hidden] (i, o, f), which
    OpenVINO's LSTMSequence-5 dropped (vinify-internal, for ONNX LSTM with input P)."""

    name, version, domain = "PeepholeLSTMSequence", 1, "vinify"
    num_inputs = (8, 8)

    @classmethod
    def step_function(cls, attrs, act, w, r, b):
        bias, peephole = b[:w.shape[0]], b[w.shape[0]:]
        return lambda x, h, c: lstm_step(act, x, h, c, w, r, bias, peephole)

    @classmethod
    def evaluate(cls, attrs: dict, x, h0, c0, lengths, w, r, b, p):
        return cls.run(attrs, x, [h0, c0], lengths, w, r, np.concatenate([b, p], axis=-1))
