"""GPU-only behaviour (OpenCL through pyopencl; PoCL on machines without a GPU driver): refusals,
HETERO fallback, runtime weights and NaN rules. The op families shared with the CPU are checked
on both devices in tests/codegen/test_device_ops.py."""

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
