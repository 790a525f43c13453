"""ONNX convolution, pooling, normalization, reduction and resize converters on TEMPLATE against
onnxruntime, covering the attribute forms of older opsets and the semantics ONNX and OpenVINO
split differently (ConvTranspose padding, ceil_mode, column-major pool indices)."""

import numpy as np
import pytest
from onnx import TensorProto, helper

from .test_nn_tensor import assert_matches_onnxruntime, assert_matches_reference, single_node_model

F32, I64 = TensorProto.FLOAT, TensorProto.INT64
RNG = np.random.default_rng(11)
IMAGE = RNG.standard_normal((2, 4, 7, 6)).astype(np.float32)


def weights(name, shape):
    return helper.make_tensor(name, F32, shape, RNG.standard_normal(shape).astype(np.float32)
                              .reshape(-1).tolist())


@pytest.mark.parametrize("attrs", [
    {"group": 2, "pads": [1, 0, 2, 1], "strides": [2, 1], "dilations": [1, 2]},
    {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
    {"auto_pad": "SAME_LOWER", "group": 4},
])
def test_conv_with_bias_groups_and_padding(attrs):
    channels = 4 // attrs.get("group", 1)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3], **attrs)
    model = single_node_model(node, {"x": (F32, ["N", 4, 7, 6])}, 11,
                              [weights("w", [6 if attrs.get("group", 1) == 2 else 4,
                                             channels, 3, 3]),
                               weights("b", [6 if attrs.get("group", 1) == 2 else 4])])
    assert_matches_onnxruntime(model, {"x": IMAGE}, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("attrs", [
    {"strides": [2, 2], "output_shape": [16, 13]},
    {"strides": [2, 3], "auto_pad": "SAME_UPPER"},
    {"strides": [2, 2], "output_padding": [1, 1], "pads": [1, 0, 0, 1], "group": 2},
])
def test_conv_transpose_paddings(attrs):
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], **attrs)
    out_channels = 3 if attrs.get("group", 1) == 1 else 1
    model = single_node_model(node, {"x": (F32, [2, 4, 7, 6])}, 11,
                              [weights("w", [4, out_channels, 3, 3])])
    assert_matches_onnxruntime(model, {"x": IMAGE}, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("ceil_mode", [0, 1])
def test_pools_with_ceil_mode_and_padding(ceil_mode):
    common = {"kernel_shape": [3, 2], "strides": [2, 2], "pads": [1, 0, 1, 1],
              "ceil_mode": ceil_mode}
    for node in (helper.make_node("MaxPool", ["x"], ["y", "i"], **common),
                 helper.make_node("AveragePool", ["x"], ["y"], count_include_pad=1, **common),
                 helper.make_node("AveragePool", ["x"], ["y"], **common),
                 helper.make_node("LpPool", ["x"], ["y"], p=3, kernel_shape=[3, 2],
                                  strides=[2, 2])):
        model = single_node_model(node, {"x": (F32, [2, 4, 7, 6])}, 18)
        assert_matches_onnxruntime(model, {"x": IMAGE}, rtol=1e-4, atol=1e-5)


def test_max_pool_column_major_indices():
    pool = helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2], strides=[2, 2],
                            storage_order=1)
    assert_matches_onnxruntime(single_node_model(pool, {"x": (F32, [2, 4, 7, 6])}, 12),
                               {"x": IMAGE})


def test_max_unpool_to_a_larger_output_shape_pads_the_unpooled_tensor():
    """As the ONNX reference outputs define it (onnxruntime instead indexes the larger tensor)."""
    unpool = helper.make_node("MaxUnpool", ["x", "i", "s"], ["y"], kernel_shape=[2, 2],
                              strides=[2, 2])
    model = single_node_model(unpool, {"x": (F32, [1, 1, 2, 2]), "i": (I64, [1, 1, 2, 2])}, 11,
                              [helper.make_tensor("s", I64, [4], [1, 1, 5, 5])])
    feeds = {"x": np.array([[[[1, 2], [3, 4]]]], np.float32),
             "i": np.array([[[[5, 7], [13, 15]]]], np.int64)}
    assert_matches_reference(model, feeds)


@pytest.mark.parametrize("op, extra", [
    ("InstanceNormalization", {"epsilon": 1e-3}),
    ("BatchNormalization", {"epsilon": 1e-3}),
    ("LpNormalization", {"axis": 1, "p": 1}),
    ("LRN", {"size": 3, "alpha": 1e-3}),
    ("MeanVarianceNormalization", {}),
])
def test_normalizations(op, extra):
    channel_inputs = {"InstanceNormalization": 2, "BatchNormalization": 4}.get(op, 0)
    names = ["x"] + [f"p{i}" for i in range(channel_inputs)]
    params = [helper.make_tensor(f"p{i}", F32, [4], np.abs(RNG.standard_normal(4)).tolist())
              for i in range(channel_inputs)]
    node = helper.make_node(op, names, ["y"], **extra)
    model = single_node_model(node, {"x": (F32, [2, 4, 7, 6])}, 13, params)
    assert_matches_onnxruntime(model, {"x": IMAGE}, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("axis", [-1, 1])
def test_layer_normalization_outputs_mean_and_inverse_std(axis):
    node = helper.make_node("LayerNormalization", ["x", "s", "b"], ["y", "mean", "inv"],
                            axis=axis)
    shape = list(IMAGE.shape[axis:])
    model = single_node_model(node, {"x": (F32, [2, 4, 7, 6])}, 17,
                              [weights("s", shape), weights("b", shape)])
    assert_matches_onnxruntime(model, {"x": IMAGE}, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceL2",
                                "ReduceLogSumExp", "ReduceSumSquare"])
@pytest.mark.parametrize("opset", [13, 18])
def test_reductions_axes_attribute_then_input(op, opset):
    if opset < 18 and op != "ReduceSum":
        node = helper.make_node(op, ["x"], ["y"], axes=[1, -1], keepdims=0)
        model = single_node_model(node, {"x": (F32, ["N", 4, 7, 6])}, opset)
    else:
        node = helper.make_node(op, ["x", "axes"], ["y"], keepdims=0)
        model = single_node_model(node, {"x": (F32, ["N", 4, 7, 6])}, max(opset, 13),
                                  [helper.make_tensor("axes", I64, [2], [1, -1])])
    out = assert_matches_onnxruntime(model, {"x": IMAGE}, rtol=1e-4, atol=1e-5)
    assert out[0].shape == (2, 7)


def test_reduce_with_empty_axes_reduces_all_unless_noop():
    for noop, shape in ((0, (1, 1, 1, 1)), (1, IMAGE.shape)):
        node = helper.make_node("ReduceMax", ["x", "axes"], ["y"], noop_with_empty_axes=noop)
        model = single_node_model(node, {"x": (F32, [2, 4, 7, 6]), "axes": (I64, [0])}, 18)
        out = assert_matches_onnxruntime(model, {"x": IMAGE, "axes": np.zeros(0, np.int64)})
        assert out[0].shape == shape


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("last", [0, 1])
def test_arg_extremes_with_ties(op, last):
    data = RNG.integers(0, 3, (3, 5)).astype(np.float32)
    node = helper.make_node(op, ["x"], ["y"], axis=1, keepdims=0, select_last_index=last)
    assert_matches_onnxruntime(single_node_model(node, {"x": (F32, [3, 5])}, 13), {"x": data})


def test_top_k_smallest():
    node = helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=1, largest=0)
    model = single_node_model(node, {"x": (F32, [2, 4, 7, 6])}, 11,
                              [helper.make_tensor("k", I64, [1], [3])])
    assert_matches_onnxruntime(model, {"x": IMAGE})


@pytest.mark.parametrize("attrs", [
    {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
     "nearest_mode": "floor"},
    {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
    {"mode": "cubic", "exclude_outside": 1, "cubic_coeff_a": -0.5},
    {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize",
     "extrapolation_value": 7.0},
])
def test_resize_modes(attrs):
    """Against the ONNX reference: onnxruntime stretches align_corners and ROI crops over the
    rounded output length, ONNX over scale * input length."""
    node = helper.make_node("Resize", ["x", "roi", "scales"], ["y"], **attrs)
    consts = [helper.make_tensor("roi", F32, [8], [0, 0, 0.2, -0.1, 1, 1, 0.9, 1.2]),
              helper.make_tensor("scales", F32, [4], [1, 1, 1.5, 0.6])]
    model = single_node_model(node, {"x": (F32, [2, 4, 7, 6])}, 13, consts)
    assert_matches_reference(model, {"x": IMAGE}, rtol=1e-4, atol=1e-5)


def test_resize_sizes_with_axes_and_keep_aspect_ratio():
    node = helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], axes=[3, 2],
                            keep_aspect_ratio_policy="not_larger", mode="nearest")
    model = single_node_model(node, {"x": (F32, [2, 4, 7, 6]), "sizes": (I64, [2])}, 18)
    out = assert_matches_onnxruntime(model, {"x": IMAGE, "sizes": np.array([9, 21], np.int64)})
    assert out[0].shape == (2, 4, 11, 9)


@pytest.mark.parametrize("count_include_pad", [0, 1])
@pytest.mark.parametrize("ceil_mode", [0, 1])
def test_average_pool_with_dilations(count_include_pad, ceil_mode):
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 3], strides=[2, 1],
                            dilations=[2, 2], pads=[1, 1, 1, 0], ceil_mode=ceil_mode,
                            count_include_pad=count_include_pad)
    model = single_node_model(node, {"x": (F32, [2, 4, 7, 6])}, 19)
    assert_matches_reference(model, {"x": IMAGE}, rtol=1e-5, atol=1e-6)


def test_grouped_conv_and_conv_transpose_with_run_time_weights():
    """Weights that are graph inputs of unknown shape are regrouped at run time."""
    for op, shape in (("Conv", [6, 2, 3, 3]), ("ConvTranspose", [4, 3, 3, 3])):
        node = helper.make_node(op, ["x", "w"], ["y"], group=2, strides=[2, 1])
        model = single_node_model(node, {"x": (F32, ["N", 4, "H", "W"]),
                                         "w": (F32, ["a", "b", "c", "d"])}, 13)
        feeds = {"x": IMAGE, "w": RNG.standard_normal(shape).astype(np.float32)}
        assert_matches_onnxruntime(model, feeds, rtol=1e-4, atol=1e-5)


def test_resize_with_run_time_scales_keeps_dynamic_dims():
    node = helper.make_node("Resize", ["x", "", "scales"], ["y"], mode="linear")
    model = single_node_model(node, {"x": (F32, ["N", 4, 7, 6]), "scales": (F32, [4])}, 13)
    feeds = {"x": IMAGE, "scales": np.array([1, 1, 2, 0.5], np.float32)}
    out = assert_matches_onnxruntime(model, feeds, rtol=1e-4, atol=1e-5)
    assert out[0].shape == (2, 4, 14, 3)
