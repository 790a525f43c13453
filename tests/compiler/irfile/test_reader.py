"""The IR reader: op versions by opset, IR v10 naming, multi-output layers, OpenVINO spellings."""

import re

import numpy as np
import openvino
import openvino.opset13 as ov_ops
import vinify
from vinify.ir import Graph, constant, make, parameter


def _save_openvino(outputs, parameters, path) -> None:
    openvino.save_model(openvino.Model(outputs, parameters, "ov"), path, compress_to_fp16=False)


def _openvino_outputs(path, inputs) -> list[np.ndarray]:
    compiled = openvino.Core().compile_model(path, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    results = compiled(inputs)
    return [results[i] for i in range(len(compiled.outputs))]


def _template_outputs(graph, inputs) -> list[np.ndarray]:
    results = vinify.compile_model(graph, "TEMPLATE")(inputs)
    return [results[i] for i in range(len(graph.results))]


def test_layer_versions_pick_the_newest_op_at_or_below_the_opset(tmp_path):
    x = parameter("x", "f32", [2, 3])
    graph = Graph([x], [make("Softmax", 8, [make("Add", 1, [x, x])], axis=-1)])
    vinify.save_model(graph, tmp_path / "m.xml")
    text = (tmp_path / "m.xml").read_text()
    text = text.replace('type="Add" version="opset1"', 'type="Add" version="opset13"')
    (tmp_path / "m.xml").write_text(text.replace('version="opset8"', 'version="opset15"'))

    ops = vinify.read_model(tmp_path / "m.xml").op_histogram()
    assert ops["Add<1>"] == 1 and ops["Softmax<8>"] == 1


def test_ir_v10_names_tensors_by_their_layers(tmp_path):
    x = parameter("x", "f32", [2, 3])
    relu = make("Relu", 1, [make("Multiply", 1, [x, constant(np.full((1, 3), 2, np.float32))])],
                name="activation")
    vinify.save_model(Graph([x], [relu]), tmp_path / "m.xml")
    text = (tmp_path / "m.xml").read_text().replace('version="11"', 'version="10"')
    text = re.sub(r' (names|output_names)="[^"]*"', "", text)
    (tmp_path / "m.xml").write_text(text)

    graph = vinify.read_model(tmp_path / "m.xml")
    assert [v.name for v in graph.inputs] == ["x"]
    assert [v.name for v in graph.outputs] == ["activation"]
    data = np.array([[-1, 0, 1], [2, -3, 4]], np.float32)
    np.testing.assert_array_equal(_template_outputs(graph, {"x": data})[0],
                                  np.maximum(2 * data, 0))


def test_multi_output_layers_read_and_write_with_openvino(tmp_path):
    x = ov_ops.parameter([2, 6], np.float32, name="x")
    parts = ov_ops.split(x, ov_ops.constant(np.int64(1)), 3)
    outputs = [ov_ops.relu(parts.output(0)), ov_ops.multiply(parts.output(2), parts.output(1))]
    _save_openvino(outputs, [x], tmp_path / "ov.xml")
    inputs = {"x": np.random.default_rng(0).standard_normal((2, 6)).astype(np.float32)}

    graph = vinify.read_model(tmp_path / "ov.xml")
    expected = _openvino_outputs(tmp_path / "ov.xml", inputs)
    for got, want in zip(_template_outputs(graph, inputs), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    vinify.save_model(graph, tmp_path / "vinify.xml")
    for got, want in zip(_openvino_outputs(tmp_path / "vinify.xml", inputs), expected):
        np.testing.assert_allclose(got, want, rtol=1e-6)


def test_upper_case_enum_values_written_by_openvino(tmp_path):
    x = ov_ops.parameter([1, 2, 5], np.float32, name="x")
    mvn = ov_ops.mvn(x, ov_ops.constant(np.array([2], np.int64)), True, 1e-6, "inside_sqrt")
    _save_openvino([mvn], [x], tmp_path / "ov.xml")
    assert 'eps_mode="INSIDE_SQRT"' in (tmp_path / "ov.xml").read_text()
    inputs = {"x": np.random.default_rng(0).standard_normal((1, 2, 5)).astype(np.float32)}

    graph = vinify.read_model(tmp_path / "ov.xml")
    assert [n.attrs["eps_mode"] for n in graph.nodes() if n.op.name == "MVN"] == ["inside_sqrt"]
    np.testing.assert_allclose(_template_outputs(graph, inputs)[0],
                               _openvino_outputs(tmp_path / "ov.xml", inputs)[0], rtol=1e-4,
                               atol=1e-5)


def test_result_output_names_name_an_unnamed_tensor(tmp_path):
    x = parameter("x", "f32", [2])
    graph = Graph([x], [make("Relu", 1, [x], name="relu")])
    graph.results[0].inputs[0].name = "activation"
    vinify.save_model(graph, tmp_path / "m.xml")
    text = (tmp_path / "m.xml").read_text()
    (tmp_path / "m.xml").write_text(text.replace(' names="activation"', ""))

    assert [v.name for v in vinify.read_model(tmp_path / "m.xml").outputs] == ["activation"]
