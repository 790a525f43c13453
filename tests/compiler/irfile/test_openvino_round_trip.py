"""IR files against OpenVINO itself: the openvino wheel is the oracle, onnxruntime the reference.

(a) OpenVINO converts an ONNX model and saves IR; vinify reads it and runs it on TEMPLATE.
(b) vinify converts the ONNX model and saves IR; OpenVINO reads it and runs it on its CPU (f32).
Both with and without FP16 weight compression (then within f16 tolerance).
"""

import io

import numpy as np
import onnxruntime
import openvino
import pytest
import vinify

from tests.compiler.irfile.onnx_models import MODELS

F32_TOLERANCE = dict(rtol=1e-4, atol=1e-5)
F16_TOLERANCE = dict(rtol=2e-2, atol=2e-2)


def _reference(model: bytes, inputs: dict) -> list[np.ndarray]:
    return onnxruntime.InferenceSession(model).run(None, inputs)


def _check(outputs, reference, compress: bool) -> None:
    tolerance = F16_TOLERANCE if compress else F32_TOLERANCE
    assert len(outputs) == len(reference)
    for got, expected in zip(outputs, reference):
        np.testing.assert_allclose(got, expected, **tolerance)


@pytest.mark.parametrize("compress", [False, True], ids=["f32", "fp16"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_openvino_saves_vinify_runs(tmp_path, name, compress):
    model, inputs = MODELS[name](np.random.default_rng(0))
    ov_model = openvino.convert_model(io.BytesIO(model))
    openvino.save_model(ov_model, tmp_path / "ov.xml", compress_to_fp16=compress)

    graph = vinify.read_model(tmp_path / "ov.xml")
    results = vinify.compile_model(graph, "TEMPLATE")(inputs)

    _check([results[i] for i in range(len(graph.results))], _reference(model, inputs), compress)
    constants = [n for n in graph.nodes() if n.op.name == "Constant"]
    assert all(c.attrs["value"].dtype != np.float16 for c in constants)  # f16 weights unfolded


@pytest.mark.parametrize("compress", [False, True], ids=["f32", "fp16"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_vinify_saves_openvino_runs(tmp_path, name, compress):
    model, inputs = MODELS[name](np.random.default_rng(0))
    graph = vinify.convert_model(model)
    vinify.save_model(graph, tmp_path / "vinify.xml", compress_to_fp16=compress)

    compiled = openvino.Core().compile_model(tmp_path / "vinify.xml", "CPU",
                                             {"INFERENCE_PRECISION_HINT": "f32"})
    results = compiled(inputs)

    _check([results[i] for i in range(len(compiled.outputs))], _reference(model, inputs),
           compress)
    assert [o.get_any_name() for o in compiled.outputs] == [v.name for v in graph.outputs]
    text = (tmp_path / "vinify.xml").read_text()
    assert ('element_type="f16"' in text) == compress


@pytest.mark.parametrize("compress", [False, True], ids=["f32", "fp16"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_save_read_save_is_byte_identical(tmp_path, name, compress):
    model, _ = MODELS[name](np.random.default_rng(0))
    vinify.save_model(vinify.convert_model(model), tmp_path / "first.xml",
                      compress_to_fp16=compress)
    vinify.save_model(vinify.read_model(tmp_path / "first.xml"), tmp_path / "second.xml",
                      compress_to_fp16=compress)

    assert (tmp_path / "first.xml").read_bytes() == (tmp_path / "second.xml").read_bytes()
    assert (tmp_path / "first.bin").read_bytes() == (tmp_path / "second.bin").read_bytes()


def test_openvino_file_reads_and_writes_back_the_same_weights(tmp_path):
    model, _ = MODELS["convnet"](np.random.default_rng(0))
    openvino.save_model(openvino.convert_model(io.BytesIO(model)), tmp_path / "ov.xml")

    vinify.save_model(vinify.read_model(tmp_path / "ov.xml"), tmp_path / "vinify.xml")

    assert (tmp_path / "ov.bin").read_bytes() == (tmp_path / "vinify.bin").read_bytes()


def test_bounded_and_dynamic_dims_survive_both_ways(tmp_path):
    model, inputs = MODELS["mlp"](np.random.default_rng(0))
    ov_model = openvino.convert_model(io.BytesIO(model))
    ov_model.reshape({"x": openvino.PartialShape("1..8,8")})
    openvino.save_model(ov_model, tmp_path / "ov.xml", compress_to_fp16=False)

    graph = vinify.read_model(tmp_path / "ov.xml")
    assert str(graph.inputs[0].shape) == "[1..8,8]"
    assert str(graph.outputs[0].shape) == "[1..8,6]"
    vinify.save_model(graph, tmp_path / "vinify.xml", compress_to_fp16=False)
    assert 'shape="1..8,8"' in (tmp_path / "vinify.xml").read_text()

    reread = openvino.Core().read_model(tmp_path / "vinify.xml")
    assert str(reread.inputs[0].get_partial_shape()) == "[1..8,8]"
    compiled = openvino.Core().compile_model(reread, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    np.testing.assert_allclose(compiled(inputs)[0], _reference(model, inputs)[0],
                               **F32_TOLERANCE)
