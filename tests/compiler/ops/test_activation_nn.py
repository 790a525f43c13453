"""Activations added for NN models: references against onnxruntime, shapes, bad input."""

import numpy as np
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.ort_reference import output_type, run_onnx_node, run_vinify_node

RNG = np.random.default_rng(7)
X = (RNG.standard_normal((2, 3, 4, 5)) * 3).astype(np.float32)


@pytest.mark.parametrize("ours, version, onnx_name, attrs, onnx_attrs", [
    ("Elu", 1, "Elu", {"alpha": 0.7}, {"alpha": 0.7}),
    ("Gelu", 2, "Gelu", {}, {}),
    ("Gelu", 7, "Gelu", {"approximation_mode": "ERF"}, {}),
    ("Gelu", 7, "Gelu", {"approximation_mode": "TANH"}, {"approximate": "tanh"}),
    ("HSwish", 4, "HardSwish", {}, {}),
    ("Mish", 4, "Mish", {}, {}),
    ("SoftPlus", 4, "Softplus", {}, {}),
    ("SoftSign", 9, "Softsign", {}, {}),
    ("Erf", 1, "Erf", {}, {}),
    ("LogSoftmax", 5, "LogSoftmax", {"axis": -2}, {"axis": -2}),
])
def test_unary_activations_match_onnxruntime(ours, version, onnx_name, attrs, onnx_attrs):
    expected = run_onnx_node(onnx_name, {"x": X}, opset=20, **onnx_attrs)[0]
    actual = run_vinify_node(ours, version, [X], **attrs)[0]
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_hsigmoid_matches_onnxruntime_hard_sigmoid_with_sixth():
    expected = run_onnx_node("HardSigmoid", {"x": X}, alpha=1 / 6, beta=0.5)[0]
    np.testing.assert_allclose(run_vinify_node("HSigmoid", 5, [X])[0], expected, atol=1e-6)


def test_scalar_parameter_activations_match_onnxruntime():
    alpha, gamma = np.array(1.6, np.float32), np.array(1.05, np.float32)
    selu = run_onnx_node("Selu", {"x": X}, alpha=1.6, gamma=1.05)[0]
    np.testing.assert_allclose(run_vinify_node("Selu", 1, [X, alpha, gamma])[0], selu,
                               rtol=1e-5, atol=1e-6)
    hard = run_onnx_node("HardSigmoid", {"x": X}, alpha=0.3, beta=0.4)[0]
    actual = run_vinify_node("HardSigmoid", 1, [X, np.array([0.3], np.float32),
                                                np.array([0.4], np.float32)])[0]
    np.testing.assert_allclose(actual, hard, rtol=1e-5, atol=1e-6)
    beta = np.array(1.7, np.float32)
    swish = X / (1 + np.exp(-1.7 * X))
    np.testing.assert_allclose(run_vinify_node("Swish", 4, [X, beta])[0], swish, rtol=1e-5)
    np.testing.assert_allclose(run_vinify_node("Swish", 4, [X])[0], X / (1 + np.exp(-X)),
                               rtol=1e-5)


def test_prelu_per_channel_and_broadcast_match_onnxruntime():
    slope = RNG.standard_normal(3).astype(np.float32)
    expected = run_onnx_node("PRelu", {"x": X}, initializers={"s": slope.reshape(3, 1, 1)})[0]
    np.testing.assert_allclose(run_vinify_node("PRelu", 1, [X, slope])[0], expected)
    last_axis = RNG.standard_normal(5).astype(np.float32)
    expected = run_onnx_node("PRelu", {"x": X}, initializers={"s": last_axis})[0]
    np.testing.assert_allclose(run_vinify_node("PRelu", 1, [X, last_axis])[0], expected)


def test_clamp_matches_onnxruntime_and_rounds_integer_bounds_inward():
    expected = run_onnx_node("Clip", {"x": X}, initializers={
        "lo": np.array(-1.5, np.float32), "hi": np.array(2.0, np.float32)})[0]
    np.testing.assert_array_equal(run_vinify_node("Clamp", 1, [X], min=-1.5, max=2.0)[0],
                                  expected)
    ints = np.arange(-4, 5, dtype=np.int32)
    actual = run_vinify_node("Clamp", 1, [ints], min=-2.5, max=2.5)[0]
    np.testing.assert_array_equal(actual, np.clip(ints, -2, 2))


def test_f16_gelu_keeps_f16():
    actual = run_vinify_node("Gelu", 7, [X.astype(np.float16)], approximation_mode="TANH")[0]
    assert actual.dtype == np.float16


def test_activation_shapes_pass_through_dynamic_dims():
    assert output_type("Mish", 4, ["[?,3,1..9]"]) == "f32[?,3,1..9]"
    assert output_type("PRelu", 1, ["[...]", "[3]"]) == "f32[...]"
    assert output_type("LogSoftmax", 5, ["[2,?]"], axis=-1) == "f32[2,?]"


def test_bad_activation_inputs_name_the_node():
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(Clamp<1>\).*greater than max"):
        output_type("Clamp", 1, ["[2]"], min=3.0, max=1.0)
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(Elu<1>\).*i32"):
        output_type("Elu", 1, ["[2]"], elements=["i32"], alpha=1.0)
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(Selu<1>\).*one value"):
        output_type("Selu", 1, ["[2]", "[2]", "[]"])
