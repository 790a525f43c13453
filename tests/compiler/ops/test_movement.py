"""Transpose, Concat, Split, VariadicSplit, Reverse, Roll, ReverseSequence."""

import numpy as np
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.inferred import inferred
from tests.compiler.ops.ort_reference import run_onnx_node, run_vinify_node

RNG = np.random.default_rng(11)
DATA = RNG.standard_normal((2, 3, 4)).astype(np.float32)


def i64(*values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_transpose_matches_onnx():
    expected = run_onnx_node("Transpose", {"x": DATA}, perm=[2, 0, 1])[0]
    actual = run_vinify_node("Transpose", 1, [DATA, i64(2, 0, 1)], (1,))[0]
    np.testing.assert_array_equal(actual, expected)
    reversed_axes = run_vinify_node("Transpose", 1, [DATA, i64()], (1,))[0]
    np.testing.assert_array_equal(reversed_axes, DATA.T)


def test_transpose_inference():
    assert inferred("Transpose", 1, "f32[?,1..4,5]", i64(1, 2, 0)) == "f32[1..4,5,?]"
    assert inferred("Transpose", 1, "f32[...]", i64(1, 0)) == "f32[?,?]"
    assert inferred("Transpose", 1, "f32[2,3]", "i64[2]") == "f32[?,?]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Transpose<1>\\).*permutation"):
        inferred("Transpose", 1, "f32[2,3]", i64(0, 0))


def test_concat_matches_onnx():
    other = RNG.standard_normal((2, 3, 1)).astype(np.float32)
    expected = run_onnx_node("Concat", {"a": DATA, "b": other}, axis=-1)[0]
    actual = run_vinify_node("Concat", 1, [DATA, other], axis=-1)[0]
    np.testing.assert_array_equal(actual, expected)


def test_concat_inference():
    assert inferred("Concat", 1, "f32[2,1..4]", "f32[?,3]", axis=1) == "f32[2,4..7]"
    assert inferred("Concat", 1, "f32[...]", "f32[?,3]", axis=0) == "f32[?,3]"
    assert inferred("Concat", 1, "f32[...]", "f32[...]", axis=0) == "f32[...]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Concat<1>\\).*do not match"):
        inferred("Concat", 1, "f32[2,3]", "f32[4,3]", axis=1)
    with pytest.raises(TypeInferenceError, match="node 'op'.*element type"):
        inferred("Concat", 1, "f32[2]", "i32[2]", axis=0)


def test_split_matches_onnx():
    expected = run_onnx_node("Split", {"x": DATA}, num_outputs=2, opset=13, axis=2)
    actual = run_vinify_node("Split", 1, [DATA, i64(2).reshape(())], (1,), num_splits=2)
    assert len(actual) == 2
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e)


def test_split_inference():
    assert inferred("Split", 1, "f32[4,?]", i64(0).reshape(()), num_splits=2) == \
        "f32[2,?], f32[2,?]"
    assert inferred("Split", 1, "f32[2..8,3]", i64(0).reshape(()), num_splits=2) == \
        "f32[1..4,3], f32[1..4,3]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Split<1>\\).*does not split"):
        inferred("Split", 1, "f32[5]", i64(0).reshape(()), num_splits=2)


def test_variadic_split_matches_onnx_split():
    lengths = i64(1, 3)
    expected = run_onnx_node("Split", {"x": DATA}, num_outputs=2, initializers={"s": lengths},
                             axis=2)
    actual = run_vinify_node("VariadicSplit", 1, [DATA, i64(-1).reshape(()), i64(1, -1)], (1, 2))
    for a, e in zip(actual, expected):
        np.testing.assert_array_equal(a, e)


def test_variadic_split_inference_sets_output_count():
    assert inferred("VariadicSplit", 1, "f32[?,10]", i64(1).reshape(()), i64(2, -1, 3)) == \
        "f32[?,2], f32[?,5], f32[?,3]"
    assert inferred("VariadicSplit", 1, "f32[2,4..10]", i64(1).reshape(()), i64(2, -1)) == \
        "f32[2,2], f32[2,2..8]"
    assert inferred("VariadicSplit", 1, "f32[2,3]", "i64[]", "i64[2]") == "f32[?,?], f32[?,?]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(VariadicSplit<1>\\).*sum"):
        inferred("VariadicSplit", 1, "f32[2,6]", i64(1).reshape(()), i64(2, 3))


def test_reverse_index_and_mask_modes():
    by_index = run_vinify_node("Reverse", 1, [DATA, i64(0, -1, 2)], (1,), mode="index")[0]
    np.testing.assert_array_equal(by_index, DATA[::-1, :, ::-1])
    mask = np.array([False, True, False])
    by_mask = run_vinify_node("Reverse", 1, [DATA, mask], (1,), mode="mask")[0]
    np.testing.assert_array_equal(by_mask, DATA[:, ::-1, :])
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Reverse<1>\\).*boolean"):
        inferred("Reverse", 1, "f32[2]", i64(0), mode="mask")


def test_roll_matches_numpy():
    actual = run_vinify_node("Roll", 7, [DATA, i64(1, -2), i64(0, 2)], (1, 2))[0]
    np.testing.assert_array_equal(actual, np.roll(DATA, (1, -2), (0, 2)))
    scalar_shift = run_vinify_node("Roll", 7, [DATA, i64(5), i64(1, 2)], (1, 2))[0]
    np.testing.assert_array_equal(scalar_shift, np.roll(DATA, (5, 5), (1, 2)))
    assert inferred("Roll", 7, "f32[?,3]", i64(1), i64(0)) == "f32[?,3]"


def test_reverse_sequence_matches_onnx():
    data = RNG.standard_normal((4, 3, 2)).astype(np.float32)  # time, batch, feature
    lengths = i64(4, 1, 3)
    expected = run_onnx_node("ReverseSequence", {"x": data, "l": lengths}, time_axis=0,
                             batch_axis=1)[0]
    actual = run_vinify_node("ReverseSequence", 1, [data, lengths], batch_axis=1,
                             seq_axis=0)[0]
    np.testing.assert_array_equal(actual, expected)
    with pytest.raises(TypeInferenceError, match="node 'op' \\(ReverseSequence<1>\\)"):
        inferred("ReverseSequence", 1, "f32[4,3]", "i64[5]", batch_axis=1, seq_axis=0)


def test_identity_copies():
    actual = run_vinify_node("Identity", 16, [DATA])[0]
    np.testing.assert_array_equal(actual, DATA)
    assert actual is not DATA
    assert inferred("Identity", 16, "i8[?,1..3]") == "i8[?,1..3]"


@pytest.mark.parametrize("mode, axes", [("index", i64(-1, 0)), ("index", i64(1, 1)),
                                        ("mask", np.array([True, False, True]))])
def test_reverse_matches_openvino(mode, axes):
    import openvino.opset14 as ov_ops
    from openvino._pyopenvino import NodeFactory

    from tests.compiler.ops.ort_reference import run_openvino

    factory = NodeFactory("opset1")  # Python's opsets have no reverse() builder

    def build(data):
        return factory.create("Reverse", [data.output(0), ov_ops.constant(axes).output(0)],
                              {"mode": mode})

    expected = run_openvino(build, [DATA])[0]
    actual = run_vinify_node("Reverse", 1, [DATA, axes], (1,), mode=mode)[0]
    np.testing.assert_array_equal(actual, expected)
