"""A compiled device against TEMPLATE on one graph: the check the per-device op tests share."""

import numpy as np
from vinify.runtime import Core


def check_against_template(graph, inputs, device: str, rtol: float = 1e-3,
                           atol: float = 1e-4) -> None:
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(inputs)
    actual = core.compile_model(graph, device)(inputs)
    for index in range(len(graph.outputs)):
        np.testing.assert_allclose(actual[index], expected[index], rtol=rtol, atol=atol)
