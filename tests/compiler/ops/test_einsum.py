"""Einsum<7> against onnxruntime, with explicit, implicit and ellipsis equations."""

import numpy as np
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.inferred import inferred
from tests.compiler.ops.ort_reference import run_onnx_node, run_vinify_node

RNG = np.random.default_rng(29)


@pytest.mark.parametrize("equation, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (1, 4, 3, 2)]),
    ("ii->i", [(3, 3)]),
    ("ij->", [(2, 3)]),
    ("ba", [(2, 3)]),
])
def test_einsum_matches_onnx(equation, shapes):
    arrays = {f"x{i}": RNG.standard_normal(s).astype(np.float32) for i, s in enumerate(shapes)}
    expected = run_onnx_node("Einsum", arrays, equation=equation)[0]
    actual = run_vinify_node("Einsum", 7, list(arrays.values()), equation=equation)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)


def test_einsum_inference():
    assert inferred("Einsum", 7, "f32[?,2,3]", "f32[4,3,1..9]", equation="bij,bjk->bik") == \
        "f32[4,2,1..9]"
    assert inferred("Einsum", 7, "f32[5,?,2]", equation="...i->i...") == "f32[2,5,?]"
    assert inferred("Einsum", 7, "f32[...]", "f32[2]", equation="ab,b->a") == "f32[...]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Einsum<7>\\).*label 'j'"):
        inferred("Einsum", 7, "f32[2,3]", "f32[4,5]", equation="ij,jk->ik")
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Einsum<7>\\).*input terms"):
        inferred("Einsum", 7, "f32[2,3]", equation="ij,jk->ik")


def test_einsum_bfloat16_accumulates_in_f32():
    import ml_dtypes

    a = RNG.standard_normal((2, 3)).astype(ml_dtypes.bfloat16)
    b = RNG.standard_normal((3, 4)).astype(ml_dtypes.bfloat16)
    actual = run_vinify_node("Einsum", 7, [a, b], equation="ij,jk->ik")[0]
    assert actual.dtype == a.dtype
    expected = (a.astype(np.float32) @ b.astype(np.float32)).astype(ml_dtypes.bfloat16)
    np.testing.assert_array_equal(actual, expected)
