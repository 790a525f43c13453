"""CPU and GPU against TEMPLATE for Det (codegen/lowering/det.py): batches of matrices of
several sizes, matrices that need pivoting, singular matrices, f64."""

import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

RNG = np.random.default_rng(79)


def det_graph(shape, elem="f32"):
    x = ir.parameter("x", elem, shape)
    return ir.Graph([x], [ir.make("Det", 1, [x])])


@pytest.mark.parametrize("shape", [(2, 2), (3, 2, 2), (4, 5, 5), (2, 3, 1, 1), (3, 7, 7)])
def test_det_matches_template(shape):
    x = RNG.normal(0, 1, shape).astype(np.float32)
    device_check.check_against_template(det_graph(shape), [x], "CPU", rtol=1e-4, atol=1e-5)


def test_det_pivoting_and_singular_matrices():
    matrices = np.array([[[0, 1, 2], [3, 0, 1], [1, 1, 0]],  # zero first pivot: rows swap
                         [[1, 2, 3], [2, 4, 6], [1, 0, 1]],  # singular: two rows dependent
                         [[0, 0, 0], [0, 0, 0], [0, 0, 0]]], np.float32)
    device_check.check_against_template(det_graph((3, 3, 3)), [matrices], "CPU", atol=1e-6)


def test_det_f64_and_gpu():
    x = RNG.normal(0, 1, (3, 4, 4))
    device_check.check_against_template(det_graph((3, 4, 4), "f64"), [x], "CPU", rtol=1e-9)
    device_check.check_against_template(det_graph((3, 4, 4)), [x.astype(np.float32)], "GPU",
                                        rtol=1e-4, atol=1e-5)
