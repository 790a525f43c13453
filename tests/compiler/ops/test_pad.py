"""Pad 1/12: references against onnxruntime, negative pads, shape inference, bad input."""

import numpy as np
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.ort_reference import output_type, run_onnx_node, run_vinify_node

RNG = np.random.default_rng(5)
X = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
BEGIN = np.array([0, 1, 2, 1], np.int64)
END = np.array([1, 0, 3, 2], np.int64)


@pytest.mark.parametrize("mode, onnx_mode", [("constant", "constant"), ("edge", "edge"),
                                             ("reflect", "reflect")])
def test_pad_matches_onnxruntime(mode, onnx_mode):
    value = np.array(1.5, np.float32)
    expected = run_onnx_node("Pad", {"x": X}, initializers={
        "pads": np.concatenate([BEGIN, END]), "value": value}, mode=onnx_mode)[0]
    actual = run_vinify_node("Pad", 1, [X, BEGIN, END, value], constant_inputs=(1, 2),
                             pad_mode=mode)[0]
    np.testing.assert_array_equal(actual, expected)


def test_symmetric_pad_repeats_the_edge_element():
    x = np.arange(4, dtype=np.int32)
    actual = run_vinify_node("Pad", 12, [x, np.array([2]), np.array([3])], pad_mode="symmetric")
    np.testing.assert_array_equal(actual[0], [1, 0, 0, 1, 2, 3, 3, 2, 1])


def test_negative_pads_crop_in_v12():
    begin, end = np.array([0, -1, 2, 0], np.int64), np.array([-1, 1, -2, 0], np.int64)
    expected = run_onnx_node("Pad", {"x": X}, initializers={"pads": np.concatenate([begin, end])},
                             mode="constant")[0]
    actual = run_vinify_node("Pad", 12, [X, begin, end], constant_inputs=(1, 2),
                             pad_mode="constant")[0]
    assert actual.shape == (1, 3, 4, 5)
    np.testing.assert_array_equal(actual, expected)


def test_pad_shape_inference():
    constants = {1: np.array([1, -2], np.int64), 2: np.array([0, 3], np.int64)}
    assert output_type("Pad", 12, ["[?,4..10]", "[2]", "[2]"], elements=["f32", "i64", "i64"],
                       constants=constants, pad_mode="constant") == "f32[1..,5..11]"
    assert output_type("Pad", 1, ["[2,3]", "[2]", "[2]"], elements=["f32", "i64", "i64"],
                       pad_mode="edge") == "f32[?,?]"
    assert output_type("Pad", 1, ["[...]", "[2]", "[2]"], elements=["f32", "i64", "i64"],
                       pad_mode="edge") == "f32[...]"


def test_negative_pads_are_rejected_by_v1_naming_the_node():
    constants = {1: np.array([0, -1], np.int64), 2: np.array([0, 0], np.int64)}
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(Pad<1>\).*negative"):
        output_type("Pad", 1, ["[2,3]", "[2]", "[2]"], elements=["f32", "i64", "i64"],
                    constants=constants, pad_mode="constant")


def test_reflect_pad_larger_than_dimension_is_an_error():
    constants = {1: np.array([0, 3], np.int64), 2: np.array([0, 0], np.int64)}
    with pytest.raises(TypeInferenceError, match=r"node 'op'.*reflect padding of 3"):
        output_type("Pad", 12, ["[2,3]", "[2]", "[2]"], elements=["f32", "i64", "i64"],
                    constants=constants, pad_mode="reflect")
