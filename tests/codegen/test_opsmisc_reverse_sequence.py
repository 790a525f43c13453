"""CPU and GPU against TEMPLATE for ReverseSequence with lengths read at run time
(codegen/lowering/reverse_sequence.py): both axis orders, lengths 0, full, beyond the
sequence and negative; constant lengths still take the precomputed map."""

import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

RNG = np.random.default_rng(101)


def reverse_graph(shape, batch_axis, seq_axis, lengths=None):
    x = ir.parameter("x", "f32", shape)
    params = [x]
    if lengths is None:
        lengths_value = ir.parameter("lengths", "i32", [shape[batch_axis]])
        params.append(lengths_value)
    else:
        lengths_value = ir.constant(np.asarray(lengths, np.int32))
    y = ir.make("ReverseSequence", 1, [x, lengths_value], batch_axis=batch_axis,
                seq_axis=seq_axis)
    return ir.Graph(params, [y])


@pytest.mark.parametrize("shape,batch_axis,seq_axis", [((4, 5, 2), 0, 1), ((5, 4), 1, 0),
                                                       ((3, 2, 6), 1, 2)])
def test_reverse_sequence_lengths_at_run_time(shape, batch_axis, seq_axis):
    graph = reverse_graph(shape, batch_axis, seq_axis)
    size = shape[seq_axis]
    lengths = np.array([0, size, size + 3, -2, 2][:shape[batch_axis]], np.int32)
    feeds = [RNG.normal(0, 1, shape).astype(np.float32), lengths]
    device_check.check_against_template(graph, feeds, "CPU")


def test_reverse_sequence_constant_lengths_and_gpu():
    graph = reverse_graph((4, 5), 0, 1, lengths=[1, 5, 3, 0])
    device_check.check_against_template(graph, [RNG.normal(0, 1, (4, 5)).astype(np.float32)],
                                        "CPU")
    graph = reverse_graph((4, 5), 0, 1)
    feeds = [RNG.normal(0, 1, (4, 5)).astype(np.float32), np.array([1, 5, 3, 0], np.int32)]
    device_check.check_against_template(graph, feeds, "GPU")
