"""CPU and GPU against TEMPLATE for OneHot (codegen/lowering/onehot.py): every axis, indices
out of range and negative, OneHot<16>'s normalize mode, integer values."""

import ml_dtypes
import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

RNG = np.random.default_rng(53)


def one_hot(indices, depth: int, on, off, version: int = 1, **attrs):
    constants = [ir.constant(np.asarray(depth, np.int64)), ir.constant(on), ir.constant(off)]
    return ir.make("OneHot", version, [indices] + constants, **attrs)


@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_one_hot_every_axis(axis):
    indices = ir.parameter("indices", "i64", [3, 4])
    y = one_hot(indices, 5, np.float32(2.5), np.float32(-1.0), axis=axis)
    values = RNG.integers(-7, 7, (3, 4)).astype(np.int64)
    device_check.check_against_template(ir.Graph([indices], [y]), [values], "CPU")


@pytest.mark.parametrize("mode", ["ignore_negative", "normalize"])
def test_one_hot_16_negative_indices(mode):
    indices = ir.parameter("indices", "i32", [6])
    y = one_hot(indices, 4, np.int64(7), np.int64(0), version=16, axis=-1,
                negative_indices_mode=mode)
    values = np.array([0, 3, -1, -4, -5, 4], np.int32)
    device_check.check_against_template(ir.Graph([indices], [y]), [values], "CPU")


def test_one_hot_on_gpu():
    indices = ir.parameter("indices", "i64", [2, 3])
    y = one_hot(indices, 4, np.float32(1.0), np.float32(0.0), axis=1)
    values = np.array([[0, 1, 3], [-1, 2, 9]], np.int64)
    device_check.check_against_template(ir.Graph([indices], [y]), [values], "GPU")


def test_one_hot_bf16_values():
    indices = ir.parameter("indices", "i64", [4])
    y = one_hot(indices, 3, ml_dtypes.bfloat16(1.5), ml_dtypes.bfloat16(-2), axis=0)
    values = np.array([2, 0, 5, 1], np.int64)
    device_check.check_against_template(ir.Graph([indices], [y]), [values], "CPU")
