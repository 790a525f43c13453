"""A decomposed transformer block exported as ONNX: the common pipeline finds LayerNorm's MVN,
the attention and the GELU, and the optimized graph still matches onnxruntime."""

import numpy as np
import onnx
import onnxruntime
import vinify
from onnx import TensorProto, helper, numpy_helper
from vinify.passes import COMMON, PassManager

WIDTH = 8


def _initializers(rng) -> list:
    arrays = {
        "gamma": rng.uniform(0.5, 1.5, WIDTH), "beta": rng.uniform(-0.5, 0.5, WIDTH),
        "wq": rng.standard_normal((WIDTH, WIDTH)) * 0.3,
        "wk": rng.standard_normal((WIDTH, WIDTH)) * 0.3,
        "wv": rng.standard_normal((WIDTH, WIDTH)) * 0.3,
        "eps": np.array(1e-5), "two": np.array(2.0), "root_width": np.array(np.sqrt(WIDTH)),
        "sqrt2": np.array(np.sqrt(2.0)), "one": np.array(1.0), "half": np.array(0.5),
    }
    return [numpy_helper.from_array(np.asarray(a, np.float32), name) for name, a in arrays.items()]


def _nodes() -> list:
    node = helper.make_node
    return [
        node("ReduceMean", ["x"], ["mean"], axes=[-1]),
        node("Sub", ["x", "mean"], ["centered"]),
        node("Pow", ["centered", "two"], ["squared"]),
        node("ReduceMean", ["squared"], ["variance"], axes=[-1]),
        node("Add", ["variance", "eps"], ["shifted"]),
        node("Sqrt", ["shifted"], ["deviation"]),
        node("Div", ["centered", "deviation"], ["normalized"]),
        node("Mul", ["normalized", "gamma"], ["scaled"]),
        node("Add", ["scaled", "beta"], ["ln"]),
        node("MatMul", ["ln", "wq"], ["q"]),
        node("MatMul", ["ln", "wk"], ["k"]),
        node("MatMul", ["ln", "wv"], ["v"]),
        node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        node("MatMul", ["q", "kt"], ["scores"]),
        node("Div", ["scores", "root_width"], ["scaled_scores"]),
        node("Softmax", ["scaled_scores"], ["probs"], axis=-1),
        node("MatMul", ["probs", "v"], ["attended"]),
        node("Div", ["attended", "sqrt2"], ["erf_in"]),
        node("Erf", ["erf_in"], ["erf"]),
        node("Add", ["erf", "one"], ["erf1"]),
        node("Mul", ["attended", "erf1"], ["gelu2"]),
        node("Mul", ["gelu2", "half"], ["y"]),
    ]


def _model() -> bytes:
    graph = helper.make_graph(
        _nodes(), "block",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 5, WIDTH])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5, WIDTH])],
        _initializers(np.random.default_rng(3)))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model.SerializeToString()


def test_common_pipeline_recognizes_the_block_and_matches_onnxruntime():
    data = _model()
    graph = vinify.read_model(data)
    PassManager(COMMON, verify=True).run(graph)
    histogram = graph.op_histogram()
    for key in ("MVN<6>", "ScaledDotProductAttention<13>", "Gelu<7>"):
        assert histogram.get(key) == 1, histogram
    assert not any(key.startswith(("Softmax", "Erf", "ReduceMean", "Sqrt")) for key in histogram)
    x = np.random.default_rng(0).standard_normal((2, 5, WIDTH)).astype(np.float32)
    want = onnxruntime.InferenceSession(data, providers=["CPUExecutionProvider"]).run(
        None, {"x": x})[0]
    got = vinify.compile_model(graph, "TEMPLATE")({"x": x})[0]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
