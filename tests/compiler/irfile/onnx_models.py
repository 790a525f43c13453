"""Small ONNX models for the IR file tests, built with onnx.helper (no files checked in).

Each builder returns (model bytes, example inputs). The models keep to ops that both vinify and
OpenVINO support, with a dynamic batch where it matters.
"""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _model(nodes, inputs, outputs, initializers, opset=13) -> bytes:
    graph = helper.make_graph(nodes, "irfile_test", inputs, outputs,
                              [numpy_helper.from_array(a, n) for n, a in initializers.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return model.SerializeToString()


def _tensor(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def mlp(rng: np.random.Generator):
    """MatMul + Add + Relu, then Softmax and Sigmoid heads; batch is dynamic."""
    nodes = [helper.make_node("MatMul", ["x", "w"], ["mm"]),
             helper.make_node("Add", ["mm", "b"], ["hidden"]),
             helper.make_node("Relu", ["hidden"], ["act"]),
             helper.make_node("Softmax", ["act"], ["probs"], axis=-1),
             helper.make_node("Sigmoid", ["act"], ["gate"])]
    weights = {"w": rng.standard_normal((8, 6)).astype(np.float32),
               "b": rng.standard_normal(6).astype(np.float32)}
    model = _model(nodes, [_tensor("x", ["N", 8])],
                   [_tensor("probs", ["N", 6]), _tensor("gate", ["N", 6])], weights)
    return model, {"x": rng.standard_normal((3, 8)).astype(np.float32)}


def convnet(rng: np.random.Generator):
    """Conv + Relu + MaxPool + Conv with bias: an NCHW image model with 3 input channels."""
    nodes = [helper.make_node("Conv", ["image", "k1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c1"], ["r1"]),
             helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Conv", ["p1", "k2"], ["features"], strides=[1, 1])]
    weights = {"k1": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
               "b1": rng.standard_normal(4).astype(np.float32),
               "k2": rng.standard_normal((5, 4, 1, 1)).astype(np.float32)}
    model = _model(nodes, [_tensor("image", [1, 3, 8, 8])],
                   [_tensor("features", [1, 5, 4, 4])], weights)
    return model, {"image": rng.standard_normal((1, 3, 8, 8)).astype(np.float32)}


def reshaper(rng: np.random.Generator):
    """Transpose, Reshape, Concat with a constant and Gather: data movement ops."""
    nodes = [helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 1]),
             helper.make_node("Reshape", ["t", "shape"], ["flat"]),
             helper.make_node("Concat", ["flat", "extra"], ["joined"], axis=1),
             helper.make_node("Gather", ["joined", "picks"], ["picked"], axis=1),
             helper.make_node("Mul", ["picked", "scale"], ["out"])]
    weights = {"shape": np.array([2, -1], np.int64),
               "extra": rng.standard_normal((2, 3)).astype(np.float32),
               "picks": np.array([0, 5, 13, 2], np.int64),
               "scale": np.array(0.5, np.float32)}
    model = _model(nodes, [_tensor("x", [2, 3, 4])], [_tensor("out", [2, 4])], weights)
    return model, {"x": rng.standard_normal((2, 3, 4)).astype(np.float32)}


MODELS = {"mlp": mlp, "convnet": convnet, "reshaper": reshaper}
