"""GPU (OpenCL through pyopencl; PoCL on machines without a GPU driver) against TEMPLATE, one op
family at a time (rtol 1e-3, atol 1e-4 in f32)."""

import numpy as np
import pytest
from vinify import ir
from vinify.errors import DeviceError
from vinify.runtime import Core

from tests.codegen import device_check

RNG = np.random.default_rng(17)


def random(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


def check_against_template(graph, inputs):
    device_check.check_against_template(graph, inputs, "GPU")


CONV_CASES = [
    # (in_shape, weights_shape, strides, pads_begin, pads_end, dilations, groups)
    ((1, 3, 11, 13), (8, 3, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 1),
    ((1, 4, 12, 12), (7, 4, 1, 1), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    ((2, 5, 9, 10), (13, 5, 3, 2), (2, 3), (1, 0), (2, 1), (1, 1), 1),
    ((1, 6, 15, 15), (6, 6, 3, 3), (1, 1), (2, 2), (2, 2), (2, 2), 1),
    ((1, 6, 9, 9), (9, 2, 3, 3), (2, 2), (1, 1), (0, 0), (1, 1), 3),
    ((1, 8, 10, 10), (8, 1, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 8),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[0]}x{c[1]}g{c[6]}")
def test_convolutions_with_batch_norm_bias_and_relu(case):
    in_shape, w_shape, strides, pads_begin, pads_end, dilations, groups = case
    x = ir.parameter("x", "f32", in_shape)
    attrs = dict(strides=strides, pads_begin=pads_begin, pads_end=pads_end, dilations=dilations)
    if groups == 1:
        conv = ir.make("Convolution", 1, [x, ir.constant(random(*w_shape))], **attrs)
    else:
        grouped = random(*w_shape).reshape(groups, w_shape[0] // groups, *w_shape[1:])
        conv = ir.make("GroupConvolution", 1, [x, ir.constant(grouped)], **attrs)
    out_channels = w_shape[0]
    params = [ir.constant(random(out_channels, low=0.5, high=1.5)),
              ir.constant(random(out_channels)), ir.constant(random(out_channels)),
              ir.constant(random(out_channels, low=0.5, high=1.5))]
    norm = ir.make("BatchNormInference", 5, [conv, *params], epsilon=1e-5)
    bias = ir.make("Add", 1, [norm, ir.constant(random(1, out_channels, 1, 1))])
    graph = ir.Graph([x], [ir.make("Relu", 1, [bias])])
    check_against_template(graph, [random(*in_shape)])


def test_convolution_with_residual_add_and_clamp():
    x = ir.parameter("x", "f32", [1, 16, 9, 9])
    left = ir.make("Convolution", 1, [x, ir.constant(random(16, 16, 3, 3))], strides=[1, 1],
                   pads_begin=[1, 1], pads_end=[1, 1], dilations=[1, 1])
    right = ir.make("Convolution", 1, [x, ir.constant(random(16, 16, 1, 1))], strides=[1, 1],
                    pads_begin=[0, 0], pads_end=[0, 0], dilations=[1, 1])
    total = ir.make("Add", 1, [left, right])
    graph = ir.Graph([x], [ir.make("Clamp", 1, [total], min=-0.5, max=0.5)])
    check_against_template(graph, [random(1, 16, 9, 9)])


@pytest.mark.parametrize("rows, transpose_b", [(1, False), (13, True)])
def test_matmul_with_constant_weights_and_bias(rows, transpose_b):
    x = ir.parameter("x", "f32", [rows, 37])
    weights = random(70, 37) if transpose_b else random(37, 70)
    product = ir.make("MatMul", 1, [x, ir.constant(weights)], transpose_b=transpose_b)
    graph = ir.Graph([x], [ir.make("Add", 1, [product, ir.constant(random(70))])])
    check_against_template(graph, [random(rows, 37)])


def test_matmul_of_two_runtime_operands():
    a, b = ir.parameter("a", "f32", [5, 19]), ir.parameter("b", "f32", [19, 23])
    graph = ir.Graph([a, b], [ir.make("MatMul", 1, [a, b])])
    check_against_template(graph, [random(5, 19), random(19, 23)])


@pytest.mark.parametrize("op, extra", [("MaxPool", {}), ("AvgPool", {"exclude-pad": True})])
def test_pooling(op, extra):
    x = ir.parameter("x", "f32", [1, 3, 11, 12])
    pool = ir.make(op, 14 if op == "MaxPool" else 1, [x], strides=[2, 2], pads_begin=[1, 0],
                   pads_end=[1, 1], kernel=[3, 3], rounding_type="ceil", **extra)
    graph = ir.Graph([x], [pool.outputs[0] if op == "MaxPool" else pool])
    check_against_template(graph, [random(1, 3, 11, 12)])


def test_softmax_lrn_reduce_mean_concat_and_transpose():
    x = ir.parameter("x", "f32", [1, 4, 5, 6])
    lrn = ir.make("LRN", 1, [x, ir.constant(np.array([1], np.int64))], alpha=1e-2, beta=0.75,
                  bias=1.0, size=3)
    both = ir.make("Concat", 1, [lrn, x], axis=1)
    swapped = ir.make("Transpose", 1, [both, ir.constant(np.array([0, 2, 3, 1], np.int64))])
    mean = ir.make("ReduceMean", 1, [swapped, ir.constant(np.array([1, 2], np.int64))],
                   keep_dims=False)
    soft = ir.make("Softmax", 8, [mean], axis=-1)
    inner = ir.make("Softmax", 8, [both], axis=1)
    check_against_template(ir.Graph([x], [soft, inner]), [random(1, 4, 5, 6)])


def test_broadcast_elementwise_chain_and_unary_functions():
    a, b = ir.parameter("a", "f32", [2, 3, 17]), ir.parameter("b", "f32", [3, 1])
    mixed = ir.make("Multiply", 1, [ir.make("Subtract", 1, [a, b]), ir.make("Sigmoid", 1, [a])])
    bounded = ir.make("Maximum", 1, [mixed, ir.constant(np.float32(0.1))])
    curved = ir.make("Tanh", 1, [ir.make("Exp", 1, [ir.make("Abs", 1, [a])])])
    power = ir.make("Power", 1, [ir.make("Abs", 1, [a]), ir.constant(np.float32(1.5))])
    graph = ir.Graph([a, b], [bounded, curved, power])
    check_against_template(graph, [random(2, 3, 17), random(3, 1)])


def test_integer_conversions_and_views():
    x = ir.parameter("x", "f32", [4, 6])
    as_int = ir.make("Convert", 1, [ir.make("Multiply", 1, [x, ir.constant(np.float32(9))])],
                     destination_type="i32")
    back = ir.make("Convert", 1, [as_int], destination_type="f32")
    shape = ir.constant(np.array([3, 8], np.int64))
    reshaped = ir.make("Reshape", 1, [back, shape], special_zero=False)
    graph = ir.Graph([x], [reshaped, as_int, x])
    check_against_template(graph, [random(4, 6)])


def scatter_rows(data, name: str = ""):
    """ScatterUpdate-3, an op the GPU has no lowering for."""
    return ir.make("ScatterUpdate", 3, [data, ir.constant(np.array([2], np.int64)),
                                        ir.constant(np.ones((1, 5), np.float32)),
                                        ir.constant(np.int64(0))], name=name)


def test_unsupported_op_is_a_device_error_naming_the_node():
    x = ir.parameter("x", "f32", [4, 5])
    node = scatter_rows(x, name="row_update")
    with pytest.raises(DeviceError, match=r"GPU cannot compile 1 node.*row_update.*HETERO"):
        Core().compile_model(ir.Graph([x], [node]), "GPU")


def test_hetero_runs_what_the_gpu_cannot_on_template():
    x = ir.parameter("x", "f32", [4, 5])
    total = scatter_rows(ir.make("Relu", 1, [x]))
    graph = ir.Graph([x], [ir.make("Sigmoid", 1, [total])])
    inputs = [random(4, 5)]
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(inputs)[0]
    compiled = core.compile_model(graph, "HETERO:GPU,TEMPLATE")
    np.testing.assert_allclose(compiled(inputs)[0], expected, rtol=1e-3, atol=1e-4)


def test_convolution_with_runtime_weights():
    x, w = ir.parameter("x", "f32", [1, 4, 7, 7]), ir.parameter("w", "f32", [6, 2, 3, 3])
    conv = ir.make("GroupConvolution", 1, [x, ir.make("Reshape", 1, [
        w, ir.constant(np.array([2, 3, 2, 3, 3], np.int64))], special_zero=False)],
        strides=[2, 2], pads_begin=[1, 1], pads_end=[1, 1], dilations=[1, 1])
    check_against_template(ir.Graph([x, w], [conv]), [random(1, 4, 7, 7), random(6, 2, 3, 3)])


def test_maximum_and_minimum_propagate_nan_like_numpy():
    a, b = ir.parameter("a", "f32", [2, 8]), ir.parameter("b", "f32", [2, 8])
    graph = ir.Graph([a, b], [ir.make("Maximum", 1, [a, b]), ir.make("Minimum", 1, [a, b])])
    left, right = random(2, 8), random(2, 8)
    left[0, 1], right[1, 2], left[1, 5], right[1, 5] = np.nan, np.nan, np.nan, np.nan
    check_against_template(graph, [left, right])
