"""Gather, GatherND, GatherElements, Select, OneHot, NonZero against onnxruntime and OpenVINO."""

import numpy as np
import openvino.opset14 as ov_ops
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.inferred import inferred
from tests.compiler.ops.ort_reference import run_onnx_node, run_openvino, run_vinify_node

RNG = np.random.default_rng(3)
DATA = RNG.standard_normal((3, 4, 5)).astype(np.float32)


def i64(*values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


SCALAR = i64(1).reshape(())


@pytest.mark.parametrize("version", [1, 7, 8])
def test_gather_matches_onnx(version):
    indices = i64(3, 0, 3, 1).reshape(2, 2)
    expected = run_onnx_node("Gather", {"x": DATA}, initializers={"i": indices}, axis=1)[0]
    actual = run_vinify_node("Gather", version, [DATA, indices, SCALAR], (1, 2))[0]
    np.testing.assert_array_equal(actual, expected)


def test_gather_v8_negative_indices_and_batch_dims_match_openvino():
    indices = i64(-1, 0, 2, -3, 1, 4).reshape(3, 2)

    def build(data):
        return ov_ops.gather(data, ov_ops.constant(indices), ov_ops.constant(np.int64(2)), 1)

    expected = run_openvino(build, [DATA])[0]
    actual = run_vinify_node("Gather", 8, [DATA, indices, i64(2).reshape(())], (1, 2),
                             batch_dims=1)[0]
    np.testing.assert_array_equal(actual, expected)


def test_gather_inference():
    assert inferred("Gather", 8, "f32[?,4,1..5]", "i32[2,7]", i64(1).reshape(())) == \
        "f32[?,2,7,1..5]"
    assert inferred("Gather", 8, "f32[3,4,5]", "i32[3,7]", i64(-1).reshape(()),
                    batch_dims=-1) == "f32[3,4,7]"
    assert inferred("Gather", 8, "f32[3,4,5]", "i32[2]", "i64[]") == "f32[?,?,?]"
    assert inferred("Gather", 8, "f32[...]", "i32[2]", SCALAR) == "f32[...]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Gather<8>\\).*axis 3"):
        inferred("Gather", 8, "f32[3,4,5]", "i32[2]", i64(3).reshape(()))


def test_gather_nd_matches_onnx():
    indices = i64(0, 1, 2, 3, 1, 0).reshape(3, 2)
    expected = run_onnx_node("GatherND", {"x": DATA}, initializers={"i": indices})[0]
    for version in (5, 8):
        actual = run_vinify_node("GatherND", version, [DATA, indices], (1,))[0]
        np.testing.assert_array_equal(actual, expected)


def test_gather_nd_batch_dims_v8_keeps_and_v5_flattens_batch():
    data = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    indices = RNG.integers(0, 4, (2, 3, 6, 1)).astype(np.int64)
    expected = run_onnx_node("GatherND", {"x": data}, initializers={"i": indices},
                             batch_dims=2)[0]
    v8 = run_vinify_node("GatherND", 8, [data, indices], (1,), batch_dims=2)[0]
    np.testing.assert_array_equal(v8, expected)
    v5 = run_vinify_node("GatherND", 5, [data, indices], (1,), batch_dims=2)[0]
    np.testing.assert_array_equal(v5, expected.reshape(6, 6, 5))
    assert inferred("GatherND", 5, "f32[2,3,4,5]", "i64[2,3,6,1]", batch_dims=2) == \
        "f32[6,6,5]"
    assert inferred("GatherND", 8, "f32[2,?,4,5]", "i64[2,3,6,2]", batch_dims=1) == \
        "f32[2,3,6,5]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(GatherND<8>\\).*depth"):
        inferred("GatherND", 8, "f32[2,3]", "i64[4,3]")


def test_gather_elements_matches_onnx():
    indices = RNG.integers(-4, 4, (3, 2, 5)).astype(np.int64)
    expected = run_onnx_node("GatherElements", {"x": DATA}, initializers={"i": indices},
                             axis=1)[0]
    actual = run_vinify_node("GatherElements", 6, [DATA, indices], (1,), axis=1)[0]
    np.testing.assert_array_equal(actual, expected)
    assert inferred("GatherElements", 6, "f32[3,?,5]", "i64[?,2,5]", axis=1) == "f32[3,2,5]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(GatherElements<6>\\).*rank"):
        inferred("GatherElements", 6, "f32[3,4]", "i64[3]", axis=0)


def test_select_matches_onnx_where():
    cond = RNG.random((4, 1)) > 0.5
    other = RNG.standard_normal((5,)).astype(np.float32)
    then = RNG.standard_normal((1, 5)).astype(np.float32)
    expected = run_onnx_node("Where", {"c": cond, "t": then, "e": other})[0]
    actual = run_vinify_node("Select", 1, [cond, then, other])[0]
    np.testing.assert_array_equal(actual, expected)
    assert inferred("Select", 1, "boolean[?,1]", "f32[1,1..5]", "f32[5]") == "f32[?,5]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Select<1>\\).*boolean"):
        inferred("Select", 1, "f32[1]", "f32[1]", "f32[1]")


def test_one_hot_matches_onnx():
    indices = i64(0, 2, 1, 3, 0, 2).reshape(2, 3)
    values = np.array([0.5, 2.0], np.float32)
    expected = run_onnx_node("OneHot", {"i": indices}, initializers={
        "d": i64(4), "v": values}, axis=1)[0]
    actual = run_vinify_node("OneHot", 1, [indices, i64(4).reshape(()), values[1:],
                                           values[:1]], (1, 2, 3), axis=1)[0]
    np.testing.assert_array_equal(actual, expected)
    assert inferred("OneHot", 1, "i64[?,3]", i64(4).reshape(()), np.float32(1.0).reshape(()),
                    np.float32(0.0).reshape(()), axis=-1) == "f32[?,3,4]"


def test_non_zero_matches_onnx():
    data = (RNG.random((3, 4)) > 0.6).astype(np.float32)
    expected = run_onnx_node("NonZero", {"x": data})[0]
    actual = run_vinify_node("NonZero", 3, [data])[0]
    np.testing.assert_array_equal(actual, expected)
    assert inferred("NonZero", 3, "f32[3,1..4]", output_type="i32") == "i32[2,0..12]"
    assert inferred("NonZero", 3, "f32[...]") == "i64[?,?]"


def test_gather_out_of_range_indices_give_zero_like_openvino():
    data = np.arange(1.0, 4.0, dtype=np.float32)
    indices = i64(5, -7, 1, -1)

    def build(x):
        return ov_ops.gather(x, ov_ops.constant(indices), ov_ops.constant(np.int64(0)))

    expected = run_openvino(build, [data])[0]
    actual = run_vinify_node("Gather", 8, [data, indices, i64(0).reshape(())], (1, 2))[0]
    np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("mode", ["ignore_negative", "normalize"])
def test_one_hot_v16_negative_indices_match_openvino(mode):
    import openvino.opset16 as ov16

    indices = i64(-1, 0, 2, -3, -4, 3)
    scalars = [np.array(v, np.float32) for v in (2.0, -1.0)]

    def build(x):
        return ov16.one_hot(x, ov_ops.constant(np.int64(3)), ov_ops.constant(scalars[0]),
                            ov_ops.constant(scalars[1]), axis=-1, negative_indices_mode=mode)

    expected = run_openvino(build, [indices])[0]
    actual = run_vinify_node("OneHot", 16, [indices, i64(3).reshape(()), *scalars], (1, 2, 3),
                             axis=-1, negative_indices_mode=mode)[0]
    np.testing.assert_array_equal(actual, expected)


def test_gather_tree_matches_openvino():
    import openvino.opset1 as ov1

    steps = RNG.integers(1, 6, (5, 2, 3)).astype(np.int32)
    parents = RNG.integers(0, 3, (5, 2, 3)).astype(np.int32)
    lengths = np.array([5, 3], np.int32)
    end = np.array(4, np.int32)
    expected = run_openvino(ov1.gather_tree, [steps, parents, lengths, end])[0]
    actual = run_vinify_node("GatherTree", 1, [steps, parents, lengths, end])[0]
    np.testing.assert_array_equal(actual, expected)
    assert inferred("GatherTree", 1, "f32[?,2,3]", "f32[5,?,3]", "f32[2]", "f32[]") == \
        "f32[5,2,3]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(GatherTree<1>\\).*rank"):
        inferred("GatherTree", 1, "f32[5,2]", "f32[5,2]", "f32[2]", "f32[]")
