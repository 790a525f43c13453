"""CPU and GPU against TEMPLATE for the leftover conformance fixes: the attention family and
softmax on f64/f16/bf16, reductions over axes that are not one contiguous block."""

import ml_dtypes
import numpy as np
import pytest
from vinify import ir
from vinify.ir import Graph, Node, parameter
from vinify.op import lookup_op
from vinify.runtime import Core

RNG = np.random.default_rng(71)
FLOATS = {"f32": np.float32, "f64": np.float64, "f16": np.float16, "bf16": ml_dtypes.bfloat16}
DEVICES = ("CPU", "GPU")
# one rounding of the narrow type on each side, and f32 sums in a different order
TOLERANCE = {"f32": 1e-5, "f64": 1e-9, "f16": 4e-3, "bf16": 3e-2}


def data(dtype: str, *shape, scale: float = 1.0) -> np.ndarray:
    return (RNG.normal(0, scale, shape)).astype(FLOATS[dtype])


def run_all(graph: Graph, feeds: list, dtype: str, device: str) -> None:
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(feeds)
    actual = core.compile_model(graph, device)(feeds)
    for index in range(len(graph.outputs)):
        got, want = np.asarray(actual[index]), np.asarray(expected[index])
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64),
                                   rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["f64", "f16", "bf16"])
def test_attention_with_past_mask_and_scores(device, dtype):
    q, k, v = (parameter("q", dtype, (1, 4, 3, 8)), parameter("k", dtype, (1, 2, 3, 8)),
               parameter("v", dtype, (1, 2, 3, 5)))
    mask = parameter("mask", dtype, (3, 5))
    past_k, past_v = parameter("pk", dtype, (1, 2, 2, 8)), parameter("pv", dtype, (1, 2, 2, 5))
    params = [q, k, v, mask, past_k, past_v]
    node = ir.make("Attention", 1, params, has_attn_mask=True, has_past=True, is_causal=True,
                   qk_matmul_output_mode=3)
    feeds = [data(dtype, 1, 4, 3, 8), data(dtype, 1, 2, 3, 8), data(dtype, 1, 2, 3, 5),
             data(dtype, 3, 5, scale=0.5), data(dtype, 1, 2, 2, 8), data(dtype, 1, 2, 2, 5)]
    run_all(Graph(params, list(node.outputs)), feeds, dtype, device)


def _score_cap(compute: str) -> Graph:
    """score_mod body: the bodies see scores in the compute type (f64 or f32)."""
    scores = parameter("scores", compute, (1, 4, 3, 5))
    half = ir.constant(np.asarray(0.5, FLOATS[compute]))
    return Graph([scores], [ir.make("Tanh", 1, [ir.make("Multiply", 1, [scores, half])])])


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["f64", "f16"])
def test_flex_attention_with_score_mod(device, dtype):
    shapes = ((1, 4, 3, 6), (1, 2, 5, 6), (1, 2, 5, 7))
    params = [parameter(name, dtype, shape) for name, shape in zip("qkv", shapes)]
    compute = "f64" if dtype == "f64" else "f32"
    node = Node(lookup_op("FlexAttention", 1), params, {"scale": 0.3, "has_score_mod": True,
                                                        "has_prob_mod": False},
                bodies=[_score_cap(compute)])
    run_all(Graph(params, list(node.outputs)), [data(dtype, *s) for s in shapes], dtype, device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["f64", "f16"])
def test_linear_attention_gated_delta(device, dtype):
    params = [parameter("q", dtype, (2, 3, 12)), parameter("k", dtype, (2, 3, 6)),
              parameter("v", dtype, (2, 3, 10)), parameter("past", dtype, (2, 2, 3, 5)),
              parameter("decay", dtype, (2, 3, 2)), parameter("beta", dtype, (2, 3, 1))]
    feeds = [data(dtype, 2, 3, 12, scale=0.5), data(dtype, 2, 3, 6, scale=0.5),
             data(dtype, 2, 3, 10, scale=0.5), data(dtype, 2, 2, 3, 5, scale=0.5),
             -np.abs(data(dtype, 2, 3, 2, scale=0.5)), np.abs(data(dtype, 2, 3, 1, scale=0.5))]
    node = ir.make("LinearAttention", 1, params, q_num_heads=4, kv_num_heads=2,
                   update_rule="gated_delta", has_past_state=True, has_decay=True, has_beta=True)
    run_all(Graph(params, list(node.outputs)), feeds, dtype, device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", ["f32", "f16"])
@pytest.mark.parametrize("name", ["ReduceMean", "ReduceSum", "ReduceMax"])
def test_reduce_over_scattered_axes(device, dtype, name):
    x = parameter("x", dtype, (2, 3, 4, 5))
    axes = [ir.constant(np.asarray(a, np.int64)) for a in ([0, 2, 3], [-1, 1])]
    results = [ir.make(name, 1, [x, axes[0]], keep_dims=True),
               ir.make(name, 1, [x, axes[1]], keep_dims=False)]
    run_all(Graph([x], results), [data(dtype, 2, 3, 4, 5)], dtype, device)


@pytest.mark.parametrize("dtype", ["f32", "i32"])
@pytest.mark.parametrize("name", ["ReduceMax", "ReduceMin"])
def test_extreme_over_an_empty_set_is_the_identity(name, dtype):
    """The reference (and so TEMPLATE) gives -inf/+inf (the type's limits for integers) where
    numpy would refuse; CPU agrees."""
    x = parameter("x", dtype, (2, 0, 3))
    graph = Graph([x], [ir.make(name, 1, [x, ir.constant(np.asarray([1], np.int64))],
                                keep_dims=True)])
    numpy_type = np.float32 if dtype == "f32" else np.int32
    feeds = [np.zeros((2, 0, 3), numpy_type)]
    expected = Core().compile_model(graph, "TEMPLATE")(feeds)[0]
    high = name == "ReduceMin"
    if dtype == "f32":
        bound = np.inf if high else -np.inf
    else:
        bound = np.iinfo(np.int32).max if high else np.iinfo(np.int32).min
    np.testing.assert_array_equal(np.asarray(expected), np.full((2, 1, 3), bound, numpy_type))
    np.testing.assert_array_equal(np.asarray(Core().compile_model(graph, "CPU")(feeds)[0]),
                                  np.asarray(expected))


@pytest.mark.parametrize("device", DEVICES)
def test_batch_norm_with_runtime_parameters(device):
    """gamma and variance as inputs, beta and mean constants: the scale and shift are computed
    by a kernel at run time."""
    x, gamma, variance = (parameter("x", "f32", (2, 3, 4, 2)), parameter("gamma", "f32", (3,)),
                          parameter("variance", "f32", (3,)))
    beta = ir.constant(np.asarray([0.5, -1.0, 2.0], np.float32))
    mean = ir.constant(np.asarray([0.1, 0.2, -0.3], np.float32))
    node = ir.make("BatchNormInference", 5, [x, gamma, beta, mean, variance], epsilon=1e-3)
    feeds = [data("f32", 2, 3, 4, 2), data("f32", 3), np.abs(data("f32", 3)) + 0.5]
    run_all(Graph([x, gamma, variance], list(node.outputs)), feeds, "f32", device)
