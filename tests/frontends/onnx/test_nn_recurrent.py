"""ONNX LSTM/GRU/RNN converters against onnxruntime: both directions, sequence lengths shorter
than the input, initial states, batch-major layout, linear_before_reset and clipping."""

import numpy as np
import pytest
import vinify
from onnx import TensorProto, helper
from vinify.errors import ConversionError

from .test_nn_tensor import assert_matches_onnxruntime, single_node_model

F32, I32 = TensorProto.FLOAT, TensorProto.INT32
SEQ, BATCH, INPUT, HIDDEN = 4, 3, 5, 6
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def recurrent_model(op, directions, layout=0, **attrs):
    """A model and its inputs; the same seed gives the same numbers in either layout."""
    rng = np.random.default_rng(3)
    gates = GATES[op]
    direction = "bidirectional" if directions == 2 else "reverse"
    weights = [helper.make_tensor(name, F32, shape, (rng.standard_normal(shape) * 0.5)
                                  .astype(np.float32).reshape(-1).tolist())
               for name, shape in (("W", [directions, gates * HIDDEN, INPUT]),
                                   ("R", [directions, gates * HIDDEN, HIDDEN]),
                                   ("B", [directions, 2 * gates * HIDDEN]))]
    x_shape = [BATCH, SEQ, INPUT] if layout else [SEQ, BATCH, INPUT]
    state_shape = [BATCH, directions, HIDDEN] if layout else [directions, BATCH, HIDDEN]
    names = ["X", "W", "R", "B", "lengths", "h0"]
    outputs = ["Y", "Y_h"]
    inputs = {"X": (F32, x_shape), "lengths": (I32, [BATCH]), "h0": (F32, state_shape)}
    if op == "LSTM":
        names.append("c0")
        outputs.append("Y_c")
        inputs["c0"] = (F32, state_shape)
    node = helper.make_node(op, names, outputs, hidden_size=HIDDEN, direction=direction,
                            layout=layout, **attrs)
    feeds = {"X": rng.standard_normal([SEQ, BATCH, INPUT]).astype(np.float32),
             "lengths": np.array([4, 2, 1], np.int32),
             "h0": rng.standard_normal([directions, BATCH, HIDDEN]).astype(np.float32)}
    if op == "LSTM":
        feeds["c0"] = rng.standard_normal([directions, BATCH, HIDDEN]).astype(np.float32)
    if layout:
        feeds = {k: v if k == "lengths" else np.ascontiguousarray(np.swapaxes(v, 0, 1))
                 for k, v in feeds.items()}
    return single_node_model(node, inputs, 14, weights), feeds


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("directions", [1, 2])
def test_recurrent_layers_match_onnxruntime(op, directions):
    model, feeds = recurrent_model(op, directions)
    assert_matches_onnxruntime(model, feeds, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
def test_batch_major_layout_transposes_the_time_major_results(op):
    """onnxruntime has no layout=1 kernels: compare with our own time-major results."""
    time_major = vinify.compile_model(vinify.read_model(recurrent_model(op, 2)[0]), "TEMPLATE")
    model, feeds = recurrent_model(op, 2, layout=1)
    batch_major = vinify.compile_model(vinify.read_model(model), "TEMPLATE")(feeds)
    time_feeds = {k: v if k == "lengths" else np.swapaxes(v, 0, 1) for k, v in feeds.items()}
    expected = time_major(time_feeds)
    np.testing.assert_allclose(batch_major[0], np.transpose(expected[0], (2, 0, 1, 3)),
                               rtol=1e-6)
    for index in range(1, len(expected.to_tuple())):
        np.testing.assert_allclose(batch_major[index], np.swapaxes(expected[index], 0, 1),
                                   rtol=1e-6)


def test_gru_linear_before_reset_with_clip_and_relu():
    model, feeds = recurrent_model("GRU", 2, linear_before_reset=1, clip=0.8,
                                   activations=["Sigmoid", "Relu"] * 2)
    assert_matches_onnxruntime(model, feeds, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
def test_lstm_with_peepholes(direction):
    directions = 2 if direction == "bidirectional" else 1
    rng = np.random.default_rng(9)
    consts = [helper.make_tensor(name, F32, shape, (rng.standard_normal(shape) * 0.5)
                                 .astype(np.float32).reshape(-1).tolist())
              for name, shape in (("W", [directions, 4 * HIDDEN, INPUT]),
                                  ("R", [directions, 4 * HIDDEN, HIDDEN]),
                                  ("P", [directions, 3 * HIDDEN]))]
    node = helper.make_node("LSTM", ["X", "W", "R", "", "lengths", "", "", "P"],
                            ["Y", "Y_h", "Y_c"], hidden_size=HIDDEN, direction=direction)
    model = single_node_model(node, {"X": (F32, [SEQ, BATCH, INPUT]),
                                     "lengths": (I32, [BATCH])}, 14, consts)
    feeds = {"X": rng.standard_normal((SEQ, BATCH, INPUT)).astype(np.float32),
             "lengths": np.array([4, 3, 2], np.int32)}
    assert_matches_onnxruntime(model, feeds, rtol=1e-4, atol=1e-5)


def test_unknown_direction_is_refused_with_the_node_name():
    node = helper.make_node("GRU", ["X", "W", "R"], ["Y"], name="gru0", hidden_size=2,
                            direction="sideways")
    inputs = {"X": (F32, [1, 1, 2]), "W": (F32, [1, 6, 2]), "R": (F32, [1, 6, 2])}
    with pytest.raises(ConversionError, match="gru0.*sideways"):
        vinify.read_model(single_node_model(node, inputs, 14))
