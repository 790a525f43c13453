"""The GPU device: discovery, blobs (source + program binaries), the program-build cache,
concurrent inferences on separate streams, and its errors."""

import threading

import numpy as np
import pytest
from vinify import ir
from vinify.errors import BlobError, DeviceError
from vinify.runtime import Core
from vinify.runtime.devices import gpu

RNG = np.random.default_rng(5)


def small_model() -> ir.Graph:
    x = ir.parameter("x", "f32", [1, 3, 8, 8])
    weights = ir.constant(RNG.standard_normal((4, 3, 3, 3)).astype(np.float32))
    conv = ir.make("Convolution", 1, [x, weights], strides=[1, 1], pads_begin=[1, 1],
                   pads_end=[1, 1], dilations=[1, 1])
    return ir.Graph([x], [ir.make("Sigmoid", 1, [ir.make("Relu", 1, [conv])])], "small")


def expected(graph: ir.Graph, image: np.ndarray) -> np.ndarray:
    return Core().compile_model(graph, "TEMPLATE")([image])[0]


def test_devices_lists_the_gpu_with_its_opencl_device_names():
    core = Core()
    assert "GPU" in core.available_devices
    name = core.get_device("GPU").full_name()
    assert name.startswith("GPU.0: ")
    devices, _ = gpu.opencl_devices()
    assert devices[0].name.strip() in name and devices[0].platform.name.strip() in name


def test_without_opencl_platforms_the_gpu_is_absent_with_the_reason(monkeypatch):
    monkeypatch.setattr(gpu, "opencl_devices", lambda: ([], "no OpenCL platform (test)"))
    core = Core()
    assert "GPU" not in core.available_devices
    assert "no OpenCL platform (test)" in core.unavailable_devices()["GPU"]
    with pytest.raises(DeviceError, match="GPU is not available: no OpenCL platform"):
        core.compile_model(small_model(), "GPU")


def test_a_device_index_past_the_last_device_is_unavailable():
    devices, _ = gpu.opencl_devices()
    device = gpu.GpuDevice(len(devices))
    assert f"only {len(devices)} OpenCL devices" in device.unavailable_reason()


def test_exported_blob_carries_a_program_binary_and_imports_without_compiling(tmp_path):
    graph, image = small_model(), RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    core = Core()
    compiled = core.compile_model(graph, "GPU", {"CACHE_DIR": str(tmp_path)})
    blob = compiled.export_model()
    from vinify.runtime.blob import read_blob

    metadata = read_blob(blob).metadata
    devices, _ = gpu.opencl_devices()
    assert gpu.device_key(devices[0]) in metadata["binaries"]
    imported = core.import_model(blob, "GPU")
    np.testing.assert_allclose(imported([image])[0], expected(graph, image), rtol=1e-3,
                               atol=1e-4)


def test_second_compile_builds_from_the_program_cache(tmp_path):
    graph = small_model()
    blob = Core().compile_model(graph, "GPU").export_model()
    from vinify.runtime.blob import read_blob

    source = bytes(read_blob(blob).sections["source"]).decode()
    devices, _ = gpu.opencl_devices()
    import pyopencl as cl

    context = cl.Context([devices[0]])
    builder = gpu.ProgramBuilder(context, devices[0], tmp_path)
    builder.build(source, {})
    cached = list((tmp_path / gpu.PROGRAM_CACHE_FOLDER).glob("*.bin"))
    assert len(cached) == 1
    cached[0].write_bytes(b"not a program")  # a damaged cache entry is rebuilt, not fatal
    program = builder.build(source, {})
    assert program.get_info(cl.program_info.NUM_KERNELS) >= 1


def test_tampered_or_foreign_blobs_are_blob_errors():
    blob = bytearray(Core().compile_model(small_model(), "GPU").export_model())
    blob[-10] ^= 0xFF
    with pytest.raises(BlobError, match="SHA-256"):
        Core().import_model(bytes(blob), "GPU")
    cpu_blob = Core().compile_model(small_model(), "CPU").export_model()
    with pytest.raises(BlobError, match="compiled for device CPU, not GPU"):
        Core().import_model(cpu_blob, "GPU")


def test_concurrent_inferences_each_get_their_own_stream():
    graph = small_model()
    compiled = Core().compile_model(graph, "GPU")
    images = [RNG.standard_normal((1, 3, 8, 8)).astype(np.float32) for _ in range(4)]
    wanted = [expected(graph, image) for image in images]
    results: dict[int, np.ndarray] = {}

    def infer(index: int) -> None:
        request = compiled.create_infer_request()
        for _ in range(3):
            results[index] = request.infer([images[index]])[0]

    threads = [threading.Thread(target=infer, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index in range(4):
        np.testing.assert_allclose(results[index], wanted[index], rtol=1e-3, atol=1e-4)


def test_dynamic_input_shapes_are_compiled_per_shape():
    x = ir.parameter("x", "f32", [1, "?"])
    graph = ir.Graph([x], [ir.make("Tanh", 1, [x])])
    compiled = Core().compile_model(graph, "GPU")
    for width in (3, 17):
        data = RNG.standard_normal((1, width)).astype(np.float32)
        np.testing.assert_allclose(compiled([data])[0], np.tanh(data), rtol=1e-5, atol=1e-6)


def test_f16_hint_on_a_device_without_fp16_computes_in_f32():
    graph, image = small_model(), RNG.standard_normal((1, 3, 8, 8)).astype(np.float32)
    compiled = Core().compile_model(graph, "GPU", {"INFERENCE_PRECISION_HINT": "f16"})
    devices, _ = gpu.opencl_devices()
    if "cl_khr_fp16" in devices[0].extensions:
        tolerance = dict(rtol=1e-2, atol=1e-2)
    else:
        tolerance = dict(rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(compiled([image])[0], expected(graph, image), **tolerance)


def test_importing_a_gpu_blob_loads_no_compiler_modules(tmp_path):
    """A deployed application runs a GPU blob with pyopencl and numpy only."""
    import subprocess
    import sys

    path = tmp_path / "model.blob"
    path.write_bytes(Core().compile_model(small_model(), "GPU").export_model())
    code = (
        "import sys, numpy as np, vinify.runtime\n"
        f"compiled = vinify.runtime.Core().import_model({str(path)!r}, 'GPU')\n"
        "compiled([np.ones((1, 3, 8, 8), np.float32)])\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True).stdout.split()
    forbidden = ("llvmlite", "lark", "onnx", "vinify.codegen", "vinify.passes", "vinify.ops")
    assert [m for m in loaded if m.split(".")[0] in forbidden or m.startswith(forbidden)] == []
    assert "pyopencl" in loaded


def test_numbered_devices_select_an_instance_and_bad_numbers_are_errors():
    from vinify.errors import DeviceError
    from vinify.runtime import Core

    core = Core()
    assert core.get_device("GPU.0").index == 0
    with pytest.raises(DeviceError, match="GPU.7 is not available: there are only"):
        core.get_device("GPU.7")
    assert core.get_device("TEMPLATE.1") is core.get_device("TEMPLATE")  # not numbered
    with pytest.raises(DeviceError, match="the part after '.' must be an index"):
        core.get_device("GPU.x")
