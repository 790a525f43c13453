"""CPU against TEMPLATE for transposed convolutions
(codegen/lowering/transposed_convolution.py)."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import transposed_convolution
from vinify.codegen.lowering.context import LOWERINGS
from vinify.runtime import Core

RNG = np.random.default_rng(31)


def data(*shape):
    return RNG.normal(0, 1, shape).astype(np.float32)


CASES = [  # (x shape, w shape, grouped, attrs, output_shape)
    ((1, 2, 5), (2, 3, 3), False, dict(strides=[2], dilations=[1], pads_begin=[1],
                                       pads_end=[0], output_padding=[1]), None),
    ((2, 3, 4, 5), (3, 2, 3, 2), False, dict(strides=[2, 3], dilations=[1, 2],
                                             pads_begin=[0, 1], pads_end=[1, 0]), None),
    ((1, 2, 3, 3), (2, 4, 3, 3), False, dict(strides=[2, 2], dilations=[1, 1], pads_begin=[0, 0],
                                             pads_end=[0, 0], auto_pad="same_upper"), [6, 6]),
    ((1, 4, 3, 3), (2, 2, 3, 3, 3), True, dict(strides=[1, 2], dilations=[1, 1],
                                               pads_begin=[1, 1], pads_end=[1, 1]), None),
    ((1, 1, 2, 3, 2), (1, 2, 2, 2, 2), False, dict(strides=[1, 2, 1], dilations=[1, 1, 1],
                                                   pads_begin=[0, 0, 0], pads_end=[0, 0, 0]),
     None),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{len(c[0]) - 2}d{'g' if c[2] else ''}")
@pytest.mark.parametrize("runtime_weights", [False, True])
def test_transposed_convolution(case, runtime_weights):
    x_shape, w_shape, grouped, attrs, output_shape = case
    x = ir.parameter("x", "f32", x_shape)
    weights = data(*w_shape)
    w = ir.parameter("w", "f32", w_shape) if runtime_weights else ir.constant(weights)
    inputs = [x, w] + ([ir.constant(np.array(output_shape, np.int64))] if output_shape else [])
    name = "GroupConvolutionBackpropData" if grouped else "ConvolutionBackpropData"
    params = [x, w] if runtime_weights else [x]
    graph = ir.Graph(params, [ir.make(name, 1, inputs, **attrs)])
    feeds = [data(*x_shape)] + ([weights] if runtime_weights else [])
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(feeds)
    actual = core.compile_model(graph, "CPU")(feeds)
    np.testing.assert_allclose(np.asarray(actual[0]), np.asarray(expected[0]), rtol=1e-5,
                               atol=1e-5)


def test_transposed_convolutions_are_lowered_here():
    for name in ("ConvolutionBackpropData", "GroupConvolutionBackpropData"):
        assert LOWERINGS[name] is transposed_convolution.lower_transposed_convolution
