"""CPU against TEMPLATE for the fused Attention op (codegen/lowering/attention.py): 3-D and
4-D inputs, grouped heads, past caches, masks, causal and window bounds, softcap, padded keys
and every qk_matmul_output stage."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import attention
from vinify.codegen.lowering.context import LOWERINGS
from vinify.runtime import Core

RNG = np.random.default_rng(23)


def data(*shape):
    return RNG.normal(0, 1, shape).astype(np.float32)


def run_both(graph, inputs):
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(inputs)
    actual = core.compile_model(graph, "CPU")(inputs)
    for index in range(len(graph.outputs)):
        np.testing.assert_allclose(np.asarray(actual[index]), np.asarray(expected[index]),
                                   rtol=1e-4, atol=1e-5)


CASES = {  # name: (q, k, v shapes, attrs, extra inputs as (name, dtype, shape))
    "4d": ((2, 3, 4, 8), (2, 3, 6, 8), (2, 3, 6, 5), {}, []),
    "4d_gqa_causal_mode1_softcap": ((1, 4, 5, 8), (1, 2, 5, 8), (1, 2, 5, 8),
                                    {"is_causal": True, "softcap": 2.0,
                                     "qk_matmul_output_mode": 1}, []),
    "3d_scaled_bool_mask_mode2": ((2, 4, 12), (2, 6, 12), (2, 6, 9),
                                  {"q_num_heads": 3, "kv_num_heads": 3, "scale": 0.3,
                                   "has_attn_mask": True, "qk_matmul_output_mode": 2},
                                  [("mask", "boolean", (4, 6))]),
    "3d_gqa_past_float_mask_mode3": ((1, 3, 16), (1, 3, 8), (1, 3, 8),
                                     {"q_num_heads": 4, "kv_num_heads": 2, "has_attn_mask": True,
                                      "has_past": True, "is_causal": True,
                                      "qk_matmul_output_mode": 3},
                                     [("mask", "f32", (1, 1, 3, 5)), ("pk", "f32", (1, 2, 4, 4)),
                                      ("pv", "f32", (1, 2, 4, 4))]),
    "4d_nonpad_window": ((2, 2, 3, 4), (2, 2, 6, 4), (2, 2, 6, 4),
                         {"has_nonpad_kv_seqlen": True, "left_window_size": 2,
                          "right_window_size": 0}, [("lengths", "i64", (2,))]),
}


def feed(name, dtype, shape):
    if dtype == "boolean":
        values = RNG.integers(0, 4, shape) > 0
        values[..., 0] = True
        return values
    if dtype == "i64":
        return np.array([6, 4], np.int64)
    return data(*shape)


@pytest.mark.parametrize("name", sorted(CASES))
def test_attention_matches_template(name):
    q_shape, k_shape, v_shape, attrs, extra = CASES[name]
    params = [ir.parameter(n, "f32", s) for n, s in (("q", q_shape), ("k", k_shape),
                                                      ("v", v_shape))]
    params += [ir.parameter(n, dtype, shape) for n, dtype, shape in extra]
    node = ir.make("Attention", 1, params, **attrs)
    inputs = [data(*s) for s in (q_shape, k_shape, v_shape)]
    inputs += [feed(*item) for item in extra]
    run_both(ir.Graph(params, list(node.outputs)), inputs)


def test_attention_is_lowered_here():
    assert LOWERINGS["Attention"] is attention.lower_attention
