"""Embedding-bag ops against OpenVINO's CPU plugin, and their shape inference."""

import numpy as np
import openvino.opset3 as ov3
import openvino.opset14 as ov_ops
import openvino.opset15 as ov15
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.inferred import inferred
from tests.compiler.ops.ort_reference import run_openvino, run_vinify_node

RNG = np.random.default_rng(31)
TABLE = RNG.standard_normal((5, 2, 3)).astype(np.float32)
INDICES = np.array([0, 2, 3, 4, 1, 1], np.int32)
OFFSETS = np.array([0, 2, 2, 5], np.int32)  # bag 1 is empty
WEIGHTS = RNG.random(6).astype(np.float32)


def _compare(ov_build, op, version, extras, **attrs):
    expected = run_openvino(lambda table: ov_build(table, *map(ov_ops.constant, extras)),
                            [TABLE])[0]
    actual = run_vinify_node(op, version, [TABLE, *extras], tuple(range(1, len(extras) + 1)),
                             **attrs)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("extras", [
    [INDICES, OFFSETS],
    [INDICES, OFFSETS, np.array(3, np.int32)],
    [INDICES, OFFSETS, np.array(-1, np.int32), WEIGHTS],
])
def test_bag_offsets_sum_matches_openvino(extras):
    _compare(ov3.embedding_bag_offsets_sum, "EmbeddingBagOffsetsSum", 3, extras)


def test_bag_offsets_mean_matches_openvino():
    extras = [INDICES, OFFSETS, np.array(4, np.int32)]
    _compare(lambda *a: ov15.embedding_bag_offsets(*a, reduction="mean"), "EmbeddingBagOffsets",
             15, extras, reduction="mean")


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_bag_packed_matches_openvino(reduction):
    packed = INDICES.reshape(3, 2)
    _compare(lambda *a: ov15.embedding_bag_packed(*a, reduction=reduction),
             "EmbeddingBagPacked", 15, [packed], reduction=reduction)
    _compare(ov3.embedding_bag_packed_sum, "EmbeddingBagPackedSum", 3,
             [packed, WEIGHTS.reshape(3, 2)])


def test_segments_sum_matches_openvino():
    segments = np.array([0, 0, 2, 2, 3, 3], np.int32)
    extras = [INDICES, segments, np.array(5, np.int32), np.array(1, np.int32), WEIGHTS]
    _compare(ov3.embedding_segments_sum, "EmbeddingSegmentsSum", 3, extras)


def test_embedding_inference():
    assert inferred("EmbeddingBagOffsetsSum", 3, "f32[?,2,3]", "i32[?]", "i32[4]") == \
        "f32[4,2,3]"
    assert inferred("EmbeddingBagPacked", 15, "f32[10,8]", "i64[1..3,5]") == "f32[1..3,8]"
    assert inferred("EmbeddingSegmentsSum", 3, "f32[10,8]", "i64[6]", "i64[6]",
                    np.array(7, np.int64)) == "f32[7,8]"
    assert inferred("EmbeddingSegmentsSum", 3, "f32[10,8]", "i64[6]", "i64[6]", "i64[]") == \
        "f32[?,8]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(EmbeddingBagOffsets<15>\\).*sum"):
        inferred("EmbeddingBagOffsets", 15, "f32[10,8]", "i32[6]", "i32[2]", "i32[]", "f32[6]",
                 reduction="mean")
