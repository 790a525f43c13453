"""CPU and GPU against TEMPLATE for window ops outside the 2-D fast paths: 1-D and 3-D
convolutions and group convolutions (codegen/lowering/conv_nd.py), 1-D/3-D pools, MaxPool's
indices output and integer MaxPool (codegen/lowering/pool_nd.py)."""

import ml_dtypes
import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering.support import unsupported_reason
from vinify.runtime import Core

from tests.codegen.device_check import check_against_template

RNG = np.random.default_rng(11)


def _data(shape):
    return RNG.normal(0, 1, shape).astype(np.float32)


def _window_attrs(rank: int, **attrs) -> dict:
    return {**dict(strides=[1] * rank, dilations=[1] * rank, pads_begin=[0] * rank,
                   pads_end=[0] * rank), **attrs}


CONVOLUTIONS = [  # (x shape, w shape, grouped, attrs)
    ((1, 2, 7), (3, 2, 3), False, {}),
    ((2, 4, 9), (2, 2, 2, 3), True, dict(strides=[2], dilations=[2], pads_begin=[2],
                                         pads_end=[1])),
    ((1, 4, 8), (4, 1, 1, 3), True, dict(auto_pad="same_upper")),
    ((1, 2, 4, 5, 6), (3, 2, 2, 3, 2), False, dict(strides=[1, 2, 1], pads_begin=[1, 0, 1],
                                                   pads_end=[0, 1, 1])),
    ((1, 2, 5, 5, 5), (2, 1, 1, 2, 2, 2), True, dict(dilations=[2, 1, 2],
                                                     auto_pad="same_lower")),
]


@pytest.mark.parametrize("device", ["CPU", "GPU"])
@pytest.mark.parametrize("case", CONVOLUTIONS, ids=lambda c: f"{len(c[0]) - 2}d{'g' * c[2]}")
def test_convolution_nd_matches_template(case, device):
    x_shape, w_shape, grouped, attrs = case
    x = ir.parameter("x", "f32", x_shape)
    name = "GroupConvolution" if grouped else "Convolution"
    conv = ir.make(name, 1, [x, ir.constant(_data(w_shape))],
                   **_window_attrs(len(x_shape) - 2, **attrs))
    assert unsupported_reason(conv) is None
    check_against_template(ir.Graph([x], [conv]), [_data(x_shape)], device)


def test_convolution_nd_with_runtime_weights_and_absorbed_epilogue():
    """Bias and ReLU planned as the convolution's epilogue are still applied."""
    x, w = ir.parameter("x", "f32", (1, 2, 9)), ir.parameter("w", "f32", (3, 2, 3))
    conv = ir.make("Convolution", 1, [x, w], **_window_attrs(1, pads_begin=[1], pads_end=[1]))
    biased = ir.make("Add", 1, [conv, ir.constant(_data((1, 3, 1)))])
    graph = ir.Graph([x, w], [ir.make("Relu", 1, [biased])])
    check_against_template(graph, [_data((1, 2, 9)), _data((3, 2, 3))], "CPU")


POOLS = [  # (op, x shape, attrs)
    ("MaxPool", (1, 3, 9), dict(kernel=[2])),
    ("MaxPool", (1, 2, 5, 6, 7), dict(kernel=[3, 2, 2], strides=[2, 1, 2], dilations=[1, 2, 1],
                                      pads_begin=[1, 0, 1], pads_end=[1, 1, 0])),
    ("AvgPool", (1, 3, 9), dict(kernel=[3], strides=[2], pads_begin=[1], pads_end=[1],
                                rounding_type="ceil")),
    ("AvgPool", (1, 2, 5, 6, 7), dict(kernel=[3, 2, 2], strides=[2, 1, 2], pads_begin=[1, 0, 1],
                                      pads_end=[1, 1, 0], **{"exclude-pad": True})),
]


def _pool(op: str, x, rank: int, attrs: dict):
    attrs = _window_attrs(rank, **attrs)
    if op == "AvgPool":
        attrs.pop("dilations")
        attrs.setdefault("exclude-pad", False)
    return ir.make(op, 14, [x], **attrs)


@pytest.mark.parametrize("device", ["CPU", "GPU"])
@pytest.mark.parametrize("case", POOLS, ids=lambda c: f"{c[0]}{len(c[1]) - 2}d")
def test_pool_nd_matches_template(case, device):
    op, x_shape, attrs = case
    x = ir.parameter("x", "f32", x_shape)
    pool = _pool(op, x, len(x_shape) - 2, attrs)
    assert unsupported_reason(pool) is None
    check_against_template(ir.Graph([x], [pool.outputs[0]]), [_data(x_shape)], device)


@pytest.mark.parametrize("device", ["CPU", "GPU"])
@pytest.mark.parametrize("shape,attrs", [
    ((1, 2, 6, 7), dict(kernel=[3, 3], strides=[2, 2], pads_begin=[1, 1], pads_end=[1, 1])),
    ((2, 2, 6, 7), dict(kernel=[3, 3], strides=[2, 2], axis=2, rounding_type="ceil")),
    ((1, 2, 4, 5, 3), dict(kernel=[2, 2, 2], index_element_type="i32")),
])
def test_max_pool_indices_are_exact(shape, attrs, device):
    x = ir.parameter("x", "f32", shape)
    pool = _pool("MaxPool", x, len(shape) - 2, attrs)
    graph = ir.Graph([x], [pool.outputs[0], pool.outputs[1]])
    feed = [_data(shape)]
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(feed)
    actual = core.compile_model(graph, device)(feed)
    np.testing.assert_allclose(actual[0], expected[0], rtol=1e-6)
    np.testing.assert_array_equal(actual[1], expected[1])
    assert actual[1].dtype == expected[1].dtype


def test_integer_max_pool_is_exact():
    x = ir.parameter("x", "u8", (1, 2, 6, 7))
    pool = _pool("MaxPool", x, 2, dict(kernel=[3, 3], pads_begin=[1, 1], pads_end=[1, 1]))
    feed = [RNG.integers(0, 255, (1, 2, 6, 7)).astype(np.uint8)]
    check_against_template(ir.Graph([x], [pool.outputs[0]]), feed, "CPU", rtol=0, atol=0)


@pytest.mark.parametrize("device", ["CPU", "GPU"])
@pytest.mark.parametrize("elem,dtype", [("f16", np.float16), ("bf16", ml_dtypes.bfloat16),
                                        ("f64", np.float64)])
def test_other_float_types_go_through_the_direct_lowerings(elem, dtype, device):
    """f16/bf16 (read element by element, accumulated in f32) and f64, 1-D and 2-D."""
    x1, x2 = ir.parameter("x1", elem, (1, 4, 9)), ir.parameter("x2", elem, (1, 2, 5, 6))
    causal = ir.make("GroupConvolution", 1, [x1, ir.constant(_data((4, 1, 1, 3)).astype(dtype))],
                     **_window_attrs(1, pads_begin=[2]))
    conv = ir.make("Convolution", 1, [x2, ir.constant(_data((3, 2, 3, 3)).astype(dtype))],
                   **_window_attrs(2, strides=[1, 2], pads_begin=[1, 1], pads_end=[1, 0]))
    window = dict(kernel=[3, 2], strides=[2, 1], pads_begin=[1, 1], pads_end=[1, 1])
    maximum = _pool("MaxPool", x2, 2, window)
    average = _pool("AvgPool", x2, 2, {**window, "exclude-pad": True})
    outputs = [causal, conv, maximum.outputs[0], maximum.outputs[1], average]
    for node in (causal, conv, maximum, average):
        assert unsupported_reason(node) is None
    tolerance = 2e-2 if elem == "bf16" else 2e-3
    check_against_template(ir.Graph([x1, x2], outputs),
                           [_data((1, 4, 9)).astype(dtype), _data((1, 2, 5, 6)).astype(dtype)],
                           device, rtol=tolerance, atol=tolerance)
