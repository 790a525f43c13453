"""Property: every pass and every pipeline keeps TEMPLATE's numbers and the IR verified."""

import numpy as np
from hypothesis import given, settings
from vinify.passes import PassManager, registered_passes
from vinify.passes.pipelines import COMMON, DEVICE_PIPELINES, pipeline_for
from vinify.text import parse

from tests.passes.ir_check import ir_text, outputs_on_template, random_inputs
from tests.passes.random_graphs import random_graphs

# FP16 weights round to 11 significant bits; everything else must be exact up to reassociation
LOOSE = {"compress-weights-fp16": 2e-2}


def _check(graph, pipeline, inputs, expected, tolerance):
    copy = parse(ir_text(graph))
    PassManager(pipeline, verify=True).run(copy)
    for want, got in zip(expected, outputs_on_template(copy, inputs)):
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance,
                                   err_msg=f"pipeline {pipeline} on\n{ir_text(graph)}")


@settings(max_examples=40, deadline=None)
@given(random_graphs())
def test_each_pass_and_pipeline_preserves_outputs(graph):
    inputs = random_inputs(graph)
    expected = outputs_on_template(graph, inputs)
    builtin = [name for name in registered_passes() if not name.startswith("test-")]
    for name in builtin:
        _check(graph, [name], inputs, expected, LOOSE.get(name, 1e-4))
    for device in [None] + sorted(DEVICE_PIPELINES):
        pipeline = pipeline_for(device)
        tolerance = max([1e-4] + [LOOSE.get(name, 0) for name in pipeline])
        _check(graph, pipeline, inputs, expected, tolerance)
    assert COMMON == pipeline_for(None)
