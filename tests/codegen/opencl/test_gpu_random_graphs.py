"""Hypothesis-generated graphs give the same results on GPU as on TEMPLATE, with the schedule the
device picks and with the other one forced (so PoCL also checks the GPU's local-tiled GEMM)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from vinify import ir
from vinify.codegen.opencl.compiler import compile_to_gpu_blob
from vinify.codegen.opencl.target import LOCAL_TILED, REGISTER_BLOCKED, OpenClDeviceProfile
from vinify.runtime import Core
from vinify.runtime.devices import gpu

from tests.compiler.graph_strategies import graph_cases


def _expected(graph, inputs):
    return Core().compile_model(graph, "TEMPLATE")(inputs)


def _assert_close(actual, expected, count):
    for index in range(count):
        np.testing.assert_allclose(actual[index], expected[index], rtol=1e-3, atol=1e-4)


@st.composite
def gemm_blocks(draw):
    """(Group)Convolution or MatMul with a random epilogue: bias, residual, ReLU/Clamp."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    kind = draw(st.sampled_from(["conv", "conv", "matmul"]))
    if kind == "matmul":
        m, k, n = (draw(st.integers(1, 20)), draw(st.integers(1, 40)), draw(st.integers(1, 80)))
        x = ir.parameter("x", "f32", [m, k])
        value = ir.make("MatMul", 1, [x, ir.constant(rng.standard_normal((k, n), np.float32))])
        bias_shape, image = (n,), rng.standard_normal((m, k)).astype(np.float32)
    else:
        groups = draw(st.sampled_from([1, 1, 2]))
        channels, out = groups * draw(st.integers(1, 4)), groups * draw(st.integers(1, 9))
        size, kernel = draw(st.integers(3, 11)), draw(st.integers(1, 3))
        stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, kernel - 1))
        x = ir.parameter("x", "f32", [2, channels, size, size])
        weights = rng.standard_normal((groups, out // groups, channels // groups, kernel,
                                       kernel)).astype(np.float32)
        attrs = dict(strides=[stride] * 2, pads_begin=[pad] * 2, pads_end=[pad] * 2,
                     dilations=[1, 1])
        value = (ir.make("Convolution", 1, [x, ir.constant(weights[0])], **attrs)
                 if groups == 1 else
                 ir.make("GroupConvolution", 1, [x, ir.constant(weights)], **attrs))
        bias_shape = (1, out, 1, 1)
        image = rng.standard_normal((2, channels, size, size)).astype(np.float32)
    if draw(st.booleans()):
        value = ir.make("Add", 1, [value, ir.constant(rng.standard_normal(bias_shape,
                                                                          np.float32))])
    if draw(st.booleans()):
        value = ir.make("Add", 1, [value, ir.make("Sigmoid", 1, [value])])
    if draw(st.booleans()):
        value = ir.make("Clamp", 1, [value], min=-0.5, max=0.75)
    return ir.Graph([x], [value]), [image]


@settings(max_examples=6, deadline=None)
@given(gemm_blocks(), st.sampled_from([REGISTER_BLOCKED, LOCAL_TILED]))
def test_random_gemm_blocks_with_both_schedules(case, schedule):
    graph, inputs = case
    devices, _ = gpu.opencl_devices()
    profile = OpenClDeviceProfile(**gpu.device_properties(devices[0]))
    blob = compile_to_gpu_blob(graph, profile, schedule=schedule)
    actual = gpu.GpuDevice().import_model(blob, {}).run(inputs)
    _assert_close(actual, _expected(graph, inputs), 1)


@settings(max_examples=8, deadline=None)
@given(graph_cases(max_steps=5))
def test_random_elementwise_graphs(case):
    actual = Core().compile_model(case.graph, "GPU")(case.inputs)
    _assert_close(actual, _expected(case.graph, case.inputs), len(case.graph.outputs))
