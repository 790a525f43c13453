"""SpaceToBatch<2> and BatchToSpace<2> against OpenVINO, and as inverses of each other."""

import numpy as np
import openvino.opset14 as ov_ops
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.inferred import inferred
from tests.compiler.ops.ort_reference import run_openvino, run_vinify_node

RNG = np.random.default_rng(23)
BLOCK = np.array([1, 2, 3], np.int64)
PADS_BEGIN = np.array([0, 1, 0], np.int64)
PADS_END = np.array([0, 1, 1], np.int64)


def _openvino(op, data, *vectors):
    return run_openvino(lambda x: op(x, *[ov_ops.constant(v) for v in vectors]), [data])[0]


def test_space_to_batch_matches_openvino():
    data = RNG.standard_normal((2, 4, 5)).astype(np.float32)
    expected = _openvino(ov_ops.space_to_batch, data, BLOCK, PADS_BEGIN, PADS_END)
    actual = run_vinify_node("SpaceToBatch", 2, [data, BLOCK, PADS_BEGIN, PADS_END],
                             (1, 2, 3))[0]
    assert actual.shape == (12, 3, 2)
    np.testing.assert_array_equal(actual, expected)


def test_batch_to_space_matches_openvino_and_inverts_space_to_batch():
    data = RNG.standard_normal((12, 3, 2)).astype(np.float32)
    expected = _openvino(ov_ops.batch_to_space, data, BLOCK, PADS_BEGIN, PADS_END)
    actual = run_vinify_node("BatchToSpace", 2, [data, BLOCK, PADS_BEGIN, PADS_END],
                             (1, 2, 3))[0]
    np.testing.assert_array_equal(actual, expected)
    back = run_vinify_node("SpaceToBatch", 2, [actual, BLOCK, PADS_BEGIN, PADS_END],
                           (1, 2, 3))[0]
    restored = run_vinify_node("BatchToSpace", 2, [back, BLOCK, PADS_BEGIN, PADS_END],
                               (1, 2, 3))[0]
    np.testing.assert_array_equal(restored, actual)


def test_space_batch_inference():
    assert inferred("SpaceToBatch", 2, "f32[?,4,5]", BLOCK, PADS_BEGIN, PADS_END) == \
        "f32[?,3,2]"
    assert inferred("BatchToSpace", 2, "f32[12,3,1..4]", BLOCK, PADS_BEGIN, PADS_END) == \
        "f32[2,4,2..11]"
    assert inferred("BatchToSpace", 2, "f32[12,3,2]", "i64[3]", PADS_BEGIN, PADS_END) == \
        "f32[?,?,?]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(SpaceToBatch<2>\\).*divisible"):
        inferred("SpaceToBatch", 2, "f32[1,4,4]", BLOCK, PADS_BEGIN, PADS_END)


@pytest.mark.parametrize("auto_pad", ["valid", "same_upper", "same_lower"])
@pytest.mark.parametrize("sizes, strides, rates", [
    ([2, 2], [1, 1], [1, 1]), ([3, 2], [2, 3], [2, 1]), ([1, 3], [3, 1], [1, 2])])
def test_extract_image_patches_matches_openvino(auto_pad, sizes, strides, rates):
    import openvino.opset3 as ov3

    data = RNG.standard_normal((2, 3, 7, 6)).astype(np.float32)
    expected = run_openvino(
        lambda x: ov3.extract_image_patches(x, sizes, strides, rates, auto_pad), [data])[0]
    actual = run_vinify_node("ExtractImagePatches", 3, [data], sizes=sizes, strides=strides,
                             rates=rates, auto_pad=auto_pad)[0]
    np.testing.assert_array_equal(actual, expected)


def test_extract_image_patches_inference():
    assert inferred("ExtractImagePatches", 3, "f32[?,3,10..20,?]", sizes=[3, 3],
                    strides=[5, 5], rates=[1, 1], auto_pad="valid") == "f32[?,27,2..4,?]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(ExtractImagePatches<3>\\)"):
        inferred("ExtractImagePatches", 3, "f32[1,3,8]", sizes=[3, 3], strides=[1, 1],
                 rates=[1, 1], auto_pad="valid")
