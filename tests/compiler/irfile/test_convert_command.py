"""`vinify convert`: the Model Optimizer equivalent, checked by running its output on OpenVINO."""

import numpy as np
import onnxruntime
import openvino
import pytest
from vinify.cli import main
from vinify.errors import ConversionError
from vinify.tools.commands.convert import parse_channel_values, parse_layouts

from tests.compiler.irfile.onnx_models import convnet, mlp


def _openvino_run(path, inputs):
    compiled = openvino.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    results = compiled(inputs)
    return [results[i] for i in range(len(compiled.outputs))], compiled


@pytest.fixture
def convnet_file(tmp_path):
    model, inputs = convnet(np.random.default_rng(0))
    path = tmp_path / "convnet.onnx"
    path.write_bytes(model)
    return path, model, inputs


def test_convert_with_preprocessing_runs_on_openvino(convnet_file, tmp_path, capsys):
    path, model, inputs = convnet_file
    out = tmp_path / "ir" / "convnet.xml"
    out.parent.mkdir()
    code = main(["convert", str(path), "-o", str(out), "--input", "image[1..2,3,8,8]",
                 "--reverse-input-channels", "--mean-values", "image[1,2,3]",
                 "--scale-values", "[2,4,8]", "--layout", "image(nchw)"])
    assert code == 0, capsys.readouterr().err
    assert "saved" in capsys.readouterr().out
    assert sorted(p.name for p in out.parent.iterdir()) == ["convnet.bin", "convnet.xml"]

    image = inputs["image"]
    prepared = (image[:, ::-1] - np.array([1, 2, 3], np.float32).reshape(3, 1, 1)) / \
        np.array([2, 4, 8], np.float32).reshape(3, 1, 1)
    expected = onnxruntime.InferenceSession(model).run(None, {"image": prepared})[0]
    (got,), compiled = _openvino_run(out, inputs)
    np.testing.assert_allclose(got, expected, rtol=2e-2, atol=2e-2)  # f16 weights by default
    assert str(compiled.inputs[0].get_partial_shape()) == "[1..2,3,8,8]"
    assert 'element_type="f16"' in out.read_text()
    assert 'layout="[N,C,H,W]"' in out.read_text()


def test_no_compress_keeps_f32_and_output_cuts(tmp_path, capsys):
    model, inputs = mlp(np.random.default_rng(0))
    (tmp_path / "mlp.onnx").write_bytes(model)
    out = tmp_path / "mlp.xml"
    code = main(["convert", str(tmp_path / "mlp.onnx"), "-o", str(out),
                 "--no-compress-to-fp16", "--output", "probs"])
    assert code == 0, capsys.readouterr().err

    assert 'element_type="f16"' not in out.read_text()
    (got,), compiled = _openvino_run(out, inputs)
    assert [o.get_any_name() for o in compiled.outputs] == ["probs"]
    expected = onnxruntime.InferenceSession(model).run(["probs"], inputs)[0]
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_bad_option_is_reported_and_nothing_written(convnet_file, tmp_path, capsys):
    path, _, _ = convnet_file
    out = tmp_path / "out"
    out.mkdir()
    code = main(["convert", str(path), "-o", str(out / "m.xml"), "--mean-values", "image[1,2]"])
    assert code == 1
    assert "3 channels" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_option_syntax():
    assert parse_channel_values("data[1, 2.5,3],mask[4]", "--mean-values") == {
        "data": [1.0, 2.5, 3.0], "mask": [4.0]}
    assert parse_channel_values("[1,2,3]", "--mean-values") == [1.0, 2.0, 3.0]
    assert parse_layouts("data(nchw),mask(nc)") == {"data": "nchw", "mask": "nc"}
    assert parse_layouts("NHWC") == "NHWC"
    with pytest.raises(ConversionError, match="--scale-values: cannot read"):
        parse_channel_values("data(1,2)", "--scale-values")
    with pytest.raises(ConversionError, match="not a list of numbers"):
        parse_channel_values("data[a,b]", "--scale-values")
