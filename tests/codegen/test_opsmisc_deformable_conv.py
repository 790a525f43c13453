"""CPU and GPU against TEMPLATE for DeformableConvolution (codegen/lowering/deformable_conv.py):
padding, strides, dilations, groups, deformable groups, masks, points off the image with and
without bilinear_interpolation_pad."""

import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

RNG = np.random.default_rng(71)


def deformable_graph(data_shape, filter_shape, out_hw, with_mask=False, deformable_group=1,
                     **attrs):
    n, taps = data_shape[0], filter_shape[2] * filter_shape[3]
    data = ir.parameter("data", "f32", data_shape)
    offsets = ir.parameter("offsets", "f32", (n, deformable_group * taps * 2) + out_hw)
    filters = ir.parameter("filters", "f32", filter_shape)
    params = [data, offsets, filters]
    if with_mask:
        params.append(ir.parameter("mask", "f32", (n, deformable_group * taps) + out_hw))
    settings = {"strides": [1, 1], "pads_begin": [0, 0], "pads_end": [0, 0],
                "dilations": [1, 1], "deformable_group": deformable_group, **attrs}
    y = ir.make("DeformableConvolution", 8, params, **settings)
    return ir.Graph(params, [y])


def feeds(graph):
    arrays = []
    for value in graph.inputs:
        scale = 1.5 if value.name == "offsets" else 1.0
        arrays.append(RNG.normal(0, scale, value.shape.to_tuple()).astype(np.float32))
    return arrays


CASES = [
    ((1, 1, 3, 3), (1, 1, 2, 2), (4, 4), {"pads_begin": [1, 1], "pads_end": [1, 1],
                                          "bilinear_interpolation_pad": True}),
    ((1, 1, 3, 3), (1, 1, 2, 2), (2, 2), {"with_mask": True}),
    ((1, 2, 3, 3), (1, 2, 2, 2), (2, 2), {"deformable_group": 2,
                                          "bilinear_interpolation_pad": True}),
    ((2, 4, 5, 6), (6, 2, 3, 2), (2, 3), {"group": 2, "deformable_group": 2,
                                          "strides": [2, 2], "dilations": [1, 2],
                                          "pads_begin": [1, 0], "pads_end": [0, 1]}),
]


@pytest.mark.parametrize("data_shape,filter_shape,out_hw,attrs", CASES)
def test_deformable_convolution_matches_template(data_shape, filter_shape, out_hw, attrs):
    graph = deformable_graph(data_shape, filter_shape, out_hw, **attrs)
    device_check.check_against_template(graph, feeds(graph), "CPU", rtol=1e-4, atol=1e-4)


def test_deformable_convolution_on_gpu():
    graph = deformable_graph((1, 2, 4, 4), (2, 2, 2, 2), (3, 3), with_mask=True,
                             deformable_group=2)
    device_check.check_against_template(graph, feeds(graph), "GPU", rtol=1e-4, atol=1e-4)
