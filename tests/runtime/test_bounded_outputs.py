"""Ops whose output sizes count their data (NonZero, Unique, NonMaxSuppression): value
specialization must never take the data they count, or the op would be folded at compile time
and the device would not compute it."""

import numpy as np
import pytest
from vinify import ir
from vinify.errors import DeviceError
from vinify.specialize import plan_specialization


def _nms_then_trim() -> ir.Graph:
    """NonMaxSuppression<9> then Slice(selected, 0, valid_count), as the ONNX converter emits."""
    boxes = ir.parameter("boxes", "f32", [1, 6, 4])
    scores = ir.parameter("scores", "f32", [1, 1, 6])
    limit = ir.parameter("limit", "i64", [1])
    iou = ir.parameter("iou", "f32", [1])
    low = ir.parameter("low", "f32", [1])
    nms = ir.make("NonMaxSuppression", 9, [boxes, scores, limit, iou, low], name="nms")
    valid = nms.outputs[2]
    start = ir.constant(np.array([0], np.int64))
    axes = ir.constant(np.array([0], np.int64))
    step = ir.constant(np.array([1], np.int64))
    trimmed = ir.make("Slice", 8, [nms.outputs[0], start, valid, step, axes], name="trim")
    return ir.Graph([boxes, scores, limit, iou, low], [trimmed])


def test_nonzero_data_is_not_specialized():
    data = ir.parameter("data", "boolean", [2, 2])
    found = ir.make("NonZero", 3, [data], name="where", output_type="i64")
    plan = plan_specialization(ir.Graph([data], [found]))
    assert plan.parameters == [] and plan.blockers == []  # a result: returned trimmed
    graph = ir.Graph([data], [ir.make("Convert", 1, [found], destination_type="f32")])
    plan = plan_specialization(graph)
    assert plan.parameters == []
    assert "node 'where' (NonZero<3>)" in plan.blockers[0]


def test_unique_data_is_not_specialized():
    data = ir.parameter("data", "i32", [6])
    distinct = ir.make("Unique", 10, [data], name="distinct")
    plan = plan_specialization(ir.Graph([data], list(distinct.outputs)))
    assert plan.parameters == []
    assert "node 'distinct' (Unique<10>)" in plan.blockers[0]


def test_nms_boxes_and_scores_are_not_specialized():
    graph = _nms_then_trim()
    plan = plan_specialization(graph)
    assert plan.parameters == [2] and plan.blockers == []  # the limit decides the rows
    trimmed = graph.outputs[0]
    graph = ir.Graph(graph.parameters, [ir.make("Convert", 1, [trimmed], destination_type="f32")])
    plan = plan_specialization(graph)
    assert 0 not in plan.parameters and 1 not in plan.parameters
    assert any("'trim'" in blocker for blocker in plan.blockers)


def test_nonzero_feeding_computation_is_refused_on_cpu():
    """Its count would have to size the kernels after it: only results are trimmed."""
    import vinify

    data = ir.parameter("data", "boolean", [2, 2])
    found = ir.make("NonZero", 3, [data], name="where", output_type="i64")
    graph = ir.Graph([data], [ir.make("Convert", 1, [found], destination_type="f32")])
    with pytest.raises(DeviceError, match=r"node 'where' \(NonZero<3>\)"):
        vinify.compile_model(graph, "CPU")


def _nonzero_graph(shape, elem="f32") -> ir.Graph:
    data = ir.parameter("data", elem, shape)
    return ir.Graph([data], [ir.make("NonZero", 3, [data], name="where", output_type="i64")])


@pytest.mark.parametrize("device", ["CPU", "GPU"])
def test_nonzero_is_computed_by_the_device_with_a_trimmed_output(device):
    import vinify

    compiled = vinify.compile_model(_nonzero_graph([2, 3]), device)
    reference = vinify.compile_model(_nonzero_graph([2, 3]), "TEMPLATE")
    cases = [np.array([[1, 0, 2], [0, 0, -3]], np.float32), np.zeros((2, 3), np.float32),
             np.ones((2, 3), np.float32)]
    for data in cases:
        got = compiled([data])[0]
        np.testing.assert_array_equal(got, reference([data])[0])
        np.testing.assert_array_equal(got, np.array(np.nonzero(data)))


@pytest.mark.parametrize("device", ["CPU", "GPU"])
def test_nonzero_one_compile_per_shape_not_per_value(device):
    import vinify

    compiled = vinify.compile_model(_nonzero_graph([-1, 4], "i32"), device)
    first = np.array([[0, 5, 0, 1], [2, 0, 0, 0]], np.int32)
    second = np.array([[7, 7, 7, 0], [0, 0, 0, 9]], np.int32)
    for data in (first, second):
        np.testing.assert_array_equal(compiled([data])[0], np.array(np.nonzero(data)))
    assert compiled.executable.compiles == 1


def test_exported_blob_keeps_the_trim():
    from vinify.runtime import Core

    core = Core()
    compiled = core.compile_model(_nonzero_graph([3]), "CPU")
    blob = compiled.export_model()
    imported = core.import_model(blob, "CPU")
    data = np.array([0, 4, 0], np.float32)
    np.testing.assert_array_equal(imported([data])[0], [[1]])
    assert str(imported.outputs[0].shape) == "[1,0..3]"
