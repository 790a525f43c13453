"""CPU and GPU against TEMPLATE for STFT (codegen/lowering/stft.py): batched and single
signals, windows shorter than the frame, odd frame sizes, transposed frames."""

import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

RNG = np.random.default_rng(89)


def stft_graph(signal_shape, window_size, size, step, transpose):
    signal = ir.parameter("signal", "f32", signal_shape)
    window = ir.parameter("window", "f32", [window_size])
    y = ir.make("STFT", 15, [signal, window, ir.constant(np.int64(size)),
                             ir.constant(np.int64(step))], transpose_frames=transpose)
    return ir.Graph([signal, window], [y])


@pytest.mark.parametrize("signal_shape,window_size,size,step,transpose", [
    ((1, 128), 16, 16, 8, False),
    ((2, 50), 7, 9, 4, True),
    ((40,), 10, 10, 3, False),
    ((3, 33), 5, 8, 5, True),
])
def test_stft_matches_template(signal_shape, window_size, size, step, transpose):
    graph = stft_graph(signal_shape, window_size, size, step, transpose)
    feeds = [RNG.normal(0, 1, signal_shape).astype(np.float32),
             RNG.uniform(0, 1, window_size).astype(np.float32)]
    device_check.check_against_template(graph, feeds, "CPU", rtol=1e-5, atol=1e-5)


def test_stft_on_gpu():
    graph = stft_graph((2, 40), 6, 8, 4, False)
    feeds = [RNG.normal(0, 1, (2, 40)).astype(np.float32),
             RNG.uniform(0, 1, 6).astype(np.float32)]
    device_check.check_against_template(graph, feeds, "GPU", rtol=1e-5, atol=1e-5)
