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
