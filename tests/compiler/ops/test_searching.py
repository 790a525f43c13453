"""Bucketize<3>, SearchSorted<15> and Unique<10>."""

import numpy as np
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.inferred import inferred
from tests.compiler.ops.ort_reference import run_onnx_node, run_vinify_node

BUCKETS = np.array([1.0, 2.5, 4.0], np.float32)
VALUES = np.array([[0.5, 1.0, 2.5], [3.0, 4.0, 9.0]], np.float32)


def test_bucketize_right_bound_choice():
    right = run_vinify_node("Bucketize", 3, [VALUES, BUCKETS], (1,))[0]
    assert right.tolist() == [[0, 0, 1], [2, 2, 3]]
    left = run_vinify_node("Bucketize", 3, [VALUES, BUCKETS], (1,), with_right_bound=False,
                           output_type="i32")[0]
    assert left.dtype == np.int32 and left.tolist() == [[0, 1, 2], [2, 3, 3]]
    assert inferred("Bucketize", 3, "f32[?,3]", "f32[4]") == "i64[?,3]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Bucketize<3>\\).*rank"):
        inferred("Bucketize", 3, "f32[2]", "f32[2,2]")


def test_search_sorted_per_row_and_shared_sequence():
    rows = np.array([[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]], np.float32)
    actual = run_vinify_node("SearchSorted", 15, [rows, VALUES])[0]
    expected = [np.searchsorted(r, v, side="left").tolist() for r, v in zip(rows, VALUES)]
    assert actual.tolist() == expected
    shared = run_vinify_node("SearchSorted", 15, [BUCKETS, VALUES], right_mode=True)[0]
    assert shared.tolist() == np.searchsorted(BUCKETS, VALUES, side="right").tolist()
    with pytest.raises(TypeInferenceError, match="node 'op' \\(SearchSorted<15>\\)"):
        inferred("SearchSorted", 15, "f32[3,4]", "f32[2,5]")


def test_unique_sorted_matches_onnx():
    data = np.array([2.0, 1.0, 1.0, 3.0, 4.0, 3.0], np.float32)
    expected = run_onnx_node("Unique", {"x": data}, num_outputs=4, sorted=1)
    actual = run_vinify_node("Unique", 10, [data])
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e)


def test_unique_unsorted_keeps_first_occurrence_order():
    data = np.array([2, 1, 1, 3, 4, 3], np.int32)
    values, first, inverse, counts = run_vinify_node("Unique", 10, [data], sorted=False)
    assert values.tolist() == [2, 1, 3, 4]
    assert first.tolist() == [0, 1, 3, 4]
    assert inverse.tolist() == [0, 1, 1, 2, 3, 2]
    assert counts.tolist() == [1, 2, 2, 1]


def test_unique_along_axis_and_inference():
    data = np.array([[1, 2], [3, 4], [1, 2]], np.int64)
    values, _, inverse, counts = run_vinify_node("Unique", 10, [data, np.int64(0)], (1,))
    assert values.tolist() == [[1, 2], [3, 4]] and inverse.tolist() == [0, 1, 0]
    assert counts.tolist() == [2, 1]
    assert inferred("Unique", 10, "f32[2,3]") == "f32[1..6], i64[1..6], i64[6], i64[1..6]"
    assert inferred("Unique", 10, "f32[5,?]", np.int64(0), index_element_type="i32") == \
        "f32[1..5,?], i32[1..5], i32[5], i64[1..5]"
