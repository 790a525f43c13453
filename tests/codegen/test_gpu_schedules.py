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
