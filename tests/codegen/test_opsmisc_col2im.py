"""CPU and GPU against TEMPLATE for Col2Im (codegen/lowering/col2im.py): 2-D and N-D blocks,
strides, dilations, pads, batched and unbatched columns."""

import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

RNG = np.random.default_rng(61)


def col2im_graph(data_shape, sizes, kernel, **attrs):
    data = ir.parameter("data", "f32", data_shape)
    y = ir.make("Col2Im", 15, [data, ir.constant(np.asarray(sizes, np.int64)),
                               ir.constant(np.asarray(kernel, np.int64))], **attrs)
    return ir.Graph([data], [y])


CASES = [
    ((1, 5, 5), [5, 5], [1, 5], {}),
    ((2, 4, 9), [4, 4], [2, 2], {}),
    ((1, 5, 12), [5, 5], [1, 5], {"pads_begin": [1, 0], "pads_end": [0, 1]}),
    ((1, 4, 4), [5, 5], [2, 2], {"strides": [2, 2], "dilations": [1, 1]}),
    ((1, 4, 9), [5, 5], [2, 2], {"dilations": [2, 2]}),
    ((6, 8), [4, 3], [3, 2], {"strides": [1, 2], "pads_begin": [1, 1], "pads_end": [1, 0]}),
    ((1, 10, 12), [3, 4, 5], [1, 1, 5], {"strides": [1, 1, 1], "dilations": [1, 1, 1],
                                          "pads_begin": [0, 0, 0], "pads_end": [0, 0, 0]}),
]




@pytest.mark.parametrize("data_shape,sizes,kernel,attrs", CASES)
def test_col2im_matches_template(data_shape, sizes, kernel, attrs):
    graph = col2im_graph(data_shape, sizes, kernel, **attrs)
    feeds = [RNG.normal(0, 1, data_shape).astype(np.float32)]
    device_check.check_against_template(graph, feeds, "CPU")


def test_col2im_on_gpu():
    graph = col2im_graph((2, 4, 6), [5, 5], [2, 2], strides=[2, 2], pads_begin=[0, 1],
                         pads_end=[0, 0])
    feeds = [RNG.normal(0, 1, (2, 4, 6)).astype(np.float32)]
    device_check.check_against_template(graph, feeds, "GPU")
