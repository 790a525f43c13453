"""Body graphs (If, Loop, TensorIterator) and the RNN sequence ops in IR files, both ways
against OpenVINO, with onnxruntime as the reference."""

import io

import numpy as np
import onnxruntime
import openvino
import pytest
import vinify
from vinify.errors import ModelFileError

from tests.compiler.irfile.onnx_models import BODY_MODELS, RNN_MODELS

MODELS = {**BODY_MODELS, **RNN_MODELS}
TOLERANCE = dict(rtol=1e-4, atol=1e-5)


def _reference(model, inputs):
    return onnxruntime.InferenceSession(model).run(None, inputs)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_openvino_saves_vinify_runs(tmp_path, name):
    model, inputs = MODELS[name](np.random.default_rng(0))
    openvino.save_model(openvino.convert_model(io.BytesIO(model)), tmp_path / "ov.xml",
                        compress_to_fp16=False)

    graph = vinify.read_model(tmp_path / "ov.xml")
    results = vinify.compile_model(graph, "TEMPLATE")(inputs)

    for index, expected in enumerate(_reference(model, inputs)):
        np.testing.assert_allclose(results[index], expected, **TOLERANCE)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_vinify_saves_openvino_runs_and_resaves_identically(tmp_path, name):
    model, inputs = MODELS[name](np.random.default_rng(0))
    vinify.save_model(vinify.convert_model(model), tmp_path / "first.xml")

    compiled = openvino.Core().compile_model(tmp_path / "first.xml", "CPU",
                                             {"INFERENCE_PRECISION_HINT": "f32"})
    results = compiled(inputs)
    for index, expected in enumerate(_reference(model, inputs)):
        np.testing.assert_allclose(results[index], expected, rtol=2e-2, atol=2e-2)  # f16 weights

    vinify.save_model(vinify.read_model(tmp_path / "first.xml"), tmp_path / "second.xml")
    assert (tmp_path / "first.xml").read_bytes() == (tmp_path / "second.xml").read_bytes()
    assert (tmp_path / "first.bin").read_bytes() == (tmp_path / "second.bin").read_bytes()


def test_per_iteration_axes_become_squeeze_and_unsqueeze_at_the_body_boundary(tmp_path):
    model, _ = BODY_MODELS["scan"](np.random.default_rng(0))
    vinify.save_model(vinify.convert_model(model), tmp_path / "m.xml")
    text = (tmp_path / "m.xml").read_text()

    assert '<input axis="0" external_port_id="1"' in text
    assert 'start="-1" end="0" stride="-1" part_size="1"' in text  # read backwards
    assert '<output axis="1" external_port_id="3"' in text
    assert 'type="Squeeze"' in text and 'type="Unsqueeze"' in text
    body = [n for n in vinify.read_model(tmp_path / "m.xml").nodes() if n.bodies][0].bodies[0]
    assert "Squeeze<1>" not in body.op_histogram()  # the boundary ops do not pile up


@pytest.fixture
def if_file(tmp_path):
    model, _ = BODY_MODELS["if"](np.random.default_rng(0))
    path = tmp_path / "if.xml"
    vinify.save_model(vinify.convert_model(model), path)
    return path


@pytest.mark.parametrize("old, new, message", [
    ('<input external_port_id="1" internal_layer_id="0" />',
     '<input external_port_id="1" internal_layer_id="9" />',
     r"layer id=2 name='y' type=If <then_body>: body parameter .* is not mapped"),
    ('<output external_port_id="3" internal_layer_id="2" />',
     '<output external_port_id="3" internal_layer_id="0" />',
     r"layer id=2 name='y' type=If <then_body>: port map names layer id=0, which is not a "
     r"Result"),
    ("<then_body>", "<then_bodx>", r"layer id=2 name='y' type=If: the layer has no <then_body>"),
])
def test_broken_port_maps_are_model_file_errors(if_file, old, new, message):
    text = if_file.read_text()
    assert old in text
    if_file.write_text(text.replace(old, new, 1).replace("</then_body>", "</then_bodx>")
                       if old == "<then_body>" else text.replace(old, new, 1))
    with pytest.raises(ModelFileError, match=message):
        vinify.read_model(if_file)


def test_bodies_nested_too_deep_are_refused(tmp_path):
    """An If whose then-body holds an If whose then-body holds an If ... 40 levels down."""
    level = ('<layer id="{id}" name="if{depth}" type="If" version="opset8">'
             '<then_port_map /><else_port_map /><then_body>{inner}</then_body>'
             '<else_body><layers /><edges /></else_body></layer>')
    inner = "<layers /><edges />"
    for depth in range(40, 0, -1):
        inner = "<layers>" + level.format(id=0, depth=depth, inner=inner) + "</layers><edges />"
    (tmp_path / "deep.xml").write_text(f'<?xml version="1.0"?><net name="deep" version="11">'
                                       f'{inner}</net>')
    with pytest.raises(ModelFileError, match=r"name='if33' type=If: body graphs nest deeper "
                                             r"than 32 levels"):
        vinify.read_model(tmp_path / "deep.xml")
