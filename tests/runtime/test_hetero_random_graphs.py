"""HETERO on random graphs with random per-node affinities: outputs equal TEMPLATE's exactly.

One target needs static shapes, so dynamic graphs also exercise per-shape compiles inside a
HETERO stage.
"""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from vinify.runtime import Core

from tests.compiler.graph_strategies import graph_cases
from tests.runtime.toy_devices import StaticShapeDevice


@settings(max_examples=40)
@given(case=graph_cases(), data=st.data())
def test_hetero_with_random_affinities_matches_template(case, data):
    core = Core()
    core.register_device("STATIC", StaticShapeDevice)
    for node in case.graph.nodes():
        if node.op.name not in ("Parameter", "Result", "Constant"):
            node.rt_info["affinity"] = data.draw(st.sampled_from(["STATIC", "TEMPLATE"]))
    hetero = core.compile_model(case.graph, "HETERO:STATIC,TEMPLATE")
    reference = core.compile_model(case.graph, "TEMPLATE")
    got = hetero(case.inputs).to_tuple()
    want = reference(case.inputs).to_tuple()
    assert len(got) == len(want)
    for got_array, want_array in zip(got, want):
        np.testing.assert_array_equal(got_array, want_array)
    for got_array, expected in zip(got, case.expected):
        np.testing.assert_allclose(got_array, expected, rtol=1e-5, atol=1e-5)
