"""CPU against TEMPLATE for RNNSequence, GRUSequence and LSTMSequence
(codegen/lowering/recurrent.py): both directions, uneven lengths, clip, other activations."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import recurrent
from vinify.codegen.lowering.context import LOWERINGS
from vinify.runtime import Core

RNG = np.random.default_rng(41)
BATCH, SEQ, INPUTS, HIDDEN = 3, 4, 5, 6


def data(*shape):
    return RNG.normal(0, 0.6, shape).astype(np.float32)


CASES = [  # (op, gates, bias rows, attrs)
    ("RNNSequence", 1, 1, {"direction": "forward"}),
    ("RNNSequence", 1, 1, {"direction": "bidirectional", "activations": ["relu"],
                           "clip": 0.8}),
    ("GRUSequence", 3, 3, {"direction": "reverse"}),
    ("GRUSequence", 3, 4, {"direction": "bidirectional", "linear_before_reset": True}),
    ("LSTMSequence", 4, 4, {"direction": "forward"}),
    ("LSTMSequence", 4, 4, {"direction": "bidirectional", "clip": 1.5,
                            "activations": ["hardsigmoid", "tanh", "softsign"],
                            "activations_alpha": [0.3], "activations_beta": [0.4]}),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[3]['direction']}")
def test_sequence_matches_template(case):
    name, gates, bias_rows, attrs = case
    dirs = 2 if attrs["direction"] == "bidirectional" else 1
    states = 2 if name == "LSTMSequence" else 1
    x = ir.parameter("x", "f32", (BATCH, SEQ, INPUTS))
    initial = [ir.parameter(f"s{k}", "f32", (BATCH, dirs, HIDDEN)) for k in range(states)]
    lengths = ir.parameter("lengths", "i32", (BATCH,))
    weights = [ir.constant(data(dirs, gates * HIDDEN, INPUTS)),
               ir.constant(data(dirs, gates * HIDDEN, HIDDEN)),
               ir.constant(data(dirs, bias_rows * HIDDEN))]
    node = ir.make(name, 5, [x, *initial, lengths, *weights], hidden_size=HIDDEN, **attrs)
    graph = ir.Graph([x, *initial, lengths], list(node.outputs))
    feeds = [data(BATCH, SEQ, INPUTS)] + [data(BATCH, dirs, HIDDEN) for _ in range(states)]
    feeds.append(np.array([4, 2, 3], np.int32))
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(feeds)
    actual = core.compile_model(graph, "CPU")(feeds)
    for index in range(len(graph.outputs)):
        np.testing.assert_allclose(np.asarray(actual[index]), np.asarray(expected[index]),
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_peephole_lstm(direction):
    dirs = 2 if direction == "bidirectional" else 1
    x = ir.parameter("x", "f32", (BATCH, SEQ, INPUTS))
    h0, c0 = (ir.parameter(n, "f32", (BATCH, dirs, HIDDEN)) for n in ("h0", "c0"))
    lengths = ir.constant(np.array([4, 1, 3], np.int64))
    weights = [ir.constant(data(dirs, 4 * HIDDEN, INPUTS)),
               ir.constant(data(dirs, 4 * HIDDEN, HIDDEN)), ir.constant(data(dirs, 4 * HIDDEN)),
               ir.constant(data(dirs, 3 * HIDDEN))]
    node = ir.make("PeepholeLSTMSequence", 1, [x, h0, c0, lengths, *weights],
                   hidden_size=HIDDEN, direction=direction)
    graph = ir.Graph([x, h0, c0], list(node.outputs))
    feeds = [data(BATCH, SEQ, INPUTS), data(BATCH, dirs, HIDDEN), data(BATCH, dirs, HIDDEN)]
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(feeds)
    actual = core.compile_model(graph, "CPU")(feeds)
    for index in range(3):
        np.testing.assert_allclose(np.asarray(actual[index]), np.asarray(expected[index]),
                                   rtol=1e-4, atol=1e-5)


def test_sequences_are_lowered_here():
    for name in ("RNNSequence", "GRUSequence", "LSTMSequence", "PeepholeLSTMSequence"):
        assert LOWERINGS[name] is recurrent.lower_sequence
