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


def _typed(name: str, elem, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def if_branches(rng: np.random.Generator):
    """If: x + x when c, else x * x."""
    then_graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["doubled"])], "then", [],
                                   [_tensor("doubled", [2])])
    else_graph = helper.make_graph([helper.make_node("Mul", ["x", "x"], ["squared"])], "else",
                                   [], [_tensor("squared", [2])])
    node = helper.make_node("If", ["c"], ["y"], then_branch=then_graph, else_branch=else_graph)
    model = _model([node], [_typed("c", TensorProto.BOOL, []), _tensor("x", [2])],
                   [_tensor("y", [2])], {})
    return model, {"c": np.array(False), "x": rng.standard_normal(2).astype(np.float32)}


def loop_accumulate(rng: np.random.Generator):
    """Loop: a carried sum, the condition passed through, and a per-iteration output."""
    body = helper.make_graph(
        [helper.make_node("Add", ["acc", "x"], ["acc_out"]),
         helper.make_node("Identity", ["cond"], ["cond_out"]),
         helper.make_node("Mul", ["acc", "acc"], ["square"])], "body",
        [_typed("i", TensorProto.INT64, []), _typed("cond", TensorProto.BOOL, []),
         _tensor("acc", [2])],
        [_typed("cond_out", TensorProto.BOOL, []), _tensor("acc_out", [2]),
         _tensor("square", [2])])
    node = helper.make_node("Loop", ["trip", "keep_going", "start"], ["total", "squares"],
                            body=body)
    model = _model([node], [_typed("trip", TensorProto.INT64, []),
                            _typed("keep_going", TensorProto.BOOL, []), _tensor("start", [2]),
                            _tensor("x", [2])],
                   [_tensor("total", [2]), _tensor("squares", [None, 2])], {})
    inputs = {"trip": np.array(3, np.int64), "keep_going": np.array(True),
              "start": rng.standard_normal(2).astype(np.float32),
              "x": rng.standard_normal(2).astype(np.float32)}
    return model, inputs


def scan_reverse(rng: np.random.Generator):
    """Scan (a TensorIterator): a running sum read backwards, outputs stacked on axis 1."""
    body = helper.make_graph(
        [helper.make_node("Add", ["s", "xi"], ["s_out"]),
         helper.make_node("Mul", ["xi", "xi"], ["y"])], "body",
        [_tensor("s", [2]), _tensor("xi", [2])], [_tensor("s_out", [2]), _tensor("y", [2])])
    node = helper.make_node("Scan", ["s0", "xs"], ["s_final", "ys"], body=body,
                            num_scan_inputs=1, scan_input_directions=[1], scan_output_axes=[1])
    model = _model([node], [_tensor("s0", [2]), _tensor("xs", [3, 2])],
                   [_tensor("s_final", [2]), _tensor("ys", [2, 3])], {})
    return model, {"s0": rng.standard_normal(2).astype(np.float32),
                   "xs": rng.standard_normal((3, 2)).astype(np.float32)}


def recurrent(kind: str):
    """ONNX LSTM / GRU / RNN over a [5, 1, 3] sequence with hidden size 4."""
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind]

    def build(rng: np.random.Generator):
        weights = {"W": rng.standard_normal((1, gates * 4, 3)).astype(np.float32) * 0.5,
                   "R": rng.standard_normal((1, gates * 4, 4)).astype(np.float32) * 0.5,
                   "B": rng.standard_normal((1, gates * 8)).astype(np.float32) * 0.1}
        node = helper.make_node(kind, ["X", "W", "R", "B"], ["Y", "Y_h"], hidden_size=4)
        model = _model([node], [_tensor("X", [5, 1, 3])],
                       [_tensor("Y", [5, 1, 1, 4]), _tensor("Y_h", [1, 1, 4])], weights)
        return model, {"X": rng.standard_normal((5, 1, 3)).astype(np.float32)}

    return build


BODY_MODELS = {"if": if_branches, "loop": loop_accumulate, "scan": scan_reverse}
RNN_MODELS = {kind.lower(): recurrent(kind) for kind in ("LSTM", "GRU", "RNN")}
