"""CPU device against TEMPLATE, one op family at a time (rtol 1e-3, atol 1e-4)."""

import numpy as np
import pytest
from vinify import ir
from vinify.errors import DeviceError
from vinify.runtime import Core

from tests.codegen import device_check

RNG = np.random.default_rng(7)


def random(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, shape).astype(np.float32)


def check_against_template(graph, inputs):
    device_check.check_against_template(graph, inputs, "CPU")


CONV_CASES = [
    # (in_shape, weights_shape, strides, pads_begin, pads_end, dilations, groups)
    ((1, 3, 11, 13), (8, 3, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 1),
    ((1, 4, 12, 12), (7, 4, 1, 1), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    ((2, 5, 9, 10), (13, 5, 3, 2), (2, 3), (1, 0), (2, 1), (1, 1), 1),
    ((1, 6, 15, 15), (6, 6, 3, 3), (1, 1), (2, 2), (2, 2), (2, 2), 1),
    ((1, 8, 10, 10), (8, 1, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 8),
    ((1, 6, 9, 9), (9, 2, 3, 3), (2, 2), (1, 1), (0, 0), (1, 1), 3),
    ((1, 3, 30, 30), (70, 3, 7, 7), (2, 2), (3, 3), (3, 3), (1, 1), 1),
    # small feature maps with long reductions: computed transposed (vectors over channels)
    ((1, 32, 7, 7), (96, 32, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 1),
    ((1, 300, 7, 7), (96, 300, 1, 1), (1, 1), (0, 0), (0, 0), (1, 1), 1),
    ((1, 64, 7, 7), (96, 32, 3, 3), (1, 1), (1, 1), (1, 1), (1, 1), 2),
    ((1, 160, 7, 7), (200, 160, 1, 1), (1, 1), (0, 0), (0, 0), (1, 1), 1),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[0]}x{c[1]}g{c[6]}")
def test_convolutions_with_bias_batch_norm_and_relu(case):
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
    check_against_template(graph, [random(*in_shape)])


@pytest.mark.parametrize("channels,size", [(16, 9), (160, 7)])
def test_convolution_with_residual_add_and_clamp(channels, size):
    x = ir.parameter("x", "f32", [1, channels, size, size])
    left = ir.make("Convolution", 1, [x, ir.constant(random(channels, channels, 3, 3))],
                   strides=[1, 1], pads_begin=[1, 1], pads_end=[1, 1], dilations=[1, 1])
    right = ir.make("Convolution", 1, [x, ir.constant(random(channels, channels, 1, 1))],
                    strides=[1, 1], pads_begin=[0, 0], pads_end=[0, 0], dilations=[1, 1])
    total = ir.make("Add", 1, [left, right])
    graph = ir.Graph([x], [ir.make("Clamp", 1, [total], min=-0.5, max=0.5)])
    check_against_template(graph, [random(1, channels, size, size)])


@pytest.mark.parametrize("transpose_b", [False, True])
@pytest.mark.parametrize("rows", [1, 7])
def test_matmul_with_constant_weights_and_bias(rows, transpose_b):
    x = ir.parameter("x", "f32", [rows, 40])
    weights = random(70, 40) if transpose_b else random(40, 70)
    product = ir.make("MatMul", 1, [x, ir.constant(weights)], transpose_b=transpose_b)
    graph = ir.Graph([x], [ir.make("Add", 1, [product, ir.constant(random(70))])])
    check_against_template(graph, [random(rows, 40)])


def test_matmul_of_two_runtime_operands():
    a, b = ir.parameter("a", "f32", [2, 3, 17]), ir.parameter("b", "f32", [17, 33])
    graph = ir.Graph([a, b], [ir.make("MatMul", 1, [a, b])])
    check_against_template(graph, [random(2, 3, 17), random(17, 33)])


@pytest.mark.parametrize("op,extra", [
    ("MaxPool", {}), ("AvgPool", {"exclude-pad": True}), ("AvgPool", {"exclude-pad": False})])
@pytest.mark.parametrize("rounding", ["floor", "ceil"])
def test_pooling(op, extra, rounding):
    x = ir.parameter("x", "f32", [1, 3, 13, 12])
    pool = ir.make(op, 14, [x], strides=[2, 2], pads_begin=[1, 0], pads_end=[1, 1],
                   kernel=[3, 3], rounding_type=rounding, **extra)
    check_against_template(ir.Graph([x], [pool.outputs[0]]), [random(1, 3, 13, 12)])


def test_softmax_lrn_reduce_mean_concat_and_transpose():
    x = ir.parameter("x", "f32", [1, 6, 5, 7])
    lrn = ir.make("LRN", 1, [x, ir.constant(np.array([1], np.int64))], alpha=1e-2, beta=0.75,
                  bias=1.0, size=3)
    both = ir.make("Concat", 1, [lrn, x], axis=1)
    swapped = ir.make("Transpose", 1, [both, ir.constant(np.array([0, 2, 3, 1], np.int64))])
    mean = ir.make("ReduceMean", 1, [swapped, ir.constant(np.array([1, 2], np.int64))],
                   keep_dims=False)
    soft = ir.make("Softmax", 8, [mean], axis=-1)
    inner = ir.make("Softmax", 8, [both], axis=1)
    check_against_template(ir.Graph([x], [soft, inner]), [random(1, 6, 5, 7)])


def test_broadcast_elementwise_chain():
    a, b = ir.parameter("a", "f32", [2, 3, 37]), ir.parameter("b", "f32", [3, 1])
    mixed = ir.make("Multiply", 1, [ir.make("Subtract", 1, [a, b]), ir.make("Sigmoid", 1, [a])])
    graph = ir.Graph([a, b], [ir.make("Maximum", 1, [mixed, ir.constant(np.float32(0.1))])])
    check_against_template(graph, [random(2, 3, 37), random(3, 1)])


def test_reshape_is_a_view_and_outputs_get_their_own_buffers():
    x = ir.parameter("x", "f32", [2, 6])
    shape = ir.constant(np.array([3, 4], np.int64))
    reshaped = ir.make("Reshape", 1, [x, shape], special_zero=False)
    graph = ir.Graph([x], [reshaped, x, ir.make("Relu", 1, [reshaped])])
    check_against_template(graph, [random(2, 6)])


def test_unsupported_node_is_a_device_error_naming_it_and_the_reason():
    x = ir.parameter("x", "f32", [6])
    node = ir.make("Unique", 10, [x], name="distinct")  # output sizes depend on the data
    after = ir.make("Relu", 1, [node.outputs[0]])  # a count-sized value computed on: refused
    with pytest.raises(DeviceError, match="distinct.*Unique"):
        Core().compile_model(ir.Graph([x], [after]), "CPU")


def test_kernels_are_cached_by_content_in_cache_dir(tmp_path, monkeypatch):
    from vinify.codegen import cpu_compiler
    from vinify.codegen.llvm import native

    x = ir.parameter("x", "f32", [3, 33])
    graph = ir.Graph([x], [ir.make("Relu", 1, [x])])
    cpu_compiler._MEMORY_CACHE.clear()
    first = cpu_compiler.compile_to_blob(graph, {"CACHE_DIR": str(tmp_path)})
    assert len(list((tmp_path / "cpu-kernels").glob("*.so"))) == 1
    cpu_compiler._MEMORY_CACHE.clear()

    def no_llvm(*args, **kwargs):
        raise AssertionError("LLVM ran although the kernels were cached")

    monkeypatch.setattr(native, "compile_objects", no_llvm)
    second = cpu_compiler.compile_to_blob(graph, {"CACHE_DIR": str(tmp_path)})
    assert len(second) == len(first)
