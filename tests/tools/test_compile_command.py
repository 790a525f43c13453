"""`vinify compile MODEL -d CPU -o model.vblob` writes a blob that Core.import_model runs."""

from pathlib import Path

import numpy as np
from vinify.cli import main
from vinify.runtime import Core

MODEL = Path(__file__).parents[2] / "tools" / "models" / "tiny_classifier.vir"


def test_compile_command_writes_an_importable_blob(tmp_path, capsys):
    out = tmp_path / "tiny.vblob"
    assert main(["compile", str(MODEL), "-d", "CPU", "-o", str(out)]) == 0
    assert "tiny.vblob" in capsys.readouterr().out
    core = Core()
    imported = core.import_model(out.read_bytes(), "CPU")
    reference = core.compile_model(str(MODEL), "TEMPLATE")
    feeds = {p.name: np.random.default_rng(0).standard_normal(
        [d.get_length() for d in p.shape]).astype(np.float32) for p in imported.inputs}
    np.testing.assert_allclose(imported(feeds)[0], reference(feeds)[0], rtol=1e-3, atol=1e-4)
    assert not list(tmp_path.glob(".*partial"))


def test_compile_command_reports_a_missing_model(tmp_path, capsys):
    assert main(["compile", str(tmp_path / "nope.onnx"), "-o", str(tmp_path / "x.vblob")]) == 1
    assert "not found" in capsys.readouterr().err
    assert not (tmp_path / "x.vblob").exists()
