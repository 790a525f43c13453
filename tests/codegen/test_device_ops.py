"""CPU and GPU against TEMPLATE, one op family at a time (rtol 1e-3, atol 1e-4 in f32).

Both devices render the same kernel IR but schedule GEMMs, convolutions and pools their own
way, so every case runs on both. Device-only behaviour (caches, HETERO, refusals) lives in
test_cpu_ops.py and opencl/test_gpu_ops.py.
"""

import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

DEVICES = ["CPU", "GPU"]
RNG = np.random.default_rng(7)


def random(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


CONV_CASES = [
    # (in_shape, weights_shape, strides, pads_begin, pads_end, dilations, groups)
    ((1, 3, 11, 13), (8, 3, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 1),
    ((1, 4, 12, 12), (7, 4, 1, 1), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    ((2, 5, 9, 10), (13, 5, 3, 2), (2, 3), (1, 0), (2, 1), (1, 1), 1),
    ((1, 6, 15, 15), (6, 6, 3, 3), (1, 1), (2, 2), (2, 2), (2, 2), 1),
    ((1, 8, 10, 10), (8, 1, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 8),
    ((1, 6, 9, 9), (9, 2, 3, 3), (2, 2), (1, 1), (0, 0), (1, 1), 3),
    ((1, 3, 30, 30), (70, 3, 7, 7), (2, 2), (3, 3), (3, 3), (1, 1), 1),
    # small feature maps with long reductions: the CPU computes them transposed
    ((1, 32, 7, 7), (96, 32, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 1),
    ((1, 300, 7, 7), (96, 300, 1, 1), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    ((1, 64, 7, 7), (96, 32, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 2),
    ((1, 160, 7, 7), (200, 160, 1, 1), (1, 1), (0, 0), (0, 0), (1, 1), 1),
]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[0]}x{c[1]}g{c[6]}")
def test_convolutions_with_bias_batch_norm_and_relu(case, device):
    in_shape, w_shape, strides, pads_begin, pads_end, dilations, groups = case
    x = ir.parameter("x", "f32", in_shape)
    attrs = dict(strides=strides, pads_begin=pads_begin, pads_end=pads_end, dilations=dilations)
    out_channels = w_shape[0]
    if groups == 1:
        conv = ir.make("Convolution", 1, [x, ir.constant(random(*w_shape))], **attrs)
    else:
        grouped = random(*w_shape).reshape(groups, out_channels // groups, *w_shape[1:])
        conv = ir.make("GroupConvolution", 1, [x, ir.constant(grouped)], **attrs)
    params = [ir.constant(random(out_channels, low=lo, high=hi))
              for lo, hi in ((0.5, 1.5), (-1, 1), (-1, 1), (0.5, 1.5))]
    norm = ir.make("BatchNormInference", 5, [conv, *params], epsilon=1e-5)
    bias = ir.make("Add", 1, [norm, ir.constant(random(1, out_channels, 1, 1))])
    graph = ir.Graph([x], [ir.make("Relu", 1, [bias])])
    device_check.check_against_template(graph, [random(*in_shape)], device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("channels,size", [(16, 9), (160, 7)])
def test_convolution_with_residual_add_and_clamp(channels, size, device):
    x = ir.parameter("x", "f32", [1, channels, size, size])
    left = ir.make("Convolution", 1, [x, ir.constant(random(channels, channels, 3, 3))],
                   strides=[1, 1], pads_begin=[1, 1], pads_end=[1, 1], dilations=[1, 1])
    right = ir.make("Convolution", 1, [x, ir.constant(random(channels, channels, 1, 1))],
                    strides=[1, 1], pads_begin=[0, 0], pads_end=[0, 0], dilations=[1, 1])
    total = ir.make("Add", 1, [left, right])
    graph = ir.Graph([x], [ir.make("Clamp", 1, [total], min=-0.5, max=0.5)])
    device_check.check_against_template(graph, [random(1, channels, size, size)], device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize("rows", [1, 13])
def test_matmul_with_constant_weights_and_bias(rows, transpose_b, device):
    x = ir.parameter("x", "f32", [rows, 37])
    weights = random(70, 37) if transpose_b else random(37, 70)
    product = ir.make("MatMul", 1, [x, ir.constant(weights)], transpose_b=transpose_b)
    graph = ir.Graph([x], [ir.make("Add", 1, [product, ir.constant(random(70))])])
    device_check.check_against_template(graph, [random(rows, 37)], device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("a_shape,b_shape", [((5, 19), (19, 23)), ((2, 3, 17), (17, 33))])
def test_matmul_of_two_runtime_operands(a_shape, b_shape, device):
    a, b = ir.parameter("a", "f32", a_shape), ir.parameter("b", "f32", b_shape)
    graph = ir.Graph([a, b], [ir.make("MatMul", 1, [a, b])])
    device_check.check_against_template(graph, [random(*a_shape), random(*b_shape)], device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("op,extra", [
    ("MaxPool", {}), ("AvgPool", {"exclude-pad": True}), ("AvgPool", {"exclude-pad": False})])
@pytest.mark.parametrize("rounding", ["floor", "ceil"])
def test_pooling(op, extra, rounding, device):
    x = ir.parameter("x", "f32", [1, 3, 13, 12])
    pool = ir.make(op, 14, [x], strides=[2, 2], pads_begin=[1, 0], pads_end=[1, 1],
                   kernel=[3, 3], rounding_type=rounding, **extra)
    device_check.check_against_template(ir.Graph([x], [pool.outputs[0]]),
                                        [random(1, 3, 13, 12)], device)


@pytest.mark.parametrize("device", DEVICES)
def test_softmax_lrn_reduce_mean_concat_and_transpose(device):
    x = ir.parameter("x", "f32", [1, 6, 5, 7])
    lrn = ir.make("LRN", 1, [x, ir.constant(np.array([1], np.int64))], alpha=1e-2, beta=0.75,
                  bias=1.0, size=3)
    both = ir.make("Concat", 1, [lrn, x], axis=1)
    swapped = ir.make("Transpose", 1, [both, ir.constant(np.array([0, 2, 3, 1], np.int64))])
    mean = ir.make("ReduceMean", 1, [swapped, ir.constant(np.array([1, 2], np.int64))],
                   keep_dims=False)
    soft = ir.make("Softmax", 8, [mean], axis=-1)
    inner = ir.make("Softmax", 8, [both], axis=1)
    device_check.check_against_template(ir.Graph([x], [soft, inner]), [random(1, 6, 5, 7)],
                                        device)


@pytest.mark.parametrize("device", DEVICES)
def test_broadcast_elementwise_chain_and_unary_functions(device):
    a, b = ir.parameter("a", "f32", [2, 3, 37]), ir.parameter("b", "f32", [3, 1])
    mixed = ir.make("Multiply", 1, [ir.make("Subtract", 1, [a, b]), ir.make("Sigmoid", 1, [a])])
    bounded = ir.make("Maximum", 1, [mixed, ir.constant(np.float32(0.1))])
    curved = ir.make("Tanh", 1, [ir.make("Exp", 1, [ir.make("Abs", 1, [a])])])
    power = ir.make("Power", 1, [ir.make("Abs", 1, [a]), ir.constant(np.float32(1.5))])
    graph = ir.Graph([a, b], [bounded, curved, power])
    device_check.check_against_template(graph, [random(2, 3, 37), random(3, 1)], device)


@pytest.mark.parametrize("device", DEVICES)
def test_integer_conversions_and_views(device):
    x = ir.parameter("x", "f32", [4, 6])
    as_int = ir.make("Convert", 1, [ir.make("Multiply", 1, [x, ir.constant(np.float32(9))])],
                     destination_type="i32")
    back = ir.make("Convert", 1, [as_int], destination_type="f32")
    shape = ir.constant(np.array([3, 8], np.int64))
    reshaped = ir.make("Reshape", 1, [back, shape], special_zero=False)
    graph = ir.Graph([x], [reshaped, as_int, x])
    device_check.check_against_template(graph, [random(4, 6)], device)


@pytest.mark.parametrize("device", DEVICES)
def test_reshape_is_a_view_and_outputs_get_their_own_buffers(device):
    x = ir.parameter("x", "f32", [2, 6])
    shape = ir.constant(np.array([3, 4], np.int64))
    reshaped = ir.make("Reshape", 1, [x, shape], special_zero=False)
    graph = ir.Graph([x], [reshaped, x, ir.make("Relu", 1, [reshaped])])
    device_check.check_against_template(graph, [random(2, 6)], device)
