"""The `vinify` command: devices, info and run, and errors that keep the process alive."""

import numpy as np
import pytest

from vinify.cli import main

MODEL = """graph "double" {
  %x = Parameter<1>() {element_type=f32, shape=[2,?]} : f32[2,?]
  %y = Add<1>(%x, %x) : f32[2,?]
  Result<1>(%y)
}
"""


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "double.vir"
    path.write_text(MODEL)
    return path


def test_devices_lists_template(capsys):
    assert main(["devices"]) == 0
    assert "TEMPLATE: TEMPLATE (numpy reference interpreter)" in capsys.readouterr().out


def test_info_shows_inputs_outputs_and_histogram(model_file, capsys):
    assert main(["info", str(model_file)]) == 0
    out = capsys.readouterr().out
    assert "x: f32[2,?]" in out and "y: f32[2,?]" in out
    assert "1  Add<1>" in out and "(3 nodes)" in out


def test_run_reads_npy_inputs_and_saves_outputs(model_file, tmp_path, capsys):
    data = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.save(tmp_path / "x.npy", data)
    out_file = tmp_path / "out.npz"
    code = main(["run", str(model_file), "-d", "TEMPLATE", "--input", f"x={tmp_path / 'x.npy'}",
                 "-o", str(out_file)])
    assert code == 0
    np.testing.assert_array_equal(np.load(out_file)["y"], data * 2)


def test_run_errors_are_reported_not_raised(model_file, tmp_path, capsys):
    np.save(tmp_path / "bad.npy", np.zeros((3, 3), np.float32))
    assert main(["run", str(model_file), "--input", f"x={tmp_path / 'bad.npy'}"]) == 1
    assert "input 'x' expects shape [2,?], got [3, 3]" in capsys.readouterr().err
    assert main(["run", str(model_file), "-d", "NPU"]) == 1
    assert "unknown device 'NPU'" in capsys.readouterr().err
    assert main(["info", str(tmp_path / "missing.vir")]) == 1
    assert "model file not found" in capsys.readouterr().err


def test_malformed_text_model_names_line_and_column(tmp_path, capsys):
    path = tmp_path / "broken.vir"
    path.write_text(MODEL.replace("Add<1>(%x, %x)", "Add<1>(%x, %z)"))
    assert main(["info", str(path)]) == 1
    assert "line 3, column 19: use of undefined value %z" in capsys.readouterr().err
