"""FakeQuantize: against OpenVINO and the spec formula, shapes, bad input."""

import numpy as np
import openvino.opset1 as ov1
import pytest
from vinify.errors import TypeInferenceError

from tests.compiler.ops.ort_reference import output_type, run_openvino, run_vinify_node

RNG = np.random.default_rng(9)
X = (RNG.standard_normal((2, 3, 4, 4)) * 2).astype(np.float32)
LIMITS = [np.array(v, np.float32).reshape(1, 3, 1, 1) for v in
          ([-1.0, -2.0, 0.0], [1.0, 2.0, 3.0], [-0.5, 0.0, 0.0], [0.5, 255.0, 3.0])]


@pytest.mark.parametrize("levels", [256, 16, 2])
def test_fake_quantize_matches_openvino(levels):
    constants = [ov1.constant(limit) for limit in LIMITS]
    expected = run_openvino(lambda p: ov1.fake_quantize(p, *constants, levels), [X])[0]
    actual = run_vinify_node("FakeQuantize", 1, [X] + LIMITS, constant_inputs=(1, 2, 3, 4),
                             levels=levels)[0]
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def test_fake_quantize_u8_grid():
    x = np.array([-1.0, 0.0, 0.3, 0.5, 2.0, 3.0], np.float32)
    limits = [np.array(v, np.float32) for v in (0.0, 2.55, 0.0, 255.0)]
    actual = run_vinify_node("FakeQuantize", 1, [x] + limits, levels=256)[0]
    np.testing.assert_allclose(actual, [0, 0, 30, 50, 200, 255], atol=1e-4)


def test_fake_quantize_shape_inference_broadcasts_limits():
    assert output_type("FakeQuantize", 1, ["[?,3,2..4,4]", "[1,3,1,1]", "[1,3,1,1]", "[]", "[]"],
                       levels=256) == "f32[?,3,2..4,4]"


def test_fake_quantize_bad_levels_names_the_node():
    with pytest.raises(TypeInferenceError, match=r"node 'op' \(FakeQuantize<1>\).*levels"):
        output_type("FakeQuantize", 1, ["[2]", "[]", "[]", "[]", "[]"], levels=1)
