"""Converters across ONNX opset semantic changes, compared with onnxruntime: Softmax family
coercing to 2-D before opset 13, Clip bounds as attributes before 11, legacy broadcasting
before 7, Hardmax, Mod/Div on integers, Gemm, MatMulInteger, Cast saturation."""

import numpy as np
import onnxruntime
import pytest
import vinify
from onnx import TensorProto, helper
from vinify.frontends.onnx import read_onnx_model

FLOAT = TensorProto.FLOAT


def run_ours(node, inputs: dict, output_type=FLOAT, opset=13):
    return vinify.compile_model(read_onnx_model(_model(node, inputs, output_type, opset),
                                                check=False), "TEMPLATE")(inputs)[0]


def _model(node, inputs: dict, output_type, opset):
    infos = [helper.make_tensor_value_info(name, _onnx_type(array), array.shape)
             for name, array in inputs.items()]
    graph = helper.make_graph([node], "g", infos,
                              [helper.make_tensor_value_info(node.output[0], output_type, None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    return model


def run_both(node, inputs: dict, output_type=FLOAT, opset=13):
    model = _model(node, inputs, output_type, opset)
    ours = vinify.compile_model(read_onnx_model(model, check=False), "TEMPLATE")(inputs)[0]
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return ours, session.run(None, inputs)[0]


def _onnx_type(array: np.ndarray) -> int:
    return helper.np_dtype_to_tensor_dtype(array.dtype)


def assert_close(pair, rtol=1e-5, atol=1e-6):
    ours, theirs = pair
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


X = np.random.default_rng(3).normal(size=(2, 3, 4)).astype(np.float32)


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax", "Hardmax"])
@pytest.mark.parametrize("opset,axis", [(11, 1), (11, 0), (11, -1), (13, 1), (13, -1)])
def test_softmax_family_across_opset_13(op, opset, axis):
    node = helper.make_node(op, ["x"], ["y"], axis=axis)
    assert_close(run_both(node, {"x": X}, opset=opset))


def test_clip_attributes_before_opset_11():
    node = helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=0.25)
    assert_close(run_both(node, {"x": X}, opset=6))


def test_clip_inputs_from_opset_11():
    node = helper.make_node("Clip", ["x", "lo", "hi"], ["y"])
    inputs = {"x": X, "lo": np.array(-0.3, np.float32), "hi": np.array(0.7, np.float32)}
    assert_close(run_both(node, inputs, opset=13))


def test_legacy_broadcast_with_axis():
    node = helper.make_node("Add", ["x", "b"], ["y"], broadcast=1, axis=1)
    inputs = {"x": X, "b": np.array([1, 2, 3], np.float32)}
    ours = run_ours(node, inputs, opset=6)  # (onnxruntime has no Add-6 kernel)
    np.testing.assert_allclose(ours, X + np.array([1, 2, 3], np.float32)[:, None])


@pytest.mark.parametrize("op,attrs", [("Div", {}), ("Mod", {}), ("Mod", {"fmod": 1})])
def test_integer_division_and_modulo(op, attrs):
    node = helper.make_node(op, ["a", "b"], ["y"], **attrs)
    inputs = {"a": np.array([7, -7, 7, -7, 0], np.int32),
              "b": np.array([2, 2, -2, -2, 3], np.int32)}
    assert_close(run_both(node, inputs, TensorProto.INT32))


@pytest.mark.parametrize("trans_a,trans_b", [(0, 0), (1, 0), (0, 1)])
def test_gemm(trans_a, trans_b):
    a = np.arange(6, dtype=np.float32).reshape((3, 2) if trans_a else (2, 3))
    b = np.arange(12, dtype=np.float32).reshape((4, 3) if trans_b else (3, 4)) / 7
    node = helper.make_node("Gemm", ["a", "b", "c"], ["y"], alpha=0.5, beta=2.0,
                            transA=trans_a, transB=trans_b)
    assert_close(run_both(node, {"a": a, "b": b, "c": np.ones(4, np.float32)}))


def test_matmul_integer_with_zero_points():
    """Per-row zero points of A and per-column ones of B (onnxruntime takes scalars only)."""
    node = helper.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["y"])
    inputs = {"a": np.array([[1, 200], [30, 4]], np.uint8),
              "b": np.array([[5, 6, 7], [8, 9, 250]], np.uint8),
              "za": np.array([3, 10], np.uint8), "zb": np.array([1, 2, 3], np.uint8)}
    ours = run_ours(node, inputs, TensorProto.INT32)
    a = inputs["a"].astype(np.int32) - inputs["za"].astype(np.int32)[:, None]
    b = inputs["b"].astype(np.int32) - inputs["zb"].astype(np.int32)
    assert ours.dtype == np.int32
    np.testing.assert_array_equal(ours, a @ b)


def test_matmul_integer_scalar_zero_points():
    node = helper.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["y"])
    inputs = {"a": np.array([[1, 200], [30, 4]], np.uint8),
              "b": np.array([[5, 6, 7], [8, 9, 250]], np.uint8),
              "za": np.array(3, np.uint8), "zb": np.array(2, np.uint8)}
    assert_close(run_both(node, inputs, TensorProto.INT32))


@pytest.mark.parametrize("op,attrs", [("LeakyRelu", {"alpha": 0.2}), ("Elu", {"alpha": 0.7}),
                                      ("Selu", {}), ("Celu", {"alpha": 2.0}),
                                      ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}),
                                      ("HardSwish", {}), ("Softplus", {}), ("Softsign", {}),
                                      ("ThresholdedRelu", {"alpha": 0.5}),
                                      ("Shrink", {"lambd": 0.6, "bias": 0.1}), ("Mish", {})])
def test_activations(op, attrs):
    node = helper.make_node(op, ["x"], ["y"], **attrs)
    assert_close(run_both(node, {"x": X}, opset=18), rtol=1e-4, atol=1e-5)


def test_prelu_with_channel_slope():
    node = helper.make_node("PRelu", ["x", "slope"], ["y"])
    inputs = {"x": X, "slope": np.array([[0.1], [0.2], [0.3]], np.float32)}
    assert_close(run_both(node, inputs, opset=16))


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax", "Hardmax"])
def test_softmax_before_13_with_dynamic_dimensions(op):
    node = helper.make_node(op, ["x"], ["y"], axis=1)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", FLOAT,
                                                                          ["n", 3, "h"])],
                              [helper.make_tensor_value_info("y", FLOAT, ["n", 3, "h"])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    converted = read_onnx_model(model)
    assert str(converted.outputs[0].shape) == "[?,3,?]"
    ours = vinify.compile_model(converted, "TEMPLATE")({"x": X})[0]
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(ours, session.run(None, {"x": X})[0], rtol=1e-5, atol=1e-6)
