"""Core: devices (built-in, registered, from entry points), properties, compile, export/import."""

import io
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from vinify.errors import BlobError, DeviceError, ModelFileError, PropertyError
from vinify.runtime import Core

from tests.runtime.toy_devices import UnpluggedDevice, expected_two_input, two_input_model

A = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
B = np.linspace(2, -2, 6, dtype=np.float32).reshape(2, 3)


def test_available_devices_and_reasons_for_missing_ones():
    core = Core()
    core.register_device("UNPLUGGED", UnpluggedDevice)
    assert "TEMPLATE" in core.available_devices
    assert "UNPLUGGED" not in core.available_devices
    assert "no UNPLUGGED stick found on USB" in core.unavailable_devices()["UNPLUGGED"]
    with pytest.raises(DeviceError, match="UNPLUGGED is not available: no UNPLUGGED stick"):
        core.compile_model(two_input_model(), "UNPLUGGED")


def test_unknown_device_names_the_known_ones():
    with pytest.raises(DeviceError, match=r"unknown device 'NPU'.*TEMPLATE"):
        Core().compile_model(two_input_model(), "NPU")


def test_bad_registered_names_and_objects_are_errors():
    core = Core()
    with pytest.raises(DeviceError, match="bad device name"):
        core.register_device("HETERO:X", UnpluggedDevice)
    core.register_device("BROKEN", object)
    with pytest.raises(DeviceError, match="BROKEN.*is not a vinify Device"):
        core.get_device("BROKEN")


PLUGIN = '''
from vinify.runtime.devices.template import TemplateDevice


class ToyDevice(TemplateDevice):
    name = "TOY"

    def full_name(self):
        return "toy device from a third-party package"
'''

CHECK = '''
import numpy as np
from vinify.ir import Graph, make, parameter
from vinify.runtime import Core

core = Core()
x = parameter("x", "f32", [3])
compiled = core.compile_model(Graph([x], [make("Negative", 1, [x])]), "TOY")
print(core.available_devices, core.get_property("TOY", "FULL_DEVICE_NAME"))
print(compiled(np.array([1, 2, 3], np.float32))[0].tolist())
'''


def test_a_third_party_package_adds_a_device_through_an_entry_point(tmp_path):
    """A package on sys.path with a dist-info declaring group vinify.devices; nothing installed."""
    (tmp_path / "toy_vinify_device").mkdir()
    (tmp_path / "toy_vinify_device" / "__init__.py").write_text(PLUGIN)
    info = tmp_path / "toy_vinify_device-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-vinify-device\n"
                                   "Version: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent("""\
        [vinify.devices]
        TOY = toy_vinify_device:ToyDevice
        """))
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    run = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                         env=environment, timeout=120)
    assert run.returncode == 0, run.stderr
    devices_line, values_line = run.stdout.strip().splitlines()
    assert "'TOY'" in devices_line and "toy device from a third-party package" in devices_line
    assert values_line == "[-1.0, -2.0, -3.0]"


def test_properties_global_and_per_device():
    core = Core()
    assert core.get_property("TEMPLATE", "PERFORMANCE_HINT") == "LATENCY"
    core.set_property({"PERFORMANCE_HINT": "throughput", "INFERENCE_NUM_THREADS": 2})
    core.set_property("TEMPLATE", {"NUM_STREAMS": 3, "ENABLE_PROFILING": "YES"})
    assert core.get_property("PERFORMANCE_HINT") == "THROUGHPUT"
    assert core.get_property("TEMPLATE", "PERFORMANCE_HINT") == "THROUGHPUT"
    assert core.get_property("TEMPLATE", "NUM_STREAMS") == 3
    compiled = core.compile_model(two_input_model(), "TEMPLATE", {"INFERENCE_NUM_THREADS": 1})
    assert compiled.get_property("INFERENCE_NUM_THREADS") == 1
    assert compiled.get_property("ENABLE_PROFILING") is True
    assert compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS") == 3
    assert compiled.get_property("EXECUTION_DEVICES") == ["TEMPLATE"]
    assert compiled.get_property("MODEL_NAME") == "two_inputs"
    assert "FULL_DEVICE_NAME" in core.get_property("TEMPLATE", "SUPPORTED_PROPERTIES")
    assert core.get_property("TEMPLATE", "FULL_DEVICE_NAME").startswith("TEMPLATE")
    assert core.get_property("AVAILABLE_DEVICES") == core.available_devices


def test_optimal_requests_follow_the_hint():
    core = Core()
    latency = core.compile_model(two_input_model(), "TEMPLATE", {"PERFORMANCE_HINT": "LATENCY"})
    throughput = core.compile_model(two_input_model(), "TEMPLATE",
                                    {"PERFORMANCE_HINT": "THROUGHPUT"})
    assert latency.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS") == 1
    assert throughput.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS") >= 2


@pytest.mark.parametrize("properties, message", [
    ({"PERFORMANCE_HINT": "FASTEST"}, "bad value 'FASTEST' for property PERFORMANCE_HINT"),
    ({"NUM_STREAMS": 0}, "bad value 0 for property NUM_STREAMS"),
    ({"NUM_STREAMS": True}, "bad value True for property NUM_STREAMS"),
    ({"INFERENCE_PRECISION_HINT": "f64"}, "INFERENCE_PRECISION_HINT"),
    ({"ENABLE_PROFILING": "maybe"}, "ENABLE_PROFILING"),
    ({"CACHE_DIR": 3}, "CACHE_DIR"),
    ({"PERFORMANCE_HINTS": "LATENCY"}, "unknown property 'PERFORMANCE_HINTS'"),
    ({"OPTIMAL_NUMBER_OF_INFER_REQUESTS": 4}, "read-only"),
])
def test_bad_properties_are_errors(properties, message):
    core = Core()
    with pytest.raises(PropertyError, match=message):
        core.set_property("TEMPLATE", properties)
    with pytest.raises(PropertyError, match=message):
        core.compile_model(two_input_model(), "TEMPLATE", properties)


def test_unknown_property_reads_are_errors():
    core = Core()
    compiled = core.compile_model(two_input_model(), "TEMPLATE")
    with pytest.raises(PropertyError, match="unknown property 'COLOR'"):
        core.get_property("TEMPLATE", "COLOR")
    with pytest.raises(PropertyError, match="has no property 'COLOR'"):
        compiled.get_property("COLOR")
    with pytest.raises(PropertyError, match="dict"):
        core.set_property("TEMPLATE", ["PERFORMANCE_HINT"])


def test_read_model_and_compile_from_a_path():
    core = Core()
    compiled = core.compile_model("tools/models/tiny_classifier.vir", "TEMPLATE")
    assert [p.name for p in compiled.inputs] == ["image"]
    assert str(compiled.input("image").partial_shape) == "[1,64]"
    assert compiled.outputs[0].name == "probabilities"
    probabilities = compiled(np.ones((1, 64), np.float32))[0]
    assert probabilities.shape == (1, 10) and np.isclose(probabilities.sum(), 1.0)
    with pytest.raises(ModelFileError, match="not found"):
        core.read_model("no/such/model.vir")


def test_export_and_import_give_the_same_results(tmp_path):
    core = Core()
    compiled = core.compile_model(two_input_model(), "TEMPLATE")
    blob = compiled.export_model()
    (tmp_path / "model.blob").write_bytes(blob)
    for source in (blob, io.BytesIO(blob), tmp_path / "model.blob"):
        imported = core.import_model(source, "TEMPLATE")
        y, z = imported({"a": A, "b": B}).to_tuple()
        expected_y, expected_z = expected_two_input(A, B)
        np.testing.assert_allclose(y, expected_y, rtol=1e-6)
        np.testing.assert_allclose(z, expected_z, rtol=1e-6)


def test_import_rejects_foreign_and_damaged_blobs():
    core = Core()
    blob = core.compile_model(two_input_model(), "TEMPLATE").export_model()
    with pytest.raises(BlobError, match="not a TEMPLATE blob"):
        core.import_model(b"\x7fELF....", "TEMPLATE")
    with pytest.raises(BlobError, match="TEMPLATE blob at offset 23"):
        core.import_model(blob[:-40], "TEMPLATE")
    with pytest.raises(DeviceError, match="import_model takes bytes"):
        core.import_model(12, "TEMPLATE")


def test_cache_dir_stores_a_blob_and_reuses_it(tmp_path):
    core = Core()
    core.set_property({"CACHE_DIR": str(tmp_path)})
    first = core.compile_model(two_input_model(), "TEMPLATE")
    blobs = list(tmp_path.glob("*.blob"))
    assert len(blobs) == 1 and blobs[0].read_bytes() == first.export_model()
    blobs[0].write_bytes(blobs[0].read_bytes()[:-40])  # damaged: must be recompiled, not used
    second = core.compile_model(two_input_model(), "TEMPLATE")
    assert list(tmp_path.glob("*.blob")) == blobs and blobs[0].read_bytes() == blob_of(second)
    np.testing.assert_array_equal(second([A, B])[0], first([A, B])[0])
    core.compile_model(two_input_model(), "TEMPLATE", {"PERFORMANCE_HINT": "THROUGHPUT"})
    assert len(list(tmp_path.glob("*.blob"))) == 2  # another config is another entry
    assert not list(tmp_path.glob(".*partial"))


def blob_of(compiled) -> bytes:
    return compiled.export_model()


def test_query_model_names_the_device_of_each_node():
    from tests.runtime.toy_devices import AddOnlyDevice

    core = Core()
    core.register_device("ADDONLY", AddOnlyDevice)
    placement = core.query_model(two_input_model(), "HETERO:ADDONLY,TEMPLATE")
    assert placement == {"mul": "TEMPLATE", "add": "ADDONLY", "relu": "TEMPLATE",
                         "sub": "ADDONLY", "sigmoid": "TEMPLATE"}


def test_properties_of_a_device_index_override_the_device_ones():
    core = Core()
    core.set_property("TEMPLATE", {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": 2})
    core.set_property("TEMPLATE.1", {"PERFORMANCE_HINT": "LATENCY"})
    first = core.compile_model(two_input_model(), "TEMPLATE.1")
    assert first.get_property("PERFORMANCE_HINT") == "LATENCY"
    assert first.get_property("NUM_STREAMS") == 2
    assert core.compile_model(two_input_model(), "TEMPLATE").get_property(
        "PERFORMANCE_HINT") == "THROUGHPUT"
