"""Conversion options as IR rewrites (vinify.conversion through vinify.convert_model)."""

import numpy as np
import onnx
import onnxruntime
import openvino
import pytest
import vinify
from openvino import layout_helpers
from vinify.errors import ConversionError
from vinify.ir import Graph, make, parameter

from tests.compiler.irfile.onnx_models import convnet, mlp


def _run(graph, inputs):
    results = vinify.compile_model(graph, "TEMPLATE")(inputs)
    return [results[i] for i in range(len(graph.results))]


def _reference(model, inputs):
    return onnxruntime.InferenceSession(model).run(None, inputs)


@pytest.mark.parametrize("spec", ["x[1..8,8]", {"x": ["1..8", 8]}, [["1..8", 8]], ["1..8", 8]],
                         ids=["text", "dict", "list", "single"])
def test_input_shapes_are_overridden_and_types_reinferred(spec):
    model, inputs = mlp(np.random.default_rng(0))
    graph = vinify.convert_model(model, input=spec)

    assert str(graph.inputs[0].shape) == "[1..8,8]"
    assert [str(v.shape) for v in graph.outputs] == ["[1..8,6]", "[1..8,6]"]
    for got, expected in zip(_run(graph, inputs), _reference(model, inputs)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_dynamic_dims_in_the_input_text():
    model, _ = convnet(np.random.default_rng(0))
    graph = vinify.convert_model(model, input="image[?,3,8,8]")
    assert str(graph.inputs[0].shape) == "[?,3,8,8]"
    assert str(graph.outputs[0].shape) == "[?,5,4,4]"


def test_naming_an_inner_tensor_cuts_the_input_there():
    model, _ = mlp(np.random.default_rng(0))
    graph = vinify.convert_model(model, input="act[2,6]")

    assert [v.name for v in graph.inputs] == ["act"]
    act = np.random.default_rng(1).standard_normal((2, 6)).astype(np.float32)
    probs, gate = _run(graph, {"act": act})
    exp = np.exp(act - act.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(probs, exp / exp.sum(axis=-1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(gate, 1 / (1 + np.exp(-act)), rtol=1e-5)


def test_output_cut_keeps_only_the_named_tensors():
    model, inputs = mlp(np.random.default_rng(0))
    graph = vinify.convert_model(model, output=["hidden"])

    assert [v.name for v in graph.outputs] == ["hidden"]
    assert "Softmax<8>" not in graph.op_histogram()
    weights = {t.name: onnx.numpy_helper.to_array(t)
               for t in onnx.load_from_string(model).graph.initializer}
    w, b = weights["w"], weights["b"]
    np.testing.assert_allclose(_run(graph, inputs)[0], inputs["x"] @ w + b, rtol=1e-5)


def test_reverse_channels_then_mean_then_scale_as_the_model_optimizer():
    model, inputs = convnet(np.random.default_rng(0))
    mean, scale = np.array([1, 2, 3], np.float32), np.array([2, 4, 8], np.float32)
    graph = vinify.convert_model(model, reverse_input_channels=True, mean_values=[1, 2, 3],
                                 scale_values={"image": [2, 4, 8]})

    image = inputs["image"]
    prepared = (image[:, ::-1] - mean.reshape(3, 1, 1)) / scale.reshape(3, 1, 1)
    expected = _reference(model, {"image": np.ascontiguousarray(prepared)})[0]
    np.testing.assert_allclose(_run(graph, inputs)[0], expected, rtol=1e-4, atol=1e-5)
    assert graph.inputs[0].name == "image"


def test_layout_places_the_channel_axis_and_reaches_openvino(tmp_path):
    x = parameter("pixels", "f32", [1, 2, 2, 3])
    graph = Graph([x], [make("Relu", 1, [x], name="relu")])
    graph = vinify.convert_model(graph, layout="nhwc", mean_values={"pixels": [1, 2, 3]},
                                 reverse_input_channels=True)

    pixels = np.arange(12, dtype=np.float32).reshape(1, 2, 2, 3)
    expected = np.maximum(pixels[..., ::-1] - np.array([1, 2, 3], np.float32), 0)
    np.testing.assert_array_equal(_run(graph, {"pixels": pixels})[0], expected)

    vinify.save_model(graph, tmp_path / "m.xml")
    assert vinify.read_model(tmp_path / "m.xml").parameters[0].rt_info["layout"] == "[N,H,W,C]"
    model = openvino.Core().read_model(tmp_path / "m.xml")
    assert layout_helpers.get_layout(model.input(0)).to_string() == "[N,H,W,C]"
    compiled = openvino.Core().compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    np.testing.assert_array_equal(compiled({"pixels": pixels})[0], expected)


def test_compress_to_fp16_rewrites_weights_into_decompression_pairs(tmp_path):
    model, inputs = convnet(np.random.default_rng(0))
    graph = vinify.convert_model(model, compress_to_fp16=True)

    converts = [n for n in graph.nodes() if n.op.name == "Convert"]
    assert len(converts) == 3 and all(n.rt_info["decompression"] is True for n in converts)
    assert all(n.inputs[0].element_type.name == "f16" for n in converts)
    np.testing.assert_allclose(_run(graph, inputs)[0], _reference(model, inputs)[0],
                               rtol=2e-2, atol=2e-2)

    vinify.save_model(graph, tmp_path / "rewritten.xml", compress_to_fp16=False)
    vinify.save_model(vinify.convert_model(model), tmp_path / "saved.xml")
    assert (tmp_path / "rewritten.xml").read_bytes() == (tmp_path / "saved.xml").read_bytes()
    assert (tmp_path / "rewritten.bin").read_bytes() == (tmp_path / "saved.bin").read_bytes()


@pytest.mark.parametrize("options, message", [
    ({"input": "nope[1,2]"}, "no tensor named 'nope'"),
    ({"input": "x[1,8"}, "cannot read input specification"),
    ({"output": "missing"}, "no tensor named 'missing'"),
    ({"mean_values": {"x": [1, 2]}}, "input 'x' has 8 channels .* but 2 mean values"),
    ({"scale_values": {"y": [1]}}, "has no input 'y'"),
    ({"layout": "nchw"}, "layout 'nchw' has 4 dimensions but input 'x' has shape"),
    ({"layout": "nn"}, "names a dimension twice"),
])
def test_bad_options_are_conversion_errors(options, message):
    model, _ = mlp(np.random.default_rng(0))
    with pytest.raises(ConversionError, match=message):
        vinify.convert_model(model, **options)


def test_mean_values_need_a_float_input():
    x = parameter("ids", "i64", [4])
    with pytest.raises(ConversionError, match="input 'ids' is i64: mean values need"):
        vinify.convert_model(Graph([x], [make("Abs", 1, [x])]), mean_values=[1])


def test_input_element_types_in_the_text_form():
    x = parameter("x", "f32", [2])
    graph = vinify.convert_model(Graph([x], [make("Relu", 1, [x], name="relu")]),
                                 input="x[1..4]{f16}")
    assert str(graph.inputs[0].type) == "f16[1..4]"
    assert str(graph.outputs[0].type) == "f16[1..4]"
    result = _run(graph, {"x": np.array([-1, 2], np.float16)})[0]
    assert result.dtype == np.float16
    np.testing.assert_array_equal(result, [0, 2])


def test_an_input_type_the_model_cannot_take_is_a_conversion_error():
    model, _ = mlp(np.random.default_rng(0))
    with pytest.raises(ConversionError, match="MatMul.*one element type"):
        vinify.convert_model(model, input="x{f16}")
