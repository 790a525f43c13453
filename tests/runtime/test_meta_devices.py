"""HETERO splits a model across devices, MULTI spreads requests, AUTO picks a device."""

import numpy as np
import pytest
from vinify.errors import DeviceError
from vinify.runtime import Core
from vinify.runtime.devices.auto import AUTO_PRIORITY

from tests.runtime.toy_devices import (
    AddOnlyDevice,
    SlowDevice,
    UnpluggedDevice,
    expected_two_input,
    two_input_model,
)

A = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
B = np.linspace(2, -2, 6, dtype=np.float32).reshape(2, 3)


def core_with(**devices) -> Core:
    core = Core()
    for name, device in devices.items():
        core.register_device(name, device)
    return core


def test_hetero_splits_ops_between_two_devices_and_matches_template():
    core = core_with(ADDONLY=AddOnlyDevice)
    hetero = core.compile_model(two_input_model(), "HETERO:ADDONLY,TEMPLATE",
                                {"ENABLE_PROFILING": True})
    reference = core.compile_model(two_input_model(), "TEMPLATE")
    stages = hetero.executable.stages
    # mul and sigmoid share the first TEMPLATE stage: the order stays on a device while it can
    assert [[n.name for n in stage.nodes] for stage in stages] == [
        ["mul", "sigmoid"], ["add"], ["relu"], ["sub"]]
    assert [stage.device for stage in stages] == ["TEMPLATE", "ADDONLY", "TEMPLATE", "ADDONLY"]
    assert {n.op.name for s in stages if s.device == "ADDONLY" for n in s.nodes} == {"Add",
                                                                                   "Subtract"}
    assert hetero.get_property("EXECUTION_DEVICES") == ["TEMPLATE", "ADDONLY"]
    request = hetero.create_infer_request()
    for scale in (1.0, -3.0):
        inputs = {"a": A * scale, "b": B + scale}
        for got, want in zip(request.infer(inputs).to_tuple(), reference(inputs).to_tuple()):
            np.testing.assert_array_equal(got, want)
    kernels = {layer.node_name: layer.exec_type for layer in request.get_profiling_info()}
    assert kernels["add"] == "ADDONLY:ref_Add<1>" and kernels["mul"] == "TEMPLATE:ref_Multiply<1>"


def test_hetero_on_the_tiny_classifier_matches_template():
    class MatMulOnly(AddOnlyDevice):
        OPS = {"MatMul"}

    core = core_with(MATMUL=MatMulOnly)
    model = core.read_model("tools/models/tiny_classifier.vir")
    image = np.random.default_rng(0).standard_normal((1, 64)).astype(np.float32)
    hetero = core.compile_model(model, "HETERO:MATMUL,TEMPLATE")
    assert len(hetero.executable.stages) == 4
    np.testing.assert_array_equal(hetero(image)[0], core.compile_model(model, "TEMPLATE")(image)[0])


def test_hetero_honours_node_affinity():
    core = core_with(ADDONLY=AddOnlyDevice)
    model = two_input_model()
    for node in model.nodes():
        if node.name in ("add", "sub"):
            node.rt_info["affinity"] = "TEMPLATE"
    hetero = core.compile_model(model, "HETERO:ADDONLY,TEMPLATE")
    assert [stage.device for stage in hetero.executable.stages] == ["TEMPLATE"]
    y, z = hetero({"a": A, "b": B}).to_tuple()
    np.testing.assert_allclose(y, expected_two_input(A, B)[0], rtol=1e-6)


def test_hetero_errors_name_the_node():
    core = core_with(ADDONLY=AddOnlyDevice)
    with pytest.raises(DeviceError, match=r"no device of \['ADDONLY'\] supports: node 'mul'"):
        core.compile_model(two_input_model(), "HETERO:ADDONLY")
    model = two_input_model()
    model.nodes()[2].rt_info["affinity"] = "GPU"
    with pytest.raises(DeviceError, match="affinity 'GPU', which is not one of the HETERO"):
        core.compile_model(model, "HETERO:ADDONLY,TEMPLATE")
    with pytest.raises(DeviceError, match="HETERO needs target devices"):
        core.compile_model(model, "HETERO")


def test_multi_spreads_concurrent_requests_over_its_devices():
    core = core_with(SLOW=SlowDevice)
    multi = core.compile_model(two_input_model(), "MULTI:SLOW,TEMPLATE")
    assert multi.get_property("EXECUTION_DEVICES") == ["SLOW", "TEMPLATE"]
    assert multi.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS") == 2
    requests = [multi.create_infer_request() for _ in range(2)]
    for scale, request in enumerate(requests):
        request.start_async({"a": A * scale, "b": B})
    for scale, request in enumerate(requests):
        request.wait()
        np.testing.assert_allclose(request.results["y"], expected_two_input(A * scale, B)[0],
                                   rtol=1e-6)
    assert multi.executable.runs == {"SLOW": 1, "TEMPLATE": 1}
    for _ in range(4):
        multi({"a": A, "b": B})
    assert multi.executable.runs == {"SLOW": 3, "TEMPLATE": 3}


def test_multi_rejects_a_device_listed_twice():
    with pytest.raises(DeviceError, match="MULTI lists a device twice"):
        Core().compile_model(two_input_model(), "MULTI:TEMPLATE,TEMPLATE")


def test_auto_picks_by_priority_among_available_devices():
    core = core_with(GPU=AddOnlyDevice, VPU=UnpluggedDevice)
    model = two_input_model()
    auto = core.compile_model(model, "AUTO")
    assert auto.executable.wait_ready(120)  # a slow-compiling choice may start on TEMPLATE
    everything = {id(node) for node in model.nodes()}
    expected = next(name for name in ("CPU", "TEMPLATE")  # GPU (ADDONLY) lacks ops
                    if core.registry.is_available(name)
                    and core.get_device(name).supported_nodes(model) >= everything)
    assert auto.get_property("EXECUTION_DEVICES") == [expected]
    assert AUTO_PRIORITY.index("CPU") < AUTO_PRIORITY.index("GPU") < AUTO_PRIORITY.index(
        "TEMPLATE")
    np.testing.assert_allclose(auto({"a": A, "b": B})["z"], expected_two_input(A, B)[1],
                               rtol=1e-6)


def test_auto_with_a_list_and_with_device_priorities():
    class EverythingGpu(AddOnlyDevice):
        def supported_nodes(self, graph):
            return {id(n) for n in graph.nodes()}

    core = core_with(GPU=EverythingGpu, VPU=UnpluggedDevice)
    model = two_input_model()
    assert core.compile_model(model, "AUTO:VPU,GPU,TEMPLATE").get_property(
        "EXECUTION_DEVICES") == ["GPU"]
    assert core.compile_model(model, "AUTO", {"DEVICE_PRIORITIES": "TEMPLATE,GPU"}).get_property(
        "EXECUTION_DEVICES") == ["TEMPLATE"]
    with pytest.raises(DeviceError, match="AUTO found no device.*VPU is not available"):
        core.compile_model(model, "AUTO:VPU")


def test_auto_starts_on_a_fast_device_while_the_chosen_one_compiles():
    slow = SlowDevice(compile_delay=30)
    core = core_with(SLOW=slow)
    auto = core.compile_model(two_input_model(), "AUTO:SLOW,TEMPLATE")
    assert slow.compile_started.wait(10)
    assert auto.get_property("EXECUTION_DEVICES") == ["TEMPLATE"]
    first = auto({"a": A, "b": B})["y"]
    slow.release_compile.set()
    assert auto.executable.wait_ready(10)
    assert auto.get_property("EXECUTION_DEVICES") == ["SLOW"]
    np.testing.assert_array_equal(auto({"a": A, "b": B})["y"], first)


def test_auto_without_startup_fallback_waits_for_the_chosen_device():
    core = core_with(SLOW=SlowDevice)
    auto = core.compile_model(two_input_model(), "AUTO:SLOW,TEMPLATE",
                              {"ENABLE_STARTUP_FALLBACK": False})
    assert auto.get_property("EXECUTION_DEVICES") == ["SLOW"]


def test_targets_of_meta_devices_keep_their_own_properties():
    class Recording(AddOnlyDevice):
        def __init__(self):
            self.configs = []

        def compile(self, graph, config):
            self.configs.append(config)
            return super().compile(graph, config)

    recording = Recording()
    core = core_with(ADDONLY=recording)
    core.set_property({"INFERENCE_NUM_THREADS": 1})
    core.set_property("ADDONLY", {"INFERENCE_NUM_THREADS": 2, "PERFORMANCE_HINT": "THROUGHPUT"})
    core.set_property("HETERO", {"PERFORMANCE_HINT": "LATENCY"})
    core.compile_model(two_input_model(), "HETERO:ADDONLY,TEMPLATE", {"ENABLE_PROFILING": True})
    assert recording.configs and all(
        (c["INFERENCE_NUM_THREADS"], c["PERFORMANCE_HINT"], c["ENABLE_PROFILING"])
        == (2, "LATENCY", True) for c in recording.configs)
    recording.configs.clear()
    core.compile_model(two_input_model(), "AUTO:ADDONLY,TEMPLATE")  # ADDONLY lacks Multiply
    assert recording.configs == []


def test_hetero_gives_each_stage_its_shape_arithmetic_as_constants():
    """Shape arithmetic on another device than the Reshape that uses it must not turn into a
    stage input: the CPU stage needs the target shape at compile time."""
    from vinify import ir

    x = ir.parameter("x", "f32", [2, 6])
    relu = ir.make("Relu", 1, [x], name="relu")
    shape = ir.make("ShapeOf", 3, [relu], name="shape")
    flat = ir.make("ReduceProd", 1, [shape, ir.constant(np.int64(0))], keep_dims=True,
                   name="count")
    reshape = ir.make("Reshape", 1, [relu, flat], special_zero=False, name="flatten")
    for node in (shape, flat):
        node.rt_info["affinity"] = "TEMPLATE"
    for node in (relu, reshape):
        node.rt_info["affinity"] = "CPU"
    graph = ir.Graph([x], [reshape])
    data = np.arange(-6, 6, dtype=np.float32).reshape(2, 6)
    compiled = Core().compile_model(graph, "HETERO:CPU,TEMPLATE")
    np.testing.assert_array_equal(compiled(data)[0], np.maximum(data, 0).reshape(12))
