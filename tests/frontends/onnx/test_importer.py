"""The ONNX importer: names, shapes, initializers, functions, custom converters, control flow;
numbers compared with onnxruntime."""

import numpy as np
import onnx
import onnxruntime
import pytest
import vinify
from onnx import TensorProto, helper, numpy_helper
from vinify.errors import ConversionError
from vinify.frontends.onnx import read_onnx_model, register_converter

FLOAT = TensorProto.FLOAT


def info(name, shape, elem=FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def run_both(model: onnx.ModelProto, feeds: dict) -> tuple[list, list]:
    ours = vinify.compile_model(read_onnx_model(model), "TEMPLATE")(feeds).to_tuple()
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return list(ours), session.run(None, feeds)


def assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for got, want in zip(ours, theirs):
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def gemm_model(opset=18):
    weight = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(3, 4), "w")
    nodes = [helper.make_node("Gemm", ["x", "w"], ["g"], name="dense", alpha=0.5),
             helper.make_node("Relu", ["g"], ["out"], name="act")]
    graph = helper.make_graph(nodes, "mlp", [info("x", ["batch", 3])], [info("out", ["batch", 4])],
                              initializer=[weight])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def test_names_shapes_and_initializers_are_kept():
    graph = read_onnx_model(gemm_model())
    assert graph.name == "mlp"
    assert [v.name for v in graph.inputs] == ["x"]
    assert str(graph.inputs[0].shape) == "[?,3]"
    assert [v.name for v in graph.outputs] == ["out"]
    names = {node.name for node in graph.nodes()}
    assert {"dense", "act", "w"} <= names
    constants = [n for n in graph.nodes() if n.op.name == "Constant" and n.name == "w"]
    np.testing.assert_array_equal(constants[0].attrs["value"], np.arange(12).reshape(3, 4))


def test_path_bytes_and_proto_give_the_same_numbers(tmp_path):
    model = gemm_model()
    path = tmp_path / "mlp.onnx"
    path.write_bytes(model.SerializeToString())
    x = np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3)
    results = [vinify.compile_model(vinify.read_model(source), "TEMPLATE")({"x": x})[0]
               for source in (path, str(path), model.SerializeToString(), model)]
    for result in results[1:]:
        np.testing.assert_array_equal(result, results[0])
    assert_same([results[0]], run_both(model, {"x": x})[1])


def test_input_shapes_override():
    graph = read_onnx_model(gemm_model(), input_shapes={"x": [5, 3]})
    assert str(graph.outputs[0].shape) == "[5,4]"
    with pytest.raises(ConversionError, match="unknown input.*'nope'"):
        read_onnx_model(gemm_model(), input_shapes={"nope": [1]})


def test_initializer_listed_as_input_is_a_constant():
    model = gemm_model()
    model.graph.input.append(info("w", [3, 4]))
    graph = read_onnx_model(model)
    assert [v.name for v in graph.inputs] == ["x"]


def test_model_local_function_is_inlined():
    function = helper.make_function(
        "custom", "Swishy", ["a"], ["b"],
        [helper.make_node("Sigmoid", ["a"], ["s"]), helper.make_node("Mul", ["a", "s"], ["b"])],
        opset_imports=[helper.make_opsetid("", 18)])
    graph = helper.make_graph([helper.make_node("Swishy", ["x"], ["y"], domain="custom")], "f",
                              [info("x", [4])], [info("y", [4])])
    model = helper.make_model(graph, functions=[function],
                              opset_imports=[helper.make_opsetid("", 18),
                                             helper.make_opsetid("custom", 1)])
    converted = read_onnx_model(model)
    assert {"Sigmoid<1>", "Multiply<1>"} <= set(converted.op_histogram())
    x = np.array([-2, -0.5, 0.5, 3], np.float32)
    assert_same(*run_both(model, {"x": x}))


def test_user_registered_converter_for_a_custom_op():
    def double(ctx):
        return ctx.make("Add", 1, ctx.input(0), ctx.input(0))

    register_converter("Double", double, domain="com.test")
    graph = helper.make_graph([helper.make_node("Double", ["x"], ["y"], domain="com.test")], "c",
                              [info("x", [3])], [info("y", [3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18),
                                                    helper.make_opsetid("com.test", 1)])
    result = vinify.compile_model(read_onnx_model(model, check=False), "TEMPLATE")(
        {"x": np.array([1, 2, 3], np.float32)})[0]
    np.testing.assert_array_equal(result, [2, 4, 6])


def test_elementwise_broadcasting_and_integer_division():
    nodes = [helper.make_node("Div", ["a", "b"], ["q"]), helper.make_node("Mod", ["a", "b"], ["m"]),
             helper.make_node("Mod", ["a", "b"], ["f"], fmod=1)]
    graph = helper.make_graph(nodes, "ints", [info("a", [2, 3], TensorProto.INT32),
                                              info("b", [3], TensorProto.INT32)],
                              [info(n, [2, 3], TensorProto.INT32) for n in ("q", "m", "f")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    feeds = {"a": np.array([[7, -7, 5], [-9, 9, 0]], np.int32),
             "b": np.array([2, 3, -4], np.int32)}
    assert_same(*run_both(model, feeds))


def if_model():
    then_graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["t"])], "then", [],
                                   [info("t", [3])])
    else_graph = helper.make_graph([helper.make_node("Neg", ["x"], ["e"])], "else", [],
                                   [info("e", [3])])
    nodes = [helper.make_node("If", ["c"], ["y"], then_branch=then_graph, else_branch=else_graph)]
    graph = helper.make_graph(nodes, "if", [info("c", [], TensorProto.BOOL), info("x", [3])],
                              [info("y", [3])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


@pytest.mark.parametrize("condition", [True, False])
def test_if_with_captured_values(condition):
    feeds = {"c": np.array(condition), "x": np.array([1, -2, 3], np.float32)}
    assert_same(*run_both(if_model(), feeds))


def test_if_body_is_printed_and_verified():
    graph = read_onnx_model(if_model())
    text = str(graph)
    assert "If<8>" in text and "Add<1>" in text and "Negative<1>" in text


def test_loop_with_carried_value_and_scan_output():
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["acc_in", "step"], ["acc_out"]),
         helper.make_node("Mul", ["acc_out", "acc_out"], ["square"])],
        "body", [info("i", [], TensorProto.INT64), info("cond_in", [], TensorProto.BOOL),
                 info("acc_in", [2])],
        [info("cond_out", [], TensorProto.BOOL), info("acc_out", [2]), info("square", [2])])
    nodes = [helper.make_node("Loop", ["n", "", "init"], ["final", "squares"], body=body)]
    graph = helper.make_graph(nodes, "loop", [info("n", [], TensorProto.INT64),
                                              info("init", [2]), info("step", [2])],
                              [info("final", [2]), info("squares", [None, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    feeds = {"n": np.array(4, np.int64), "init": np.array([0, 1], np.float32),
             "step": np.array([0.5, -1], np.float32)}
    assert_same(*run_both(model, feeds))


def test_scan_reverse_direction():
    body = helper.make_graph([helper.make_node("Add", ["s", "x"], ["s2"]),
                              helper.make_node("Identity", ["s2"], ["y"])], "body",
                             [info("s", [2]), info("x", [2])], [info("s2", [2]), info("y", [2])])
    nodes = [helper.make_node("Scan", ["init", "seq"], ["last", "partial"], body=body,
                              num_scan_inputs=1, scan_input_directions=[1])]
    graph = helper.make_graph(nodes, "scan", [info("init", [2]), info("seq", [3, 2])],
                              [info("last", [2]), info("partial", [3, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    feeds = {"init": np.zeros(2, np.float32),
             "seq": np.arange(6, dtype=np.float32).reshape(3, 2)}
    assert_same(*run_both(model, feeds))


def test_converter_failure_names_the_node():
    model = helper.make_model(helper.make_graph(
        [helper.make_node("Add", ["x", "y"], ["z"], name="adder")], "bad",
        [info("x", [2]), info("y", [3])], [info("z", [2])]),
        opset_imports=[helper.make_opsetid("", 18)])
    with pytest.raises(ConversionError, match="ONNX node 'adder' \\(Add, opset 18\\).*broadcast"):
        read_onnx_model(model)


def test_convert_model_and_compile_model_take_onnx_paths(tmp_path):
    path = tmp_path / "mlp.onnx"
    path.write_bytes(gemm_model().SerializeToString())
    graph = vinify.convert_model(str(path), input_shapes={"x": [2, 3]})
    assert str(graph.inputs[0].shape) == "[2,3]"
    compiled = vinify.compile_model(str(path), "TEMPLATE")
    result = compiled({"x": np.ones((1, 3), np.float32)})[0]
    np.testing.assert_allclose(result, 0.5 * np.ones((1, 3)) @ np.arange(12).reshape(3, 4))


def test_output_names_survive_identity_and_passthrough():
    nodes = [helper.make_node("Identity", ["x"], ["same"]),
             helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Identity", ["r"], ["r2"])]
    graph = helper.make_graph(nodes, "names", [info("x", [2])],
                              [info("same", [2]), info("r", [2]), info("r2", [2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    compiled = vinify.compile_model(read_onnx_model(model), "TEMPLATE")
    results = compiled({"x": np.array([-1, 2], np.float32)})
    np.testing.assert_array_equal(results["same"], [-1, 2])
    np.testing.assert_array_equal(results["r"], [0, 2])
    np.testing.assert_array_equal(results["r2"], [0, 2])


def test_sparse_initializer_and_sparse_constant():
    values = numpy_helper.from_array(np.array([5.0, 7.0], np.float32), "w")
    indices = numpy_helper.from_array(np.array([1, 4], np.int64), "w_indices")
    sparse = helper.make_sparse_tensor(values, indices, [2, 3])
    nodes = [helper.make_node("Constant", [], ["c"], sparse_value=sparse),
             helper.make_node("Add", ["x", "w"], ["s"]), helper.make_node("Add", ["s", "c"], ["y"])]
    graph = helper.make_graph(nodes, "sparse", [info("x", [2, 3])], [info("y", [2, 3])],
                              sparse_initializer=[sparse])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    result = vinify.compile_model(read_onnx_model(model), "TEMPLATE")(
        {"x": np.zeros((2, 3), np.float32)})[0]
    np.testing.assert_array_equal(result, [[0, 10, 0], [0, 14, 0]])


def test_nested_bodies_capture_values_two_levels_up():
    """A Loop body holds an If whose branches read a graph input: captured through both."""
    then_graph = helper.make_graph([helper.make_node("Add", ["acc_in", "w"], ["t"])], "then", [],
                                   [info("t", [2])])
    else_graph = helper.make_graph([helper.make_node("Sub", ["acc_in", "w"], ["e"])], "else", [],
                                   [info("e", [2])])
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Greater", ["i", "half"], ["late"]),
         helper.make_node("If", ["late"], ["acc_out"], then_branch=then_graph,
                          else_branch=else_graph)],
        "body", [info("i", [], TensorProto.INT64), info("cond_in", [], TensorProto.BOOL),
                 info("acc_in", [2])],
        [info("cond_out", [], TensorProto.BOOL), info("acc_out", [2])])
    half = numpy_helper.from_array(np.array(1, np.int64), "half")
    graph = helper.make_graph([helper.make_node("Loop", ["n", "", "init"], ["out"], body=body)],
                              "nested", [info("n", [], TensorProto.INT64), info("init", [2]),
                                         info("w", [2])],
                              [info("out", [2])], initializer=[half])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    feeds = {"n": np.array(4, np.int64), "init": np.zeros(2, np.float32),
             "w": np.array([1, 10], np.float32)}
    assert_same(*run_both(model, feeds))


def test_constant_condition_keeps_only_the_branch_taken():
    model = if_model()
    cond = numpy_helper.from_array(np.array(False), "c")
    model.graph.initializer.append(cond)
    del model.graph.input[0]
    graph = read_onnx_model(model)
    assert "If<8>" not in graph.op_histogram()
    result = vinify.compile_model(graph, "TEMPLATE")({"x": np.array([1, -2, 3], np.float32)})[0]
    np.testing.assert_array_equal(result, [-1, 2, -3])
