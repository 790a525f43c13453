"""CPU against TEMPLATE for FlexAttention (codegen/lowering/flex_attention.py): grouped heads,
explicit scale, and score/prob modification bodies lowered in place."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import flex_attention
from vinify.codegen.lowering.context import LOWERINGS
from vinify.ir import Graph, Node, parameter
from vinify.op import lookup_op
from vinify.runtime import Core

RNG = np.random.default_rng(53)
SCORES = (1, 4, 3, 5)  # [B, Hq, L, S]


def tanh_cap():
    scores = parameter("scores", "f32", SCORES)
    capped = ir.make("Multiply", 1, [ir.make("Tanh", 1, [ir.make(
        "Multiply", 1, [scores, ir.constant(np.float32(0.5))])]), ir.constant(np.float32(2.0))])
    return Graph([scores], [capped])


def squared():
    probs = parameter("probs", "f32", SCORES)
    return Graph([probs], [ir.make("Multiply", 1, [probs, probs])])


@pytest.mark.parametrize("mods", ["none", "score", "prob", "both"])
def test_flex_attention_matches_template(mods):
    q, k, v = (parameter("q", "f32", (1, 4, 3, 6)), parameter("k", "f32", (1, 2, 5, 6)),
               parameter("v", "f32", (1, 2, 5, 7)))
    bodies = ([tanh_cap()] if mods in ("score", "both") else []) + \
             ([squared()] if mods in ("prob", "both") else [])
    attrs = {"scale": 0.0 if mods == "none" else 0.3,
             "has_score_mod": mods in ("score", "both"), "has_prob_mod": mods in ("prob", "both")}
    node = Node(lookup_op("FlexAttention", 1), [q, k, v], attrs, bodies=bodies)
    graph = Graph([q, k, v], list(node.outputs))
    feeds = [RNG.normal(0, 1, s).astype(np.float32) for s in ((1, 4, 3, 6), (1, 2, 5, 6),
                                                               (1, 2, 5, 7))]
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(feeds)
    actual = core.compile_model(graph, "CPU")(feeds)
    np.testing.assert_allclose(np.asarray(actual[0]), np.asarray(expected[0]), rtol=1e-4,
                               atol=1e-5)


def test_flex_attention_is_lowered_here():
    assert LOWERINGS["FlexAttention"] is flex_attention.lower_flex_attention
