"""ONNX tensor/shape/indexing converters: tiny models run on TEMPLATE against onnxruntime,
including the attribute-to-input moves between opsets and dynamic input shapes."""

import numpy as np
import onnx
import onnxruntime
import pytest
import vinify
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator
from vinify.errors import ConversionError

F32, I64 = TensorProto.FLOAT, TensorProto.INT64


def single_node_model(node, inputs, opset, initializers=()):
    """A one-node model; `inputs` maps names to (ONNX element type, shape with symbolic dims)."""
    infos = [helper.make_tensor_value_info(name, elem, shape)
             for name, (elem, shape) in inputs.items()]
    outputs = [helper.make_empty_tensor_value_info(name) for name in node.output if name]
    graph = helper.make_graph([node], "g", infos, outputs, initializer=list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    return onnx.shape_inference.infer_shapes(model)


def declare_output_ranks(model, results):
    """Gives outputs that shape inference left unshaped a symbolic shape of the right rank."""
    for info, array in zip(model.graph.output, results):
        tensor = info.type.tensor_type
        if not tensor.HasField("shape"):
            tensor.elem_type = helper.np_dtype_to_tensor_dtype(array.dtype)
            for axis in range(array.ndim):
                tensor.shape.dim.add().dim_param = f"{info.name}_{axis}"
            if array.ndim == 0:
                tensor.shape.SetInParent()


def assert_matches_onnxruntime(model, feeds, rtol=1e-5, atol=1e-6):
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    theirs = session.run(None, feeds)
    declare_output_ranks(model, theirs)
    ours = vinify.compile_model(vinify.read_model(model), "TEMPLATE")(feeds)
    for index, expected in enumerate(theirs):
        assert ours[index].shape == expected.shape
        assert ours[index].dtype == expected.dtype
        np.testing.assert_allclose(ours[index], expected, rtol=rtol, atol=atol)
    return ours


def assert_matches_reference(model, feeds, rtol=1e-5, atol=1e-6):
    """Like assert_matches_onnxruntime, with the ONNX reference implementation as the oracle."""
    theirs = ReferenceEvaluator(model).run(None, feeds)
    declare_output_ranks(model, theirs)
    ours = vinify.compile_model(vinify.read_model(model), "TEMPLATE")(feeds)
    for index, expected in enumerate(theirs):
        assert ours[index].shape == expected.shape
        np.testing.assert_allclose(ours[index], expected, rtol=rtol, atol=atol)
    return ours


RNG = np.random.default_rng(7)
X234 = RNG.standard_normal((2, 3, 4)).astype(np.float32)


@pytest.mark.parametrize("axis", [-3, -2, -1, 0, 1, 2, 3])
def test_flatten_keeps_static_tail_with_dynamic_batch(axis):
    node = helper.make_node("Flatten", ["x"], ["y"], axis=axis)
    model = single_node_model(node, {"x": (F32, ["N", 3, 4])}, 13)
    graph = vinify.read_model(model)
    assert graph.outputs[0].shape.rank == 2
    assert_matches_onnxruntime(model, {"x": X234})


@pytest.mark.parametrize("opset", [11, 13])
def test_squeeze_and_unsqueeze_axes_attribute_then_input(opset):
    x = RNG.standard_normal((1, 3, 1)).astype(np.float32)
    if opset < 13:
        squeeze = helper.make_node("Squeeze", ["x"], ["y"], axes=[0, -1])
        inputs, feeds = {"x": (F32, [1, 3, 1])}, {"x": x}
    else:
        squeeze = helper.make_node("Squeeze", ["x", "axes"], ["y"])
        inputs = {"x": (F32, [1, 3, 1]), "axes": (I64, [2])}
        feeds = {"x": x, "axes": np.array([0, -1], np.int64)}
    out = assert_matches_onnxruntime(single_node_model(squeeze, inputs, opset), feeds)
    assert out[0].shape == (3,)


def test_reshape_allowzero_makes_zero_a_real_dimension():
    node = helper.make_node("Reshape", ["x", "shape"], ["y"], allowzero=1)
    shape = helper.make_tensor("shape", I64, [3], [0, 4, 2])
    model = single_node_model(node, {"x": (F32, [0, 8])}, 14, [shape])
    out = assert_matches_onnxruntime(model, {"x": np.zeros((0, 8), np.float32)})
    assert out[0].shape == (0, 4, 2)


def test_split_18_uneven_num_outputs():
    node = helper.make_node("Split", ["x"], ["a", "b", "c"], axis=2, num_outputs=3)
    out = assert_matches_onnxruntime(single_node_model(node, {"x": (F32, [2, 3, 4])}, 18),
                                     {"x": X234})
    assert [o.shape[2] for o in out.to_tuple()] == [2, 2, 0]


def test_slice_attribute_form_and_input_form_agree():
    old = helper.make_node("Slice", ["x"], ["y"], starts=[1, -3], ends=[1000, -1], axes=[2, 1])
    old_out = assert_matches_onnxruntime(single_node_model(old, {"x": (F32, [2, 3, 4])}, 9),
                                         {"x": X234})
    new = helper.make_node("Slice", ["x", "s", "e", "a", "t"], ["y"])
    consts = [helper.make_tensor("s", I64, [2], [-1, 0]), helper.make_tensor("e", I64, [2],
                                                                              [0, 100]),
              helper.make_tensor("a", I64, [2], [2, 1]), helper.make_tensor("t", I64, [2],
                                                                            [-1, 2])]
    model = single_node_model(new, {"x": (F32, [2, 3, 4])}, 13, consts)
    assert_matches_onnxruntime(model, {"x": X234})
    np.testing.assert_array_equal(old_out[0], X234[:, 0:2, 1:])


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
def test_pad_modes_with_runtime_pads(mode):
    node = helper.make_node("Pad", ["x", "pads"], ["y"], mode=mode)
    model = single_node_model(node, {"x": (F32, [2, 3, 4]), "pads": (I64, [6])}, 19)
    assert_matches_onnxruntime(model, {"x": X234, "pads": np.array([0, 1, 2, 1, 2, 1],
                                                                   np.int64)})


def test_pad_axes_input_only_pads_the_listed_axes():
    node = helper.make_node("Pad", ["x", "pads", "", "axes"], ["y"], mode="constant")
    consts = [helper.make_tensor("axes", I64, [1], [-1])]
    model = single_node_model(node, {"x": (F32, [2, 3, 4]), "pads": (I64, [2])}, 18, consts)
    out = assert_matches_onnxruntime(model, {"x": X234, "pads": np.array([1, 3], np.int64)})
    assert out[0].shape == (2, 3, 8)


@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_trilu(upper, k):
    node = helper.make_node("Trilu", ["x", "k"], ["y"], upper=upper)
    model = single_node_model(node, {"x": (F32, [2, 3, 4])}, 14,
                              [helper.make_tensor("k", I64, [], [k])])
    assert_matches_onnxruntime(model, {"x": X234})


def test_one_hot_wraps_negative_indices():
    node = helper.make_node("OneHot", ["i", "depth", "values"], ["y"], axis=0)
    consts = [helper.make_tensor("depth", TensorProto.FLOAT, [], [5.0]),
              helper.make_tensor("values", F32, [2], [-1.0, 3.0])]
    model = single_node_model(node, {"i": (I64, [4])}, 11, consts)
    assert_matches_onnxruntime(model, {"i": np.array([0, -1, 4, -5], np.int64)})


def test_gather_elements_negative_indices_and_compress_without_axis():
    gather = helper.make_node("GatherElements", ["x", "i"], ["y"], axis=1)
    model = single_node_model(gather, {"x": (F32, [2, 3, 4]), "i": (I64, [2, 2, 4])}, 13)
    indices = RNG.integers(-3, 3, (2, 2, 4)).astype(np.int64)
    assert_matches_onnxruntime(model, {"x": X234, "i": indices})
    compress = helper.make_node("Compress", ["x", "c"], ["y"])
    model = single_node_model(compress, {"x": (F32, [2, 3, 4]), "c": (TensorProto.BOOL, [5])},
                              11)
    assert_matches_onnxruntime(model, {"x": X234, "c": np.array([0, 1, 1, 0, 1], bool)})


def test_center_crop_pad_crops_and_pads():
    node = helper.make_node("CenterCropPad", ["x", "shape"], ["y"], axes=[1, 2])
    model = single_node_model(node, {"x": (F32, [2, 3, 4]), "shape": (I64, [2])}, 18)
    expected = np.zeros((2, 6, 1), np.float32)
    expected[:, 1:4, 0] = X234[:, :, 1]
    declare_output_ranks(model, [expected])
    out = vinify.compile_model(vinify.read_model(model), "TEMPLATE")(
        {"x": X234, "shape": np.array([6, 1], np.int64)})
    np.testing.assert_array_equal(out[0], expected)


def test_eye_like_and_range_and_expand():
    eye = helper.make_node("EyeLike", ["x"], ["y"], k=1, dtype=TensorProto.INT32)
    assert_matches_onnxruntime(single_node_model(eye, {"x": (F32, [3, 4])}, 9),
                               {"x": X234[0]})
    expand = helper.make_node("Expand", ["x", "s"], ["y"])
    model = single_node_model(expand, {"x": (F32, [3, 1]), "s": (I64, [3])}, 13)
    assert_matches_onnxruntime(model, {"x": X234[0, :, :1], "s": np.array([2, 1, 5], np.int64)})


def test_unsupported_attribute_value_is_a_conversion_error_naming_the_node():
    node = helper.make_node("GridSample", ["x", "grid"], ["y"], name="warp", mode="lanczos")
    model = single_node_model(node, {"x": (F32, [1, 1, 4, 4]), "grid": (F32, [1, 2, 2, 2])}, 20)
    with pytest.raises(ConversionError, match="warp.*lanczos"):
        vinify.read_model(model.SerializeToString())
