"""DepthToSpace, SpaceToDepth, ShuffleChannels: against onnxruntime / OpenVINO, shapes, errors."""

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

RNG = np.random.default_rng(8)
X = RNG.standard_normal((2, 12, 3, 4)).astype(np.float32)


@pytest.mark.parametrize("mode, onnx_mode", [("blocks_first", "DCR"), ("depth_first", "CRD")])
def test_depth_to_space_matches_onnxruntime(mode, onnx_mode):
    expected = run_onnx_node("DepthToSpace", {"x": X}, blocksize=2, mode=onnx_mode)[0]
    actual = run_vinify_node("DepthToSpace", 1, [X], mode=mode, block_size=2)[0]
    np.testing.assert_array_equal(actual, expected)


def test_space_to_depth_matches_onnxruntime_and_inverts_depth_to_space():
    x = RNG.standard_normal((2, 3, 4, 6)).astype(np.float32)
    expected = run_onnx_node("SpaceToDepth", {"x": x}, blocksize=2)[0]
    actual = run_vinify_node("SpaceToDepth", 1, [x], mode="blocks_first", block_size=2)[0]
    np.testing.assert_array_equal(actual, expected)
    for mode in ("blocks_first", "depth_first"):
        packed = run_vinify_node("SpaceToDepth", 1, [x], mode=mode, block_size=2)[0]
        restored = run_vinify_node("DepthToSpace", 1, [packed], mode=mode, block_size=2)[0]
        np.testing.assert_array_equal(restored, x)


@pytest.mark.parametrize("mode", ["blocks_first", "depth_first"])
def test_3d_blocks_match_openvino(mode):
    x = RNG.standard_normal((1, 16, 2, 3, 2)).astype(np.float32)
    expected = run_openvino(lambda p: ov1.depth_to_space(p, mode, 2), [x])[0]
    np.testing.assert_array_equal(run_vinify_node("DepthToSpace", 1, [x], mode=mode,
                                                  block_size=2)[0], expected)
    y = RNG.standard_normal((1, 2, 4, 2, 6)).astype(np.float32)
    expected = run_openvino(lambda p: ov1.space_to_depth(p, mode, 2), [y])[0]
    np.testing.assert_array_equal(run_vinify_node("SpaceToDepth", 1, [y], mode=mode,
                                                  block_size=2)[0], expected)


def test_shuffle_channels_matches_formula():
    actual = run_vinify_node("ShuffleChannels", 1, [X], axis=1, group=3)[0]
    expected = X.reshape(2, 3, 4, 3, 4).transpose(0, 2, 1, 3, 4).reshape(X.shape)
    np.testing.assert_array_equal(actual, expected)
    np.testing.assert_array_equal(actual[:, 1], X[:, 4])


def test_rearrange_shape_inference():
    assert output_type("DepthToSpace", 1, ["[?,8,2..4,5]"], mode="blocks_first",
                       block_size=2) == "f32[?,2,4..8,10]"
    assert output_type("SpaceToDepth", 1, ["[1,3,?,8]"], mode="depth_first",
                       block_size=2) == "f32[1,12,?,4]"
    assert output_type("ShuffleChannels", 1, ["[...]"], group=2) == "f32[...]"


def test_indivisible_channels_name_the_node():
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(DepthToSpace<1>\).*divisible"):
        output_type("DepthToSpace", 1, ["[1,6,2,2]"], mode="blocks_first", block_size=2)
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(ShuffleChannels<1>\).*divisible"):
        output_type("ShuffleChannels", 1, ["[1,6,2,2]"], group=4)
