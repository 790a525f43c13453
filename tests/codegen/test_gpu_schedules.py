"""GPU scheduling choices against TEMPLATE: what the scheduled GEMM reads and how many kernels a
graph launches (rtol 1e-3, atol 1e-4 in f32)."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.opencl.compiler import compile_to_gpu_blob
from vinify.codegen.opencl.target import OpenClDeviceProfile
from vinify.runtime.blob import read_blob

from tests.codegen import device_check

RNG = np.random.default_rng(23)
POCL_LIKE = OpenClDeviceProfile("test CPU", device_type="CPU", compute_units=2,
                                local_memory_bytes=1 << 20, native_float_width=16,
                                max_work_group_size=4096)


def random(*shape):
    return RNG.uniform(-1.0, 1.0, shape).astype(np.float32)


def launches(graph: ir.Graph, profile: OpenClDeviceProfile = POCL_LIKE) -> list[dict]:
    return read_blob(compile_to_gpu_blob(graph, profile)).metadata["kernels"]


def pointwise_convolution(batch: int, channels: int, out_channels: int, size: int,
                          residual: bool = False) -> ir.Graph:
    x = ir.parameter("x", "f32", [batch, channels, size, size])
    conv = ir.make("Convolution", 1, [x, ir.constant(random(out_channels, channels, 1, 1))],
                   strides=[1, 1], pads_begin=[0, 0], pads_end=[0, 0], dilations=[1, 1])
    if residual:
        other = ir.parameter("r", "f32", [batch, out_channels, size, size])
        return ir.Graph([x, other], [ir.make("Relu", 1, [ir.make("Add", 1, [conv, other])])])
    return ir.Graph([x], [ir.make("Relu", 1, [conv])])


@pytest.mark.parametrize("batch, channels, out_channels, size", [
    (2, 3, 5, 2),  # 4 columns: every row's panel reaches past the image
    (1, 64, 24, 14),  # 196 columns: one partial panel at the end
    (3, 17, 9, 9),  # panels crossing into the next image
])
def test_pointwise_convolution_reads_its_input_in_place(batch, channels, out_channels, size):
    graph = pointwise_convolution(batch, channels, out_channels, size)
    assert [launch["name"] for launch in launches(graph)] != [] and not any(
        launch["name"] == "im2col_rows" for launch in launches(graph))
    device_check.check_against_template(graph, [random(batch, channels, size, size)], "GPU")


def test_pointwise_convolution_with_residual_on_unaligned_columns():
    graph = pointwise_convolution(1, 40, 16, 7, residual=True)
    device_check.check_against_template(graph, [random(1, 40, 7, 7), random(1, 16, 7, 7)],
                                        "GPU")


@pytest.mark.parametrize("m, k, n", [(3, 9, 5), (7, 300, 70), (1, 2, 1)])
def test_matmul_of_runtime_operands_with_narrow_right_operand(m, k, n):
    a, b = ir.parameter("a", "f32", [m, k]), ir.parameter("b", "f32", [k, n])
    graph = ir.Graph([a, b], [ir.make("MatMul", 1, [a, b])])
    device_check.check_against_template(graph, [random(m, k), random(k, n)], "GPU")


def convolution(in_shape, weights_shape, pads_begin, pads_end, dilations, groups=1,
                residual=False, bias=True) -> ir.Graph:
    """A stride-1 convolution with batch norm, bias and ReLU (and a residual input)."""
    x = ir.parameter("x", "f32", in_shape)
    attrs = dict(strides=[1, 1], pads_begin=pads_begin, pads_end=pads_end, dilations=dilations)
    if groups == 1:
        conv = ir.make("Convolution", 1, [x, ir.constant(random(*weights_shape))], **attrs)
    else:
        grouped = random(*weights_shape).reshape(groups, -1, *weights_shape[1:])
        conv = ir.make("GroupConvolution", 1, [x, ir.constant(grouped)], **attrs)
    out_channels = weights_shape[0]
    scale = ir.constant(RNG.uniform(0.5, 1.5, out_channels).astype(np.float32))
    value = ir.make("BatchNormInference", 5, [conv, scale, ir.constant(random(out_channels)),
                                              ir.constant(random(out_channels)), scale],
                    epsilon=1e-5)
    if bias:
        value = ir.make("Add", 1, [value, ir.constant(random(1, out_channels, 1, 1))])
    parameters = [x]
    if residual:
        other = ir.parameter("r", "f32", list(value.outputs[0].shape.to_tuple()))
        value, parameters = ir.make("Add", 1, [value, other]), [x, other]
    return ir.Graph(parameters, [ir.make("Relu", 1, [value])])


@pytest.mark.parametrize("in_shape, weights_shape, pads_begin, pads_end, dilations, groups", [
    ((1, 3, 11, 13), (8, 3, 3, 3), (1, 1), (1, 1), (1, 1), 1),
    ((2, 5, 9, 10), (13, 5, 3, 2), (1, 0), (2, 1), (1, 1), 1),  # asymmetric pads, batch 2
    ((1, 6, 15, 15), (6, 6, 3, 3), (2, 2), (2, 2), (2, 2), 1),  # dilated
    ((1, 8, 10, 10), (8, 1, 3, 3), (1, 1), (1, 1), (1, 1), 8),  # depthwise
    ((2, 6, 7, 7), (9, 2, 5, 5), (2, 2), (2, 2), (1, 1), 3),  # grouped, 5x5 on 7x7
    ((1, 4, 6, 6), (5, 4, 3, 3), (0, 0), (0, 0), (1, 1), 1),  # no padding
])
def test_stride_one_convolutions_read_a_padded_copy(in_shape, weights_shape, pads_begin,
                                                   pads_end, dilations, groups):
    graph = convolution(in_shape, weights_shape, pads_begin, pads_end, dilations, groups)
    names = [launch["name"] for launch in launches(graph)]
    assert "im2col_rows" not in names and "pad_rows" in names
    device_check.check_against_template(graph, [random(*in_shape)], "GPU")


def test_stride_one_convolution_with_residual_without_bias():
    graph = convolution((1, 7, 12, 12), (16, 7, 3, 3), (1, 1), (1, 1), (1, 1), residual=True,
                        bias=False)
    device_check.check_against_template(graph, [random(1, 7, 12, 12), random(1, 16, 12, 12)],
                                        "GPU")


def test_strided_convolutions_still_use_im2col():
    x = ir.parameter("x", "f32", [1, 3, 17, 17])
    conv = ir.make("Convolution", 1, [x, ir.constant(random(4, 3, 3, 3))], strides=[2, 2],
                   pads_begin=[1, 1], pads_end=[1, 1], dilations=[1, 1])
    graph = ir.Graph([x], [conv])
    assert "im2col_rows" in [launch["name"] for launch in launches(graph)]
    device_check.check_against_template(graph, [random(1, 3, 17, 17)], "GPU")


def test_serial_copies_and_flat_maps_are_split_across_work_items():
    a, b = ir.parameter("a", "f32", [1, 8, 33, 31]), ir.parameter("b", "f32", [1, 8, 33, 31])
    joined = ir.make("Concat", 1, [a, ir.make("Add", 1, [a, b])], axis=1)
    graph = ir.Graph([a, b], [joined])
    sizes = [launch["global"][0] for launch in launches(graph)]
    assert sizes and all(size > 1 for size in sizes)
    device_check.check_against_template(graph, [random(1, 8, 33, 31), random(1, 8, 33, 31)],
                                        "GPU")


def test_a_loop_reading_what_it_writes_stays_serial():
    from vinify.codegen import kernel_ir as K
    from vinify.codegen.opencl.parallelize import split_kernel

    data, i = K.Buffer("data", "f32", 10000), K.Var("i")
    shifted = K.Store(data, K.Binary("add", i, K.Const(1)), K.Load(data, i))
    kernel = K.Kernel("k", [K.Loop(i, K.Const(0), K.Const(9999), (shifted,))])
    assert split_kernel(kernel, 8) is kernel
    out = K.Buffer("out", "f32", 10000)
    copy = K.Kernel("c", [K.Loop(i, K.Const(0), K.Const(10000), (
        K.Store(out, i, K.Load(data, i, 4), None),), step=4)])
    split = split_kernel(copy, 8)
    assert split.body[0].parallel and split.body[0].stop == K.Const(8)


@pytest.mark.parametrize("m, k, n", [(1, 300, 150), (9, 600, 70), (4, 5, 200)])
def test_matmul_with_constant_weights_packed_in_panels(m, k, n):
    x = ir.parameter("x", "f32", [m, k])
    product = ir.make("MatMul", 1, [x, ir.constant(random(k, n))])
    graph = ir.Graph([x], [ir.make("Relu", 1, [ir.make("Add", 1, [product, ir.constant(
        random(n))])])])
    device_check.check_against_template(graph, [random(m, k)], "GPU")
