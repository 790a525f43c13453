"""Normalization ops: references against onnxruntime / OpenVINO / numpy formulas, shapes, errors."""

import numpy as np
import openvino.opset1 as ov1
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.ort_reference import (
    output_type,
    run_onnx_node,
    run_openvino,
    run_vinify_node,
)

RNG = np.random.default_rng(2)
X = RNG.standard_normal((2, 3, 5, 4)).astype(np.float32)
GAMMA, BETA, MEAN = (RNG.standard_normal(3).astype(np.float32) for _ in range(3))
VARIANCE = RNG.uniform(0.5, 2.0, 3).astype(np.float32)


def test_batch_norm_v5_and_v1_match_onnxruntime():
    expected = run_onnx_node("BatchNormalization", {"x": X}, epsilon=1e-3, initializers=dict(
        gamma=GAMMA, beta=BETA, mean=MEAN, var=VARIANCE))[0]
    v5 = run_vinify_node("BatchNormInference", 5, [X, GAMMA, BETA, MEAN, VARIANCE],
                         constant_inputs=(1, 2, 3, 4), epsilon=1e-3)[0]
    v1 = run_vinify_node("BatchNormInference", 1, [GAMMA, BETA, X, MEAN, VARIANCE],
                         constant_inputs=(0, 1, 3, 4), epsilon=1e-3)[0]
    np.testing.assert_allclose(v5, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(v1, expected, rtol=1e-5, atol=1e-5)


def test_batch_norm_f16_keeps_the_input_type():
    x = X.astype(np.float16)
    actual = run_vinify_node("BatchNormInference", 5, [x, GAMMA.astype(np.float16),
                             BETA.astype(np.float16), MEAN.astype(np.float16),
                             VARIANCE.astype(np.float16)], epsilon=1e-5)[0]
    assert actual.dtype == np.float16
    expected = (X - MEAN[:, None, None]) / np.sqrt(VARIANCE[:, None, None] + 1e-5) * \
        GAMMA[:, None, None] + BETA[:, None, None]
    np.testing.assert_allclose(actual, expected, rtol=1e-2, atol=1e-2)


def test_mvn_v6_matches_onnxruntime():
    expected = run_onnx_node("MeanVarianceNormalization", {"x": X}, axes=[0, 2, 3])[0]
    actual = run_vinify_node("MVN", 6, [X, np.array([0, 2, 3], np.int64)], constant_inputs=(1,),
                             normalize_variance=True, eps=1e-9, eps_mode="inside_sqrt")[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("across_channels", [True, False])
@pytest.mark.parametrize("normalize_variance", [True, False])
def test_mvn_v2_matches_formula(across_channels, normalize_variance):
    axes = (1, 2, 3) if across_channels else (2, 3)
    expected = X - X.mean(axis=axes, keepdims=True)
    if normalize_variance:
        expected = expected / np.sqrt(X.var(axis=axes, keepdims=True) + 1e-4)
    actual = run_vinify_node("MVN", 2, [X], across_channels=across_channels,
                             normalize_variance=normalize_variance, eps=1e-4)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def test_mvn_v6_outside_sqrt_and_reduction_axes_of_v2():
    expected = (X - X.mean(axis=-1, keepdims=True)) / (X.std(axis=-1, keepdims=True) + 0.1)
    actual = run_vinify_node("MVN", 6, [X, np.array([-1], np.int32)], normalize_variance=True,
                             eps=0.1, eps_mode="outside_sqrt")[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)
    v2 = run_vinify_node("MVN", 2, [X], reduction_axes=[-1], eps=0.1, normalize_variance=False)
    np.testing.assert_allclose(v2[0], X - X.mean(axis=-1, keepdims=True), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("eps_mode, combine", [("add", np.add), ("max", np.maximum)])
def test_normalize_l2_matches_formula(eps_mode, combine):
    squares = np.sum(X * X, axis=(1, 3), keepdims=True)
    expected = X / np.sqrt(combine(squares, 0.5))
    actual = run_vinify_node("NormalizeL2", 1, [X, np.array([1, 3], np.int64)],
                             constant_inputs=(1,), eps=0.5, eps_mode=eps_mode)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_normalize_l2_matches_onnxruntime_lp_normalization():
    expected = run_onnx_node("LpNormalization", {"x": X}, axis=1, p=2)[0]
    actual = run_vinify_node("NormalizeL2", 1, [X, np.array([1], np.int64)], eps=1e-12,
                             eps_mode="max")[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [3, 5])
def test_lrn_over_channels_matches_onnxruntime(size):
    x = RNG.standard_normal((2, 7, 3, 3)).astype(np.float32)
    expected = run_onnx_node("LRN", {"x": x}, size=size, alpha=1e-2, beta=0.75, bias=2.0)[0]
    actual = run_vinify_node("LRN", 1, [x, np.array([1], np.int64)], size=size, alpha=1e-2,
                             beta=0.75, bias=2.0)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("size", [2, 3])
def test_lrn_over_spatial_axes_matches_openvino(size):
    axes = np.array([2, 3], np.int64)
    expected = run_openvino(lambda p: ov1.lrn(p, ov1.constant(axes), 1e-2, 0.75, 1.0, size),
                            [X])[0]
    actual = run_vinify_node("LRN", 1, [X, axes], size=size, alpha=1e-2, beta=0.75, bias=1.0)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


def test_grn_matches_formula():
    actual = run_vinify_node("GRN", 1, [X], bias=1.0)[0]
    expected = X / np.sqrt(np.sum(X * X, axis=1, keepdims=True) + 1.0)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_normalization_shape_inference_keeps_dynamic_dims():
    assert output_type("BatchNormInference", 5, ["[?,3,2..8,...]".replace(",...", ""), "[3]",
                       "[3]", "[3]", "[?]"], epsilon=1e-5) == "f32[?,3,2..8]"
    assert output_type("MVN", 6, ["[...]", "[2]"], elements=["f32", "i64"],
                       normalize_variance=True, eps=1e-5, eps_mode="inside_sqrt") == "f32[...]"
    assert output_type("NormalizeL2", 1, ["[1..3,?]", "[1]"], elements=["f32", "i32"],
                       eps=1e-5, eps_mode="add") == "f32[1..3,?]"


def test_batch_norm_channel_mismatch_names_the_node():
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(BatchNormInference<5>\).*\[4\]"):
        output_type("BatchNormInference", 5, ["[1,3,4,4]", "[3]", "[3]", "[4]", "[3]"],
                    epsilon=1e-5)


def test_mvn_axis_out_of_range_names_the_node():
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(MVN<6>\).*axis 4"):
        output_type("MVN", 6, ["[1,3,4,4]", "[1]"], elements=["f32", "i64"],
                    constants={1: np.array([4], np.int64)}, normalize_variance=True, eps=1e-5,
                    eps_mode="inside_sqrt")
