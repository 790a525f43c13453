"""CPU against TEMPLATE for LinearAttention (codegen/lowering/linear_attention.py): every update
rule, grouped heads, past state, per-key / per-head / shared decay and beta."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import linear_attention
from vinify.codegen.lowering.context import LOWERINGS
from vinify.runtime import Core

RNG = np.random.default_rng(43)
B, T, HQ, HKV, DK, DV = 2, 3, 4, 2, 3, 5


def data(*shape, scale=0.5):
    return (RNG.normal(0, scale, shape)).astype(np.float32)


CASES = [  # (rule, past, decay width, beta width)
    ("linear", False, None, None), ("gated", True, HKV * DK, None),
    ("delta", False, None, HKV), ("gated_delta", True, HKV, 1), ("gated_delta", False, 1, None),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}-{c[2]}-{c[3]}")
def test_linear_attention(case):
    rule, past, decay_width, beta_width = case
    params = [ir.parameter("q", "f32", (B, T, HQ * DK)), ir.parameter("k", "f32", (B, T, HKV * DK)),
              ir.parameter("v", "f32", (B, T, HKV * DV))]
    feeds = [data(B, T, HQ * DK), data(B, T, HKV * DK), data(B, T, HKV * DV)]
    if past:
        params.append(ir.parameter("past", "f32", (B, HKV, DK, DV)))
        feeds.append(data(B, HKV, DK, DV))
    if decay_width:
        params.append(ir.parameter("decay", "f32", (B, T, decay_width)))
        feeds.append(-np.abs(data(B, T, decay_width)))
    if beta_width:
        params.append(ir.parameter("beta", "f32", (B, T, beta_width)))
        feeds.append(np.abs(data(B, T, beta_width)))
    node = ir.make("LinearAttention", 1, params, q_num_heads=HQ, kv_num_heads=HKV,
                   update_rule=rule, has_past_state=past, has_decay=bool(decay_width),
                   has_beta=bool(beta_width))
    graph = ir.Graph(params, list(node.outputs))
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(feeds)
    actual = core.compile_model(graph, "CPU")(feeds)
    for index in range(2):
        np.testing.assert_allclose(np.asarray(actual[index]), np.asarray(expected[index]),
                                   rtol=1e-4, atol=1e-5)


def test_linear_attention_is_lowered_here():
    assert LOWERINGS["LinearAttention"] is linear_attention.lower_linear_attention
