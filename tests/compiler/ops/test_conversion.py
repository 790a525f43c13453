"""Convert, ConvertLike and ConvertPromoteTypes, against onnxruntime and OpenVINO."""

import numpy as np
import openvino
import openvino.opset14 as ov_ops
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.inferred import inferred
from tests.compiler.ops.ort_reference import run_onnx_node, run_openvino, run_vinify_node


def test_convert_truncates_like_onnx_cast():
    data = np.array([-1.7, -0.5, 0.5, 2.9, 300.0], np.float32)
    expected = run_onnx_node("Cast", {"x": data}, to=6)[0]  # int32
    actual = run_vinify_node("Convert", 1, [data], destination_type="i32")[0]
    np.testing.assert_array_equal(actual, expected)
    assert actual.dtype == np.int32
    like = run_vinify_node("ConvertLike", 1, [data, np.zeros(1, np.float16)])[0]
    assert like.dtype == np.float16
    assert inferred("ConvertLike", 1, "f32[?,2]", "u8[1]") == "u8[?,2]"


def test_convert_to_unsigned_wraps_like_openvino():
    data = np.array([-1.7, 2.9, 300.5, 256.0], np.float32)
    expected = run_openvino(lambda x: ov_ops.convert(x, "u8"), [data])[0]
    actual = run_vinify_node("Convert", 1, [data], destination_type="u8")[0]
    np.testing.assert_array_equal(actual, expected)


TYPES = ["boolean", "u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f16", "bf16", "f32",
         "f64"]


def _openvino_promotion(a: str, b: str, ranks: tuple, **attrs) -> str:
    left = ov_ops.parameter([2] * ranks[0], getattr(openvino.Type, a))
    right = ov_ops.parameter([2] * ranks[1], getattr(openvino.Type, b))
    try:
        node = ov_ops.convert_promote_types(left, right, **attrs)
    except Exception:  # OpenVINO rejects the pair
        return "error"
    return str(node.get_output_element_type(0).get_type_name())


def _vinify_promotion(a: str, b: str, ranks: tuple, **attrs) -> str:
    try:
        types = inferred("ConvertPromoteTypes", 14, f"{a}[{','.join(['2'] * ranks[0])}]",
                         f"{b}[{','.join(['2'] * ranks[1])}]", **attrs)
    except TypeInferenceError:
        return "error"
    return types.split("[")[0]


@pytest.mark.parametrize("unsafe", [False, True])
@pytest.mark.parametrize("scalar_promotion", [False, True])
def test_promotion_agrees_with_openvino_for_every_type_pair(unsafe, scalar_promotion):
    rank_pairs = [(0, 2), (2, 0)] if scalar_promotion else [(1, 1)]
    attrs = dict(promote_unsafe=unsafe, pytorch_scalar_promotion=scalar_promotion)
    differ = [(a, b, ranks) for a in TYPES for b in TYPES for ranks in rank_pairs
              if _openvino_promotion(a, b, ranks, **attrs) != _vinify_promotion(a, b, ranks,
                                                                                 **attrs)]
    assert not differ


def test_promotion_converts_values_and_names_the_node_on_error():
    a = np.array([1, 2], np.int8)
    b = np.array([0.5, 1.5], np.float32)
    left, right = run_vinify_node("ConvertPromoteTypes", 14, [a, b])
    assert left.dtype == right.dtype == np.float32 and left.tolist() == [1.0, 2.0]
    with pytest.raises(TypeInferenceError,
                       match="node 'op' \\(ConvertPromoteTypes<14>\\).*promote_unsafe"):
        inferred("ConvertPromoteTypes", 14, "i32[2]", "f32[2]")
