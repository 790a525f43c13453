"""The runtime over the real CPU device (LLVM code, static shapes only): per-shape compiles,
HETERO with TEMPLATE for what CPU lacks, MULTI — every result equal to TEMPLATE's."""

import numpy as np
from vinify.ir import Graph, make, parameter
from vinify.runtime import AsyncInferQueue, Core

from tests.runtime.test_dynamic_shapes import dynamic_model
from tests.runtime.toy_devices import two_input_model

RNG = np.random.default_rng(7)


def test_cpu_runs_a_dynamic_model_by_compiling_each_shape():
    core = Core()
    cpu = core.compile_model(dynamic_model(), "CPU")
    reference = core.compile_model(dynamic_model(), "TEMPLATE")
    for shape in [(1, 1, 4), (3, 8, 4), (1, 1, 4)]:
        x = RNG.standard_normal(shape).astype(np.float32)
        np.testing.assert_allclose(cpu(x)["y"], reference(x)["y"], rtol=1e-5, atol=1e-6)
    assert cpu.executable.compiles == 2


def sign_model() -> Graph:
    """relu(sign(x) * x): Sign has no CPU lowering, so HETERO puts it on TEMPLATE."""
    x = parameter("x", "f32", [4, 5])
    sign = make("Sign", 1, [x], name="sign")
    product = make("Multiply", 1, [sign, x], name="mul")
    return Graph([x], [make("Relu", 1, [product], name="relu")], name="sign_model")


def test_hetero_cpu_template_matches_template():
    core = Core()
    model = sign_model()
    hetero = core.compile_model(model, "HETERO:CPU,TEMPLATE")
    devices = {node.name: stage.device for stage in hetero.executable.stages
               for node in stage.nodes}
    assert devices["relu"] == "CPU" and devices["mul"] == "CPU"
    assert set(devices.values()) <= {"CPU", "TEMPLATE"}
    reference = core.compile_model(sign_model(), "TEMPLATE")
    x = RNG.standard_normal((4, 5)).astype(np.float32)
    np.testing.assert_allclose(hetero(x)[0], reference(x)[0], rtol=1e-6)


def test_multi_cpu_template_async_queue_matches_template():
    core = Core()
    multi = core.compile_model(two_input_model(), "MULTI:CPU,TEMPLATE")
    reference = core.compile_model(two_input_model(), "TEMPLATE")
    queue = AsyncInferQueue(multi, 4)
    mismatches = []

    def check(request, inputs):
        expected = reference.create_infer_request().infer(inputs)  # callbacks run in parallel
        for got, want in zip(request.results.to_tuple(), expected.to_tuple()):
            if not np.allclose(got, want, rtol=1e-5, atol=1e-6):
                mismatches.append(inputs)

    queue.set_callback(check)
    for _ in range(16):
        inputs = {n: RNG.standard_normal((2, 3)).astype(np.float32) for n in "ab"}
        queue.start_async(inputs, userdata=inputs)
    queue.wait_all()
    assert mismatches == [] and queue.callback_errors == []
    assert sum(multi.executable.runs.values()) == 16
