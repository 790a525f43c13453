"""The light ONNX models of the onnx wheel (seeded random weights) through IR files, both ways
against OpenVINO, with onnxruntime as the reference: all nine in f32, two with FP16 weights."""

import io

import numpy as np
import onnxruntime
import openvino
import pytest
import vinify
from vinify.tools.light_models import LIGHT_MODELS, light_model_path, randomized

CASES = [(name, False) for name in LIGHT_MODELS] + [("squeezenet", True), ("resnet50", True)]


@pytest.fixture(scope="module")
def light_models():
    """name -> (model bytes, inputs, onnxruntime outputs), built once per module."""
    cache = {}

    def get(name: str):
        if name not in cache:
            model = randomized(light_model_path(name))
            data = model.SerializeToString()
            weights = {t.name for t in model.graph.initializer}
            (value,) = [v for v in model.graph.input if v.name not in weights]
            shape = [d.dim_value for d in value.type.tensor_type.shape.dim]
            inputs = {value.name: np.random.default_rng(0).random(shape, np.float32)}
            cache[name] = data, inputs, onnxruntime.InferenceSession(data).run(None, inputs)
        return cache[name]

    return get


def _check(got, expected, compress: bool) -> None:
    scale = float(np.abs(expected).max())
    if compress:  # f16 weights: compare at the scale of the outputs
        np.testing.assert_allclose(got, expected, rtol=0, atol=5e-2 * scale)
        assert np.argmax(got) == np.argmax(expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-4 * scale)


@pytest.mark.parametrize("name, compress", CASES)
def test_openvino_saves_vinify_runs(tmp_path, light_models, name, compress):
    data, inputs, expected = light_models(name)
    openvino.save_model(openvino.convert_model(io.BytesIO(data)), tmp_path / "ov.xml",
                        compress_to_fp16=compress)
    graph = vinify.read_model(tmp_path / "ov.xml")
    _check(vinify.compile_model(graph, "TEMPLATE")(inputs)[0], expected[0], compress)


@pytest.mark.parametrize("name, compress", CASES)
def test_vinify_saves_openvino_runs(tmp_path, light_models, name, compress):
    data, inputs, expected = light_models(name)
    vinify.save_model(vinify.convert_model(data), tmp_path / "vinify.xml",
                      compress_to_fp16=compress)
    compiled = openvino.Core().compile_model(tmp_path / "vinify.xml", "CPU",
                                             {"INFERENCE_PRECISION_HINT": "f32"})
    _check(compiled(inputs)[0], expected[0], compress)


def test_convert_command_with_the_pipeline_runs_on_openvino(tmp_path, light_models):
    from vinify.cli import main

    data, inputs, expected = light_models("squeezenet")
    (tmp_path / "squeezenet.onnx").write_bytes(data)
    out = tmp_path / "squeezenet.xml"
    assert main(["convert", str(tmp_path / "squeezenet.onnx"), "-o", str(out)]) == 0

    compiled = openvino.Core().compile_model(out, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    _check(compiled(inputs)[0], expected[0], compress=True)
