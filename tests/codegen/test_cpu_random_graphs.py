"""Hypothesis-generated small CNN graphs give the same results on CPU as on TEMPLATE."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from vinify import ir
from vinify.runtime import Core

from tests.compiler.graph_strategies import graph_cases


def _compare(graph, inputs):
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(inputs)
    actual = core.compile_model(graph, "CPU")(inputs)
    for index in range(len(graph.outputs)):
        np.testing.assert_allclose(actual[index], expected[index], rtol=1e-3, atol=1e-4)


@st.composite
def conv_blocks(draw):
    """Conv/GroupConv -> optional bias/BN/residual/ReLU -> optional pooling, random geometry."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    channels = groups * draw(st.integers(1, 4))
    out_channels = groups * draw(st.integers(1, 9))
    size = (draw(st.integers(3, 12)), draw(st.integers(3, 12)))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pads = [draw(st.integers(0, k - 1)) for k in kernel]
    x = ir.parameter("x", "f32", [1, channels, *size])
    weights = rng.standard_normal((out_channels, channels // groups, *kernel)).astype(np.float32)
    attrs = dict(strides=stride, pads_begin=pads, pads_end=pads[::-1] if
                 pads[0] < kernel[1] and pads[1] < kernel[0] else pads, dilations=[1, 1])
    if groups == 1:
        value = ir.make("Convolution", 1, [x, ir.constant(weights)], **attrs)
    else:
        grouped = weights.reshape(groups, out_channels // groups, *weights.shape[1:])
        value = ir.make("GroupConvolution", 1, [x, ir.constant(grouped)], **attrs)
    if draw(st.booleans()):
        bias = rng.standard_normal((1, out_channels, 1, 1)).astype(np.float32)
        value = ir.make("Add", 1, [value, ir.constant(bias)])
    if draw(st.booleans()):
        value = ir.make("Add", 1, [value, value])  # a second use: no residual fusion
    value = ir.make(draw(st.sampled_from(["Relu", "Sigmoid", "Abs"])), 1, [value])
    if draw(st.booleans()):
        value = ir.make("MaxPool", 14, [value], strides=[1, 1], pads_begin=[0, 0],
                        pads_end=[0, 0], kernel=[1, 1]).outputs[0]
    image = rng.standard_normal((1, channels, *size)).astype(np.float32)
    return ir.Graph([x], [value]), [image]


@settings(max_examples=10, deadline=None)
@given(conv_blocks())
def test_random_conv_blocks(case):
    graph, inputs = case
    _compare(graph, inputs)


@settings(max_examples=10, deadline=None)
@given(graph_cases(max_steps=5))
def test_random_elementwise_graphs(case):
    _compare(case.graph, case.inputs)
