"""ONNX detection, signal, sampling, quantization and loss converters on TEMPLATE against
onnxruntime (or the ONNX reference where onnxruntime has no kernel)."""

import numpy as np
import pytest
import vinify
from onnx import TensorProto, helper

from .test_nn_tensor import assert_matches_onnxruntime, assert_matches_reference, single_node_model

F32, I64, U8, I8 = TensorProto.FLOAT, TensorProto.INT64, TensorProto.UINT8, TensorProto.INT8
RNG = np.random.default_rng(13)


def constant(name, elem, values):
    values = np.asarray(values)
    return helper.make_tensor(name, elem, list(values.shape), values.reshape(-1).tolist())


@pytest.mark.parametrize("center", [0, 1])
def test_non_max_suppression(center):
    corners = RNG.uniform(0, 10, (2, 12, 2))
    boxes = np.concatenate([corners, corners + RNG.uniform(1, 4, (2, 12, 2))], -1)
    node = helper.make_node("NonMaxSuppression", ["boxes", "scores", "limit", "iou", "low"],
                            ["selected"], center_point_box=center)
    consts = [constant("limit", I64, [3]), constant("iou", F32, [0.3]),
              constant("low", F32, [0.2])]
    model = single_node_model(node, {"boxes": (F32, [2, 12, 4]), "scores": (F32, [2, 3, 12])},
                              11, consts)
    feeds = {"boxes": boxes.astype(np.float32),
             "scores": RNG.uniform(0, 1, (2, 3, 12)).astype(np.float32)}
    assert_matches_onnxruntime(model, feeds)


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("coordinates", ["half_pixel", "output_half_pixel"])
def test_roi_align(mode, coordinates):
    node = helper.make_node("RoiAlign", ["x", "rois", "batch"], ["y"], mode=mode,
                            output_height=3, output_width=2, sampling_ratio=2,
                            spatial_scale=0.5, coordinate_transformation_mode=coordinates)
    model = single_node_model(node, {"x": (F32, [2, 3, 8, 9]), "rois": (F32, [4, 4]),
                                     "batch": (I64, [4])}, 16)
    feeds = {"x": RNG.standard_normal((2, 3, 8, 9)).astype(np.float32),
             "rois": np.array([[0, 0, 9, 9], [2, 1, 14, 12], [5, 5, 6, 6], [-2, 3, 20, 15]],
                              np.float32),
             "batch": np.array([0, 1, 1, 0], np.int64)}
    assert_matches_onnxruntime(model, feeds, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("attrs, signal", [
    ({"inverse": 0, "onesided": 0}, [2, 7, 1]),
    ({"inverse": 0, "onesided": 1}, [2, 8, 1]),
    ({"inverse": 1, "onesided": 0}, [2, 7, 2]),
    ({"inverse": 1, "onesided": 1}, [2, 5, 2]),
])
def test_dft_forms(attrs, signal):
    node = helper.make_node("DFT", ["x", "", "axis"], ["y"], **attrs)
    model = single_node_model(node, {"x": (F32, signal)}, 20,
                              [constant("axis", I64, 1)])
    assert_matches_reference(model, {"x": RNG.standard_normal(signal).astype(np.float32)},
                             rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["linear", "cubic", "nearest"])
@pytest.mark.parametrize("padding", ["zeros", "border", "reflection"])
def test_grid_sample(mode, padding):
    """Against the ONNX reference: onnxruntime's bicubic border padding clamps differently."""
    node = helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode, padding_mode=padding,
                            align_corners=int(mode == "cubic"))
    model = single_node_model(node, {"x": (F32, [2, 3, 5, 4]), "grid": (F32, [2, 6, 7, 2])}, 20)
    feeds = {"x": RNG.standard_normal((2, 3, 5, 4)).astype(np.float32),
             "grid": RNG.uniform(-1.4, 1.4, (2, 6, 7, 2)).astype(np.float32)}
    assert_matches_reference(model, feeds, rtol=1e-4, atol=1e-5)


def test_quantize_per_axis_and_dequantize_blocked():
    quantize = helper.make_node("QuantizeLinear", ["x", "scale", "zero"], ["y"], axis=1)
    consts = [constant("scale", F32, [0.1, 0.02, 0.05]), constant("zero", I8, [0, -3, 7])]
    model = single_node_model(quantize, {"x": (F32, [2, 3, 4])}, 13, consts)
    assert_matches_onnxruntime(model, {"x": RNG.standard_normal((2, 3, 4)).astype(np.float32)})
    dequantize = helper.make_node("DequantizeLinear", ["q", "scale", "zero"], ["y"], axis=1,
                                  block_size=2)
    consts = [constant("scale", F32, RNG.uniform(0.1, 1, (3, 2))),
              constant("zero", U8, RNG.integers(0, 9, (3, 2)))]
    model = single_node_model(dequantize, {"q": (U8, [3, 4])}, 21, consts)
    assert_matches_onnxruntime(model, {"q": RNG.integers(0, 255, (3, 4)).astype(np.uint8)})


def test_dynamic_quantize_and_qlinear_conv():
    node = helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "scale", "zero"])
    model = single_node_model(node, {"x": (F32, [3, 5])}, 11)
    assert_matches_onnxruntime(model, {"x": RNG.standard_normal((3, 5)).astype(np.float32)})
    conv = helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                            ["y"], pads=[1, 1, 1, 1])
    consts = [constant("xs", F32, 0.05), constant("xz", U8, 10),
              constant("w", U8, RNG.integers(0, 255, (2, 3, 3, 3))),
              constant("ws", F32, [0.01, 0.02]), constant("wz", U8, [100, 120]),
              constant("ys", F32, 0.4), constant("yz", U8, 80),
              constant("b", TensorProto.INT32, [100, -300])]
    model = single_node_model(conv, {"x": (U8, [1, 3, 5, 5])}, 10, consts)
    feeds = {"x": RNG.integers(0, 255, (1, 3, 5, 5)).astype(np.uint8)}
    out = assert_matches_onnxruntime(model, feeds, atol=1)
    assert out[0].dtype == np.uint8


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_losses_with_weights_and_ignore_index(reduction):
    node = helper.make_node("SoftmaxCrossEntropyLoss", ["x", "t", "w"], ["loss", "log_prob"],
                            reduction=reduction, ignore_index=1)
    model = single_node_model(node, {"x": (F32, [3, 4, 2]), "t": (I64, [3, 2])}, 13,
                              [constant("w", F32, [0.5, 1.0, 2.0, 0.25])])
    feeds = {"x": RNG.standard_normal((3, 4, 2)).astype(np.float32),
             "t": np.array([[0, 1], [3, 2], [1, 1]], np.int64)}
    assert_matches_onnxruntime(model, feeds, rtol=1e-5, atol=1e-6)


def test_random_ops_have_the_declared_shape_type_and_range_and_repeat_with_a_seed():
    node = helper.make_node("RandomUniformLike", ["x"], ["y"], low=-2.0, high=3.0, seed=4.0,
                            dtype=TensorProto.DOUBLE)
    model = single_node_model(node, {"x": (F32, [3, 7])}, 15)
    compiled = vinify.compile_model(vinify.read_model(model), "TEMPLATE")
    first = compiled({"x": np.zeros((3, 7), np.float32)})[0]
    assert first.shape == (3, 7) and first.dtype == np.float64
    assert first.min() >= -2.0 and first.max() < 3.0
    np.testing.assert_array_equal(first, compiled({"x": np.zeros((3, 7), np.float32)})[0])
    bernoulli = helper.make_node("Bernoulli", ["p"], ["y"])
    model = single_node_model(bernoulli, {"p": (F32, [4, 5])}, 15)
    draws = vinify.compile_model(vinify.read_model(model), "TEMPLATE")(
        {"p": np.tile(np.array([0, 1, 0, 1, 1], np.float32), (4, 1))})[0]
    np.testing.assert_array_equal(draws, np.tile([0, 1, 0, 1, 1], (4, 1)))


def test_det_of_a_batch_of_matrices():
    node = helper.make_node("Det", ["x"], ["y"])
    data = RNG.standard_normal((2, 3, 4, 4)).astype(np.float32)
    assert_matches_onnxruntime(single_node_model(node, {"x": (F32, [2, 3, 4, 4])}, 11),
                               {"x": data}, rtol=1e-4, atol=1e-5)


def test_max_roi_pool():
    node = helper.make_node("MaxRoiPool", ["x", "rois"], ["y"], pooled_shape=[2, 3],
                            spatial_scale=0.5)
    model = single_node_model(node, {"x": (F32, [2, 3, 8, 9]), "rois": (F32, [3, 5])}, 11)
    feeds = {"x": RNG.standard_normal((2, 3, 8, 9)).astype(np.float32),
             "rois": np.array([[0, 0, 0, 9, 9], [1, 2, 1, 14, 12], [1, 5, 5, 6, 6]],
                              np.float32)}
    assert_matches_onnxruntime(model, feeds)
