"""Sequences, optionals, strings and ONNX-ML ops through vinify's internal ops, compared with
onnxruntime on the same inputs."""

import numpy as np
import onnxruntime
import pytest
import vinify
from onnx import TensorProto, helper
from vinify.frontends.onnx import read_onnx_model


def run_both(nodes, inputs, outputs, opsets=(("", 18),), **feeds):
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    ours = vinify.compile_model(read_onnx_model(model), "TEMPLATE")(feeds).to_tuple()
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return ours, session.run(None, feeds)


def test_sequence_construct_insert_concat():
    nodes = [helper.make_node("SequenceConstruct", ["a", "b"], ["s"]),
             helper.make_node("SequenceInsert", ["s", "a", "pos"], ["s2"]),
             helper.make_node("SequenceLength", ["s2"], ["n"]),
             helper.make_node("ConcatFromSequence", ["s2"], ["joined"], axis=1)]
    inputs = [helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 1]),
              helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 3]),
              helper.make_tensor_value_info("pos", TensorProto.INT64, [])]
    outputs = [helper.make_tensor_value_info("n", TensorProto.INT64, []),
               helper.make_tensor_value_info("joined", TensorProto.FLOAT, [2, 5])]
    ours, theirs = run_both(nodes, inputs, outputs, a=np.ones((2, 1), np.float32),
                            b=np.arange(6, dtype=np.float32).reshape(2, 3),
                            pos=np.array(-1, np.int64))
    for got, want in zip(ours, theirs):
        np.testing.assert_array_equal(got, want)


def test_split_to_sequence_and_sequence_at():
    nodes = [helper.make_node("SplitToSequence", ["x", "split"], ["s"], axis=0),
             helper.make_node("SequenceAt", ["s", "i"], ["piece"])]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 2]),
              helper.make_tensor_value_info("split", TensorProto.INT64, [2]),
              helper.make_tensor_value_info("i", TensorProto.INT64, [])]
    outputs = [helper.make_tensor_value_info("piece", TensorProto.FLOAT, [None, 2])]
    ours, theirs = run_both(nodes, inputs, outputs, x=np.arange(10, dtype=np.float32)
                            .reshape(5, 2), split=np.array([2, 3], np.int64),
                            i=np.array(1, np.int64))
    np.testing.assert_array_equal(ours[0], theirs[0])


def test_sequence_values_cross_the_graph_boundary():
    nodes = [helper.make_node("SequenceErase", ["s"], ["t"])]
    seq_type = helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "g", [helper.make_value_info("s", seq_type)],
                              [helper.make_value_info("t", seq_type)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    converted = read_onnx_model(model)
    assert str(converted.inputs[0].element_type) == "sequence<f32>"
    items = np.empty(2, dtype=object)
    items[0], items[1] = np.zeros(2, np.float32), np.ones(3, np.float32)
    result = vinify.compile_model(converted, "TEMPLATE")({"s": items})[0]
    assert len(result) == 1
    np.testing.assert_array_equal(result[0], np.zeros(2))


def test_string_normalizer_and_regex():
    """(onnxruntime's StringNormalizer needs a locale this machine lacks: expected by hand.)"""
    nodes = [helper.make_node("StringNormalizer", ["x"], ["y"], case_change_action="UPPER",
                              stopwords=["the"]),
             helper.make_node("RegexFullMatch", ["y"], ["m"], pattern="[A-Z]+")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.STRING,
                                                                         [4])],
                              [helper.make_tensor_value_info("y", TensorProto.STRING, [None]),
                               helper.make_tensor_value_info("m", TensorProto.BOOL, [None])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
    words = np.array(["The", "quick", "fox2", "the"], dtype=object)
    normalized, matches = vinify.compile_model(read_onnx_model(model), "TEMPLATE")(
        {"x": words}).to_tuple()
    assert list(normalized) == ["QUICK", "FOX2"]
    np.testing.assert_array_equal(matches, [True, False])


@pytest.mark.parametrize("mode", ["TF", "IDF", "TFIDF"])
def test_tf_idf_vectorizer(mode):
    node = helper.make_node("TfIdfVectorizer", ["x"], ["y"], mode=mode, min_gram_length=1,
                            max_gram_length=2, max_skip_count=1, ngram_counts=[0, 3],
                            ngram_indexes=[0, 1, 2, 3, 4], pool_int64s=[2, 3, 5, 5, 6, 7, 8],
                            weights=[0.5, 1, 2, 3, 4])
    inputs = [helper.make_tensor_value_info("x", TensorProto.INT64, [2, 6])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 5])]
    x = np.array([[2, 5, 6, 3, 7, 8], [5, 5, 6, 2, 3, 3]], np.int64)
    ours, theirs = run_both([node], inputs, outputs, x=x)
    np.testing.assert_allclose(ours[0], theirs[0])


def test_label_encoder_and_binarizer():
    nodes = [helper.make_node("LabelEncoder", ["s"], ["ids"], domain="ai.onnx.ml",
                              keys_strings=["a", "b"], values_int64s=[1, 2], default_int64=-7),
             helper.make_node("Binarizer", ["x"], ["bits"], domain="ai.onnx.ml", threshold=0.5)]
    inputs = [helper.make_tensor_value_info("s", TensorProto.STRING, [3]),
              helper.make_tensor_value_info("x", TensorProto.FLOAT, [3])]
    outputs = [helper.make_tensor_value_info("ids", TensorProto.INT64, [3]),
               helper.make_tensor_value_info("bits", TensorProto.FLOAT, [3])]
    ours, theirs = run_both(nodes, inputs, outputs, opsets=(("", 18), ("ai.onnx.ml", 3)),
                            s=np.array(["b", "z", "a"], dtype=object),
                            x=np.array([0.2, 0.5, 0.9], np.float32))
    for got, want in zip(ours, theirs):
        np.testing.assert_array_equal(got, want)


ML_OPSETS = (("", 18), ("ai.onnx.ml", 3))


@pytest.mark.parametrize("op,attrs", [
    ("Scaler", {"offset": [1.0, -2.0, 0.5], "scale": [2.0, 0.5, 3.0]}),
    ("Normalizer", {"norm": "MAX"}), ("Normalizer", {"norm": "L1"}),
    ("Normalizer", {"norm": "L2"}),
    ("LinearRegressor", {"coefficients": [0.5, -1.0, 2.0, 1.0, 1.0, 1.0], "targets": 2,
                         "intercepts": [0.25, -3.0]}),
    ("Imputer", {"imputed_value_floats": [9.0, 8.0, 7.0], "replaced_value_float": float("nan")}),
])
def test_numeric_ml_ops(op, attrs):
    node = helper.make_node(op, ["x"], ["y"], domain="ai.onnx.ml", **attrs)
    x = np.array([[1.0, -2.0, 3.0], [0.5, np.nan if op == "Imputer" else 4.0, -6.0]], np.float32)
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, None])]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])]
    ours, theirs = run_both([node], inputs, outputs, opsets=ML_OPSETS, x=x)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)


def test_category_mapper_both_ways():
    to_ids = helper.make_node("CategoryMapper", ["s"], ["ids"], domain="ai.onnx.ml",
                              cats_strings=["cat", "dog"], cats_int64s=[3, 7], default_int64=-5)
    to_names = helper.make_node("CategoryMapper", ["n"], ["names"], domain="ai.onnx.ml",
                                cats_strings=["cat", "dog"], cats_int64s=[3, 7],
                                default_string="?")
    inputs = [helper.make_tensor_value_info("s", TensorProto.STRING, [3]),
              helper.make_tensor_value_info("n", TensorProto.INT64, [3])]
    outputs = [helper.make_tensor_value_info("ids", TensorProto.INT64, [3]),
               helper.make_tensor_value_info("names", TensorProto.STRING, [3])]
    ours, theirs = run_both([to_ids, to_names], inputs, outputs, opsets=ML_OPSETS,
                            s=np.array(["dog", "cow", "cat"], dtype=object),
                            n=np.array([7, 3, 1], np.int64))
    np.testing.assert_array_equal(ours[0], theirs[0])
    assert list(ours[1]) == list(theirs[1]) == ["dog", "cat", "?"]


def test_one_hot_encoder_and_feature_vectorizer():
    nodes = [helper.make_node("OneHotEncoder", ["ids"], ["hot"], domain="ai.onnx.ml",
                              cats_int64s=[1, 4, 9], zeros=1),
             helper.make_node("FeatureVectorizer", ["a", "b"], ["features"], domain="ai.onnx.ml",
                              inputdimensions=[2, 3])]
    inputs = [helper.make_tensor_value_info("ids", TensorProto.INT64, [2, 2]),
              helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 2]),
              helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 3])]
    outputs = [helper.make_tensor_value_info("hot", TensorProto.FLOAT, [2, 2, 3]),
               helper.make_tensor_value_info("features", TensorProto.FLOAT, [2, 5])]
    ours, theirs = run_both(nodes, inputs, outputs, opsets=ML_OPSETS,
                            ids=np.array([[1, 9], [4, 2]], np.int64),
                            a=np.array([[0.5, 1.5], [2.5, 3.5]], np.float32),
                            b=np.arange(6, dtype=np.float32).reshape(2, 3))
    for got, want in zip(ours, theirs):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("coefficients,intercepts,labels,transform", [
    ([0.5, -1.0], [0.25], [0, 1], "NONE"), ([0.5, -1.0], [0.25], [0, 1], "LOGISTIC"),
    ([0.5, -1.0, 1, 1, 0, 2], [0.25, 0, 1], [4, 5, 6], "NONE"),
    ([0.5, -1.0, 1, 1, 0, 2], [0.25, 0, 1], [4, 5, 6], "SOFTMAX"),
    ([0.5, -1.0, 1, 1], [0.25, 0], [4, 5], "LOGISTIC"),
])
def test_linear_classifier(coefficients, intercepts, labels, transform):
    node = helper.make_node("LinearClassifier", ["x"], ["label", "scores"], domain="ai.onnx.ml",
                            coefficients=coefficients, intercepts=intercepts,
                            classlabels_ints=labels, post_transform=transform)
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 2])]
    outputs = [helper.make_tensor_value_info("label", TensorProto.INT64, [3]),
               helper.make_tensor_value_info("scores", TensorProto.FLOAT, [3, None])]
    x = np.array([[1, 2], [-1, 0.5], [0, -3]], np.float32)
    ours, theirs = run_both([node], inputs, outputs, opsets=ML_OPSETS, x=x)
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("kernel", ["LINEAR", "POLY", "RBF", "SIGMOID"])
@pytest.mark.parametrize("one_class", [0, 1])
def test_svm_regressor(kernel, one_class):
    node = helper.make_node("SVMRegressor", ["x"], ["y"], domain="ai.onnx.ml",
                            coefficients=[0.5, -1.5, 2.0], kernel_params=[0.3, 0.1, 2.0],
                            kernel_type=kernel, n_supports=3, one_class=one_class, rho=[0.25],
                            support_vectors=[1, 0, 0, 1, 0.5, -0.5])
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 2])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 1])]
    x = np.array([[1, 2], [-1, 0.5], [0, -3]], np.float32)
    ours, theirs = run_both([node], inputs, outputs, opsets=ML_OPSETS, x=x)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5, atol=1e-6)
