"""Hostile and malformed ONNX files: each ends in a typed error that names the culprit, and
nothing outside the model's folder is read."""

import os

import numpy as np
import pytest
import vinify
from onnx import TensorProto, helper
from vinify.errors import ConversionError, ModelFileError, UnsupportedOpError
from vinify.frontends.onnx import read_onnx_model

from .model_builders import model_with_external_weight, single_node_model, weight_bytes


@pytest.fixture
def model_dir(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "secret.bin").write_bytes(b"S" * 64)  # outside the model's folder
    return folder


def save(folder, model, name="model.onnx"):
    path = folder / name
    path.write_bytes(model.SerializeToString())
    return path


def test_external_data_inside_the_folder_is_loaded(model_dir):
    (model_dir / "weights.bin").write_bytes(b"\0" * 8 + weight_bytes())
    path = save(model_dir, model_with_external_weight("weights.bin", offset=8))
    compiled = vinify.compile_model(vinify.read_model(path), "TEMPLATE")
    result = compiled({"x": np.ones(4, np.float32)})[0]
    np.testing.assert_array_equal(result, np.arange(4, dtype=np.float32) + 1)


def test_path_traversal_is_refused(model_dir):
    path = save(model_dir, model_with_external_weight("../secret.bin"))
    with pytest.raises(ModelFileError, match=r"tensor 'weight'.*'\.\./secret\.bin'.*'\.\.'"):
        read_onnx_model(path)


def test_traversal_hidden_inside_a_path_is_refused(model_dir):
    (model_dir / "sub").mkdir()
    path = save(model_dir, model_with_external_weight("sub/../../secret.bin"))
    with pytest.raises(ModelFileError, match="'weight'.*refused"):
        read_onnx_model(path)


def test_absolute_path_is_refused(model_dir, tmp_path):
    path = save(model_dir, model_with_external_weight(str(tmp_path / "secret.bin")))
    with pytest.raises(ModelFileError, match="'weight'.*absolute paths are refused"):
        read_onnx_model(path)


def test_symlink_is_refused(model_dir, tmp_path):
    os.symlink(tmp_path / "secret.bin", model_dir / "weights.bin")
    path = save(model_dir, model_with_external_weight("weights.bin"))
    with pytest.raises(ModelFileError, match="'weight'.*weights.bin is a symbolic link"):
        read_onnx_model(path)


def test_symlinked_folder_is_refused(model_dir, tmp_path):
    os.symlink(tmp_path, model_dir / "data")
    path = save(model_dir, model_with_external_weight("data/secret.bin"))
    with pytest.raises(ModelFileError, match="'weight'.*symbolic link"):
        read_onnx_model(path)


def test_hard_link_is_refused(model_dir, tmp_path):
    os.link(tmp_path / "secret.bin", model_dir / "weights.bin")
    path = save(model_dir, model_with_external_weight("weights.bin"))
    with pytest.raises(ModelFileError, match="'weight'.*weights.bin has 2 hard links"):
        read_onnx_model(path)


def test_range_past_the_end_is_refused(model_dir):
    (model_dir / "weights.bin").write_bytes(weight_bytes())
    path = save(model_dir, model_with_external_weight("weights.bin", offset=8, length=16))
    with pytest.raises(ModelFileError, match=r"'weight'.*bytes 8\.\.24 lie past the end.*16 "
                                             "bytes"):
        read_onnx_model(path)


def test_missing_external_file_names_tensor_and_path(model_dir):
    path = save(model_dir, model_with_external_weight("absent.bin"))
    with pytest.raises(ModelFileError, match="'weight'.*absent.bin"):
        read_onnx_model(path)


def test_truncated_file(model_dir):
    data = model_with_external_weight("w.bin").SerializeToString()
    path = model_dir / "truncated.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated.onnx"):
        read_onnx_model(path)


@pytest.mark.parametrize("garbage", [b"\xff" * 64, b"not a model at all", os.urandom(0) + b"\x01"])
def test_garbage_bytes(model_dir, garbage):
    path = model_dir / "garbage.onnx"
    path.write_bytes(garbage)
    with pytest.raises(ModelFileError, match="garbage.onnx"):
        vinify.read_model(path)


def test_empty_file(model_dir):
    path = model_dir / "empty.onnx"
    path.write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty.onnx.*empty"):
        read_onnx_model(path)


def _two_node_graph(first_input: str, outputs: list[str]):
    nodes = [helper.make_node("Relu", [first_input], ["a"], name="first"),
             helper.make_node("Neg", ["a"], ["b"], name="second")]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                         [2])],
                              [helper.make_tensor_value_info(o, TensorProto.FLOAT, [2])
                               for o in outputs])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def test_cycle_names_the_nodes():
    model = _two_node_graph("b", ["b"])  # first reads b, which second computes from a
    with pytest.raises(ConversionError, match="cycle.*'first' \\(Relu\\)"):
        read_onnx_model(model.SerializeToString())


def test_undefined_input_names_node_and_value():
    model = _two_node_graph("nowhere", ["b"])
    with pytest.raises(ConversionError, match="'first' \\(Relu\\) reads 'nowhere'"):
        read_onnx_model(model)


def test_duplicate_output_names():
    model = _two_node_graph("x", ["b", "b"])
    with pytest.raises(ConversionError, match=r"duplicate graph output name\(s\) \['b'\]"):
        read_onnx_model(model)


def test_op_from_unknown_domain_and_all_unsupported_ops_listed():
    nodes = [helper.make_node("Frobnicate", ["x"], ["a"], name="f1", domain="com.example"),
             helper.make_node("Frobnicate", ["a"], ["b"], name="f2", domain="com.example"),
             helper.make_node("NoSuchOp", ["b"], ["c"], name="n1")]
    graph = helper.make_graph(nodes, "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("c", TensorProto.FLOAT, [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18),
                                                    helper.make_opsetid("com.example", 3)])
    with pytest.raises(UnsupportedOpError) as caught:
        read_onnx_model(model, check=False)
    message = str(caught.value)
    assert "2 op type(s)" in message
    assert "Frobnicate (domain 'com.example', opset 3; nodes 'f1' (Frobnicate), 'f2'" in message
    assert "NoSuchOp (domain 'ai.onnx', opset 18; nodes 'n1' (NoSuchOp))" in message


def test_domain_not_imported_is_reported():
    model = single_node_model("Relu", {"x": (TensorProto.FLOAT, [2])},
                              {"y": (TensorProto.FLOAT, [2])}, domain="org.unknown")
    with pytest.raises(UnsupportedOpError, match="Relu \\(domain 'org.unknown', opset not "
                                                 "imported"):
        read_onnx_model(model, check=False)


def test_future_opset_without_converter_is_reported():
    model = single_node_model("Relu", {"x": (TensorProto.FLOAT, [2])},
                              {"y": (TensorProto.FLOAT, [2])}, opset=18)
    model.opset_import[0].version = 0
    with pytest.raises(UnsupportedOpError, match="Relu \\(domain 'ai.onnx', opset 0"):
        read_onnx_model(model, check=False)


def test_external_data_from_bytes_needs_a_folder():
    model = model_with_external_weight("weights.bin")
    with pytest.raises(ModelFileError, match="'weight'.*not read from a folder"):
        read_onnx_model(model.SerializeToString())


def test_mutated_models_fail_only_with_typed_errors():
    """Seeded byte mutations of real models: each either converts or raises a VinifyError."""
    import random

    from vinify.errors import VinifyError
    from vinify.frontends.onnx.conformance import node_cases

    generator = random.Random(5)
    models = [case.model_source.SerializeToString() for case in node_cases()[::211]]
    for data in models:
        for _ in range(10):
            mutated = bytearray(data)
            for _ in range(generator.randint(1, 4)):
                mutated[generator.randrange(len(mutated))] = generator.randrange(256)
            try:
                read_onnx_model(bytes(mutated))
            except VinifyError:
                pass


def test_invalid_utf8_names_are_a_model_file_error():
    model = _two_node_graph("x", ["b"])
    data = model.SerializeToString().replace(b"second", b"sec\xffnd")
    with pytest.raises(ModelFileError, match="<bytes>: name b'sec\\\\xffnd' is not valid UTF-8"):
        read_onnx_model(data)


def test_external_data_in_a_subgraph_constant_is_checked_too(model_dir):
    inner = model_with_external_weight("../secret.bin").graph.initializer[0]
    then_graph = helper.make_graph([helper.make_node("Constant", [], ["t"], value=inner)],
                                   "then", [], [helper.make_tensor_value_info("t",
                                                                              TensorProto.FLOAT,
                                                                              [4])])
    else_graph = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [],
                                   [helper.make_tensor_value_info("e", TensorProto.FLOAT, [4])])
    graph = helper.make_graph(
        [helper.make_node("If", ["c"], ["y"], then_branch=then_graph, else_branch=else_graph)],
        "nested", [helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                   helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    path = save(model_dir, model)
    with pytest.raises(ModelFileError, match="'weight'.*'\\.\\.' is refused"):
        read_onnx_model(path)
