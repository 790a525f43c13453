"""CPU and GPU against TEMPLATE for MelWeightMatrix (codegen/lowering/mel_weights.py): the
matrix size known at compile time, the sample rate and edge frequencies read at run time."""

import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check


def mel_graph(bins: int, length: int):
    rate = ir.parameter("rate", "i32", [])
    low, high = ir.parameter("low", "f32", []), ir.parameter("high", "f32", [])
    y = ir.make("MelWeightMatrix", 1, [ir.constant(np.int32(bins)), ir.constant(np.int32(length)),
                                        rate, low, high], output_type="f32")
    return ir.Graph([rate, low, high], [y])


@pytest.mark.parametrize("bins,length,rate,low,high", [
    (8, 16, 8192, 0.0, 4096.0), (5, 31, 16000, 100.0, 6000.0), (3, 64, 22050, 300.0, 1200.0)])
def test_mel_weight_matrix_matches_template(bins, length, rate, low, high):
    feeds = [np.int32(rate), np.float32(low), np.float32(high)]
    device_check.check_against_template(mel_graph(bins, length), [np.asarray(f) for f in feeds],
                                        "CPU", rtol=1e-5, atol=1e-6)


def test_mel_weight_matrix_on_gpu():
    feeds = [np.asarray(np.int32(8000)), np.asarray(np.float32(20.0)),
             np.asarray(np.float32(3900.0))]
    device_check.check_against_template(mel_graph(6, 20), feeds, "GPU", rtol=1e-5, atol=1e-6)
