"""CPU blobs: export/import, a fresh process that never imports llvmlite, and refused blobs."""

import hashlib
import json
import struct
import subprocess
import sys

import numpy as np
import pytest
from vinify import ir
from vinify.errors import BlobError
from vinify.runtime import Core
from vinify.runtime.blob import read_blob, write_blob


@pytest.fixture(scope="module")
def compiled():
    rng = np.random.default_rng(3)
    x = ir.parameter("image", "f32", [1, 3, 8, 8])
    conv = ir.make("Convolution", 1, [x, ir.constant(rng.standard_normal((4, 3, 3, 3)).astype(
        np.float32))], strides=[1, 1], pads_begin=[1, 1], pads_end=[1, 1], dilations=[1, 1])
    flat = ir.make("Reshape", 1, [ir.make("Relu", 1, [conv]),
                                  ir.constant(np.array([1, 256], np.int64))], special_zero=False)
    logits = ir.make("MatMul", 1, [flat, ir.constant(rng.standard_normal((256, 10)).astype(
        np.float32))])
    graph = ir.Graph([x], [ir.make("Softmax", 8, [logits], axis=1)])
    image = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
    expected = Core().compile_model(graph, "TEMPLATE")(image)[0]
    model = Core().compile_model(graph, "CPU")
    return model, image, expected


def test_exported_blob_imports_and_matches_template(compiled, tmp_path):
    model, image, expected = compiled
    blob = model.export_model()
    path = tmp_path / "model.vblob"
    path.write_bytes(blob)
    for source in (blob, str(path)):
        imported = Core().import_model(source, "CPU")
        np.testing.assert_allclose(imported(image)[0], expected, rtol=1e-3, atol=1e-4)
        assert imported.inputs[0].name == "image"


def test_blob_runs_in_a_fresh_process_without_llvmlite(compiled, tmp_path):
    model, image, expected = compiled
    (tmp_path / "model.vblob").write_bytes(model.export_model())
    np.save(tmp_path / "image.npy", image)
    script = (
        "import sys, numpy as np\n"
        "from vinify.runtime import Core\n"
        f"folder = {str(tmp_path)!r}\n"
        "model = Core().import_model(folder + '/model.vblob', 'CPU')\n"
        "out = model(np.load(folder + '/image.npy'))[0]\n"
        "np.save(folder + '/out.npy', out)\n"
        "assert 'llvmlite' not in sys.modules, 'llvmlite was imported'\n"
        "assert 'vinify.codegen' not in sys.modules, 'codegen was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), expected, rtol=1e-3, atol=1e-4)


def _section(blob: bytes, name: str) -> dict:
    return next(e for e in read_blob(blob).header["sections"] if e["name"] == name)


@pytest.mark.parametrize("section", ["code", "weights", "metadata"])
def test_tampered_section_is_refused(compiled, section):
    blob = bytearray(compiled[0].export_model())
    entry = _section(bytes(blob), section)
    blob[entry["offset"] + entry["size"] // 2] ^= 0x5A
    with pytest.raises(BlobError, match=f"section '{section}' .*SHA-256"):
        Core().import_model(bytes(blob), "CPU")


def test_tampered_header_is_refused(compiled):
    blob = bytearray(compiled[0].export_model())
    blob[20] ^= 0x01
    with pytest.raises(BlobError, match="header checksum"):
        Core().import_model(bytes(blob), "CPU")


@pytest.mark.parametrize("keep", [4, 100, -1000])
def test_truncated_blob_is_refused(compiled, keep):
    blob = compiled[0].export_model()
    with pytest.raises(BlobError, match="truncated"):
        Core().import_model(blob[:keep], "CPU")


def test_other_format_version_is_refused(compiled):
    blob = bytearray(compiled[0].export_model())
    blob[8:12] = struct.pack("<I", 99)
    with pytest.raises(BlobError, match="format version 99"):
        Core().import_model(bytes(blob), "CPU")


def test_not_a_blob_is_refused():
    with pytest.raises(BlobError, match="bad magic"):
        Core().import_model(b"PK\x03\x04" + bytes(100), "CPU")


def test_blob_needing_missing_cpu_features_is_refused(compiled):
    blob = read_blob(compiled[0].export_model())
    header = {k: v for k, v in blob.header.items() if k != "sections"}
    header["required_features"] = header["required_features"] + ["avx10.9"]
    forged = write_blob(header, blob.sections)
    with pytest.raises(BlobError, match="lacks feature.*avx10.9"):
        Core().import_model(forged, "CPU")


def test_blob_header_records_versions_features_and_ports(compiled):
    blob = read_blob(compiled[0].export_model())
    assert blob.header["device"] == "CPU"
    assert "avx2" in blob.header["required_features"] or not blob.header["required_features"]
    metadata = json.loads(bytes(blob.sections["metadata"]))
    assert metadata["inputs"][0]["shape"] == [1, 3, 8, 8]
    assert metadata["arena_bytes"] % 64 == 0


def test_profiled_run_times_every_kernel_and_gives_the_same_outputs(compiled):
    model, image, expected = compiled
    outputs, records = model.executable.run_profiled([image])
    np.testing.assert_allclose(outputs[0], expected, rtol=1e-3, atol=1e-4)
    kernels = model.executable.metadata["kernels"]
    assert len(records) == len(kernels)
    assert {r.node_type for r in records} >= {"conv", "matmul", "softmax"}
    assert all(r.real_time.total_seconds() >= 0 for r in records)


def _reforged(blob_bytes: bytes, edit_metadata) -> bytes:
    """The blob rewritten with valid checksums around edited metadata (a deliberate forgery)."""
    blob = read_blob(blob_bytes)
    header = {k: v for k, v in blob.header.items() if k != "sections"}
    metadata = json.loads(bytes(blob.sections["metadata"]))
    edit_metadata(metadata)
    sections = dict(blob.sections, metadata=json.dumps(metadata).encode())
    return write_blob(header, sections)


@pytest.mark.parametrize("edit", [
    lambda m: m.pop("inputs"),
    lambda m: m["outputs"][0].update(offset=10**12),
    lambda m: m["inputs"][0].update(element_type="no-such-type"),
], ids=["no inputs", "output outside arena", "unknown element type"])
def test_forged_metadata_with_valid_checksums_is_refused(compiled, edit):
    forged = _reforged(compiled[0].export_model(), edit)
    with pytest.raises(BlobError, match="malformed metadata"):
        Core().import_model(forged, "CPU")


def test_forged_section_table_is_refused(compiled):
    blob = read_blob(compiled[0].export_model())
    header = {k: v for k, v in blob.header.items() if k != "sections"}
    forged = bytearray(write_blob(header, blob.sections))
    text = forged.decode("latin-1")
    start = text.index('"offset": ') + len('"offset": ')
    forged[start:start + 1] = b"-"
    size = struct.unpack_from("<I", forged, 12)[0]
    forged[16 + size:16 + size + 32] = hashlib.sha256(bytes(forged[16:16 + size])).digest()
    with pytest.raises(BlobError, match="malformed section entry"):
        Core().import_model(bytes(forged), "CPU")
