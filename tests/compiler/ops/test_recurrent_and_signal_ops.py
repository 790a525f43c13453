"""The ops onnx-nn declared (rnn, detection, signal, sampling): shape inference with dynamic and
bounded dimensions, references against numpy formulas, and bad input naming the node."""

import numpy as np
import pytest
from vinify.errors import TypeInferenceError
from vinify.ir import constant, make, parameter

RNG = np.random.default_rng(17)


def recurrent_weights(gates, hidden, inputs, directions=1):
    return [constant(RNG.standard_normal(shape).astype(np.float32)) for shape in (
        (directions, gates * hidden, inputs), (directions, gates * hidden, hidden),
        (directions, gates * hidden))]


def test_lstm_sequence_shapes_keep_dynamic_and_bounded_dims():
    x = parameter("x", "f32", ["1..8", "?", 5])
    h0, c0 = (parameter(n, "f32", ["1..8", 2, 3]) for n in ("h0", "c0"))
    lengths = parameter("len", "i32", ["1..8"])
    node = make("LSTMSequence", 5, [x, h0, c0, lengths, *recurrent_weights(4, 3, 5, 2)],
                hidden_size=3, direction="bidirectional")
    assert [str(v.type) for v in node.outputs] == ["f32[1..8,2,?,3]", "f32[1..8,2,3]",
                                                    "f32[1..8,2,3]"]


def test_rnn_sequence_matches_a_numpy_loop_and_stops_at_each_length():
    x = RNG.standard_normal((2, 4, 3)).astype(np.float32)
    h0 = RNG.standard_normal((2, 1, 5)).astype(np.float32)
    w, r, b = (v.outputs[0].node.attrs["value"] for v in recurrent_weights(1, 5, 3))
    node = make("RNNSequence", 5, [constant(x), constant(h0), constant(np.array([4, 2], np.int32)),
                                   constant(w), constant(r), constant(b)], hidden_size=5)
    y, last = node.evaluate([x, h0, np.array([4, 2], np.int32), w, r, b])
    for item, steps in enumerate((4, 2)):
        h = h0[item, 0].astype(np.float64)
        for t in range(steps):
            h = np.tanh(x[item, t] @ w[0].T + h @ r[0].T + b[0])
            np.testing.assert_allclose(y[item, 0, t], h, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(last[item, 0], h, rtol=1e-5, atol=1e-6)
        assert not y[item, 0, steps:].any()


def test_gru_sequence_rejects_wrong_weight_rows_naming_the_node():
    w = constant(np.zeros((3, 4, 5), np.float32))
    r = constant(np.zeros((3, 4, 4), np.float32))
    with pytest.raises(TypeInferenceError, match="gru7.*W has 4 rows"):
        make("GRUSequence", 5, [parameter("x3", "f32", [2, 3, 5]), parameter("h", "f32", [2, 3, 4]),
                                constant(np.array([3, 3], np.int32)), w, r,
                                constant(np.zeros((3, 12), np.float32))],
             name="gru7", hidden_size=4, direction="bidirectional")


def test_non_max_suppression_pads_rows_and_counts_valid_ones():
    boxes = np.array([[[0, 0, 1, 1], [0, 0.1, 1, 1.1], [0, 2, 1, 3]]], np.float32)
    scores = np.array([[[0.9, 0.8, 0.7]]], np.float32)
    node = make("NonMaxSuppression", 9, [constant(boxes), constant(scores),
                                         constant(np.array(3, np.int64)),
                                         constant(np.float32(0.5))])
    assert str(node.outputs[0].type) == "i64[3,3]"
    indices, selected, valid = node.evaluate([boxes, scores, np.array(3), np.float32(0.5)])
    assert valid.tolist() == [2]
    assert indices.tolist() == [[0, 0, 0], [0, 0, 2], [-1, -1, -1]]
    np.testing.assert_allclose(selected[:2, 2], [0.9, 0.7])


def test_dft_shapes_and_values():
    data = parameter("x", "f32", ["?", 6, 2])
    node = make("DFT", 7, [data, constant(np.array([1])), constant(np.array([8]))])
    assert str(node.outputs[0].type) == "f32[?,8,2]"
    rdft = make("RDFT", 9, [parameter("r", "f32", [3, "2..5", 10]), constant(np.array([-1]))])
    assert str(rdft.outputs[0].type) == "f32[3,2..5,6,2]"
    signal = RNG.standard_normal((3, 10)).astype(np.float32)
    [spectrum] = rdft.evaluate([signal, np.array([-1])])
    expected = np.fft.rfft(signal, axis=-1)
    np.testing.assert_allclose(spectrum[..., 0] + 1j * spectrum[..., 1], expected, atol=1e-4)
    irdft = make("IRDFT", 9, [constant(spectrum), constant(np.array([1]))])
    assert str(irdft.outputs[0].type) == "f32[3,10]"
    np.testing.assert_allclose(irdft.evaluate([spectrum, np.array([1])])[0], signal, atol=1e-5)


def test_grid_sample_identity_grid_reproduces_the_image_and_checks_ranks():
    image = RNG.standard_normal((1, 2, 3, 4)).astype(np.float32)
    ys, xs = np.meshgrid(np.linspace(-1, 1, 3), np.linspace(-1, 1, 4), indexing="ij")
    grid = np.stack([xs, ys], -1)[None].astype(np.float32)
    node = make("GridSample", 9, [constant(image), constant(grid)], align_corners=True)
    np.testing.assert_allclose(node.evaluate([image, grid])[0], image, atol=1e-6)
    with pytest.raises(TypeInferenceError, match="warp"):
        make("GridSample", 9, [parameter("d", "f32", [1, 2, 3, 4]),
                               parameter("g", "f32", [1, 5, 5, 3])], name="warp")


def test_roi_align_shape_and_constant_image():
    data = parameter("x", "f32", ["?", 4, 10, 10])
    node = make("ROIAlign", 9, [data, parameter("rois", "f32", ["1..16", 4]),
                                parameter("batch", "i64", ["1..16"])],
                pooled_h=2, pooled_w=3, sampling_ratio=2, spatial_scale=1.0)
    assert str(node.outputs[0].type) == "f32[1..16,4,2,3]"
    image = np.full((1, 4, 10, 10), 2.5, np.float32)
    [pooled] = node.evaluate([image, np.array([[1, 1, 6, 8]], np.float32), np.array([0])])
    np.testing.assert_allclose(pooled, 2.5)
