"""The common pipeline on the 9 light_* ONNX models shipped in the onnx wheel.

The light models' weights come from ConstantOfShape generators (every weight 0.02), which makes
every class equally likely; to compare numbers meaningfully the test scales each float weight
element (each row, for the large fully connected weights) by a seeded random factor in
[0.5, 1.5] (same structure, same signs, positive variances) in both the reference and the
optimized copy.
"""

import time
from pathlib import Path

import numpy as np
import onnx
import pytest
import vinify
from vinify.passes import COMMON, PassManager, pipeline_for

LIGHT = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
MODELS = sorted(path.name for path in LIGHT.glob("light_*.onnx"))


def _randomized(path: Path) -> vinify.Graph:
    graph = vinify.read_model(path)
    rng = np.random.default_rng(7)
    for node in graph.nodes():
        if node.op.name != "Constant":
            continue
        array = node.attrs["value"]
        if array.dtype.kind != "f" or array.size <= 1:
            continue
        # large (fully connected) weights get one factor per row: cheap in time and memory
        shape = array.shape if array.size <= 1 << 20 else array.shape[:1] + (1,) * (array.ndim - 1)
        factors = rng.uniform(0.5, 1.5, shape).astype(array.dtype)
        node.attrs["value"] = array * factors
    return graph


def test_all_nine_light_models_are_there():
    assert len(MODELS) == 9


@pytest.mark.parametrize("model", MODELS)
def test_common_pipeline_on_light_model(model):
    reference = _randomized(LIGHT / model)
    optimized = _randomized(LIGHT / model)
    before = len(optimized.nodes())
    manager = PassManager(COMMON, verify=True, timing_enabled=True)
    manager.run(optimized)
    after = len(optimized.nodes())
    print(f"{model}: {before} -> {after} nodes, pipeline {manager.timing.total * 1000:.0f} ms "
          "(with verification)")
    histogram = optimized.op_histogram()
    assert not any(key.startswith(("BatchNormInference", "Broadcast", "Unsqueeze"))
                   for key in histogram), histogram
    for node in optimized.nodes():
        if node.op.name in ("Convolution", "GroupConvolution", "MatMul"):
            assert node.inputs[1].node.op.name == "Constant", node.describe()
    assert after < before
    data = np.random.default_rng(0).standard_normal(reference.inputs[0].shape.to_tuple())
    data = data.astype(np.float32)
    want = vinify.compile_model(reference, "TEMPLATE")([data])[0]
    got = vinify.compile_model(optimized, "TEMPLATE")([data])[0]
    assert np.std(want) > 0  # the randomized weights make the output informative
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-7)


def test_common_pipeline_time_on_densenet121():
    graph = vinify.read_model(LIGHT / "light_densenet121.onnx")
    manager = PassManager(COMMON, timing_enabled=True)
    start = time.perf_counter()
    manager.run(graph)
    seconds = time.perf_counter() - start
    print(f"densenet121 common pipeline: {seconds * 1000:.0f} ms\n{manager.timing.report()}")
    assert [name for name, _ in manager.timing.entries] == COMMON


def test_cpu_pipeline_fuses_every_resnet50_convolution_with_the_same_numbers():
    reference = _randomized(LIGHT / "light_resnet50.onnx")
    optimized = _randomized(LIGHT / "light_resnet50.onnx")
    PassManager(pipeline_for("CPU"), verify=True).run(optimized)
    histogram = optimized.op_histogram()
    assert histogram["FusedConvolution<1>"] == 53 and "Convolution<1>" not in histogram
    assert "Add<1>" not in histogram and "Relu<1>" not in histogram  # biases, residuals, relus
    fused = [n for n in optimized.nodes() if n.op.name == "FusedConvolution"]
    assert sum(len(n.inputs) == 4 for n in fused) == 16  # one residual Add per bottleneck
    data = np.random.default_rng(1).standard_normal((1, 3, 224, 224)).astype(np.float32)
    want = vinify.compile_model(reference, "TEMPLATE")([data])[0]
    got = vinify.compile_model(optimized, "TEMPLATE")([data])[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-7)
