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


def _computed_on(value) -> ir.Node:
    """A computation (not a view) on a count-sized value: its count would size the kernel."""
    return ir.make("Relu", 1, [ir.make("Convert", 1, [value], destination_type="f32")])


def test_nonzero_data_is_not_specialized():
    data = ir.parameter("data", "boolean", [2, 2])
    found = ir.make("NonZero", 3, [data], name="where", output_type="i64")
    plan = plan_specialization(ir.Graph([data], [found]))
    assert plan.parameters == [] and plan.blockers == []  # a result: returned trimmed
    graph = ir.Graph([data], [_computed_on(found)])
    plan = plan_specialization(graph)
    assert plan.parameters == []
    assert "node 'where' (NonZero<3>)" in plan.blockers[0]


def test_unique_data_is_not_specialized():
    data = ir.parameter("data", "i32", [6])
    distinct = ir.make("Unique", 10, [data], name="distinct")
    plan = plan_specialization(ir.Graph([data], list(distinct.outputs)))
    assert plan.parameters == [] and plan.blockers == []  # results: returned trimmed
    converted = _computed_on(distinct.outputs[0])
    plan = plan_specialization(ir.Graph([data], [converted]))
    assert plan.parameters == []
    assert "node 'distinct' (Unique<10>)" in plan.blockers[0]


def test_nms_boxes_and_scores_are_not_specialized():
    graph = _nms_then_trim()
    plan = plan_specialization(graph)
    assert plan.parameters == [2] and plan.blockers == []  # the limit decides the rows
    trimmed = graph.outputs[0]
    graph = ir.Graph(graph.parameters, [_computed_on(trimmed)])
    plan = plan_specialization(graph)
    assert 0 not in plan.parameters and 1 not in plan.parameters
    assert any("'trim'" in blocker for blocker in plan.blockers)


def test_nonzero_feeding_computation_is_refused_on_cpu():
    """Its count would have to size the kernels after it: only results are trimmed."""
    import vinify

    data = ir.parameter("data", "boolean", [2, 2])
    found = ir.make("NonZero", 3, [data], name="where", output_type="i64")
    graph = ir.Graph([data], [_computed_on(found)])
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


def _nms_case(rng: np.random.Generator, center: bool) -> list[np.ndarray]:
    corners = rng.uniform(0.0, 1.0, (1, 6, 4)).astype(np.float32)
    if center:  # [x_center, y_center, width, height], all positive sizes
        corners[..., 2:] = rng.uniform(0.1, 0.6, (1, 6, 2)).astype(np.float32)
    scores = rng.uniform(0.0, 1.0, (1, 1, 6)).astype(np.float32)
    return [corners, scores, np.array([4], np.int64), np.array([0.3], np.float32),
            np.array([0.2], np.float32)]


def _nms_graph(center: bool, descending: bool) -> ir.Graph:
    graph = _nms_then_trim()
    nms = graph.outputs[0].node.inputs[0].node
    nms.attrs["box_encoding"] = "center" if center else "corner"
    nms.attrs["sort_result_descending"] = descending
    return graph


@pytest.mark.parametrize("device", ["CPU", "GPU"])
@pytest.mark.parametrize("center,descending", [(False, True), (True, False)])
def test_nms_on_the_device_matches_the_reference(device, center, descending):
    """Two different box sets through one compiled model: one compile (the limit is the only
    specialized input), and the device's selection equals the reference's."""
    import vinify

    compiled = vinify.compile_model(_nms_graph(center, descending), device)
    reference = vinify.compile_model(_nms_graph(center, descending), "TEMPLATE")
    rng = np.random.default_rng(7)
    for _ in range(2):
        inputs = _nms_case(rng, center)
        expected = reference(inputs)[0]
        assert 0 < len(expected) <= 4
        np.testing.assert_array_equal(compiled(inputs)[0], expected)
    assert compiled.executable.compiles == 1


def test_soft_nms_is_refused_on_cpu():
    import vinify

    boxes = ir.parameter("boxes", "f32", [1, 3, 4])
    scores = ir.parameter("scores", "f32", [1, 1, 3])
    limits = [ir.constant(np.array([2], np.int64)), ir.constant(np.array([0.5], np.float32)),
              ir.constant(np.array([0.0], np.float32)), ir.constant(np.array([0.5], np.float32))]
    nms = ir.make("NonMaxSuppression", 9, [boxes, scores, *limits], name="soft")
    with pytest.raises(DeviceError, match="soft-NMS"):
        vinify.compile_model(ir.Graph([boxes, scores], [nms.outputs[0]]), "CPU")


def _unique_graph(shape, sort: bool, axis: int | None) -> ir.Graph:
    data = ir.parameter("data", "f32", shape)
    inputs = [data] if axis is None else [data, ir.constant(np.array(axis, np.int64))]
    distinct = ir.make("Unique", 10, inputs, name="distinct", sorted=sort)
    return ir.Graph([data], list(distinct.outputs))


UNIQUE_CASES = [  # (shape, sorted, axis, two inputs)
    ([-1], True, None, [np.array([3, 1, 3, 2, 1, 5], np.float32),
                        np.array([0, 0, 7, -1, 7, 0], np.float32)]),
    ([-1], False, None, [np.array([3, 1, 3, 2, 1, 5], np.float32),
                         np.array([4, 4, 4, 4, 4, 4], np.float32)]),
    ([-1, 2], True, 0, [np.array([[1, 2], [0, 5], [1, 2], [0, 4]], np.float32),
                        np.array([[2, 2], [2, 2], [1, 9], [1, 9]], np.float32)]),
    ([2, -1], False, -1, [np.array([[1, 0, 1, 0], [2, 5, 2, 4]], np.float32),
                          np.array([[6, 6, 1, 1], [3, 3, 2, 2]], np.float32)]),
]


@pytest.mark.parametrize("device", ["CPU", "GPU"])
@pytest.mark.parametrize("shape,sort,axis,cases", UNIQUE_CASES)
def test_unique_on_the_device_matches_the_reference(device, shape, sort, axis, cases):
    """All four outputs; both inputs through one compiled model (one compile per shape)."""
    import vinify

    compiled = vinify.compile_model(_unique_graph(shape, sort, axis), device)
    reference = vinify.compile_model(_unique_graph(shape, sort, axis), "TEMPLATE")
    for data in cases:
        got, expected = compiled([data]), reference([data])
        for index in range(4):  # values, first indices, inverse, counts
            assert got[index].shape == expected[index].shape
            np.testing.assert_array_equal(got[index], expected[index])
    assert compiled.executable.compiles == 1


def _compress_graph() -> ir.Graph:
    """ONNX Compress as converted: Gather(data, Reshape(NonZero(condition), [-1]), axis 0)."""
    data = ir.parameter("data", "f32", [4, 2])
    condition = ir.parameter("condition", "boolean", [4])
    found = ir.make("NonZero", 3, [condition], output_type="i64")
    flat = ir.make("Reshape", 1, [found, ir.constant(np.array([-1], np.int64))],
                   special_zero=False)
    picked = ir.make("Gather", 8, [data, flat, ir.constant(np.array(0, np.int64))])
    return ir.Graph([data, condition], [picked])


@pytest.mark.parametrize("device", ["CPU", "GPU"])
def test_count_kept_through_reshape_and_gather(device):
    import vinify

    compiled = vinify.compile_model(_compress_graph(), device)
    data = np.arange(8, dtype=np.float32).reshape(4, 2)
    for condition in ([True, False, True, False], [False, False, False, True],
                      [False] * 4):
        got = compiled([data, np.array(condition)])[0]
        np.testing.assert_array_equal(got, data[np.array(condition)])
    assert plan_specialization(_compress_graph()).parameters == []


@pytest.mark.parametrize("elem,output_type", [("boolean", "i32"), ("f16", "i64"), ("i8", "i32")])
def test_nonzero_element_types_on_cpu(elem, output_type):
    import vinify

    data = ir.parameter("data", elem, [2, 2, 3])
    found = ir.make("NonZero", 3, [data], output_type=output_type)
    compiled = vinify.compile_model(ir.Graph([data], [found]), "CPU")
    values = np.array([[[0, 1, 0], [2, 0, 0]], [[0, 0, 0], [0, 0, 3]]])
    array = values.astype(ir.parameter("t", elem, [1]).outputs[0].element_type.dtype)
    got = compiled([array])[0]
    assert got.dtype == np.dtype(output_type.replace("i", "int"))
    np.testing.assert_array_equal(got, np.array(np.nonzero(array)))


def test_blob_with_a_trim_outside_the_arena_is_refused():
    import json

    from vinify.errors import BlobError
    from vinify.runtime import Core
    from vinify.runtime.blob import read_blob, write_blob

    core = Core()
    blob = read_blob(core.compile_model(_nonzero_graph([3]), "CPU").export_model(), "blob")
    metadata = json.loads(bytes(blob.sections["metadata"]))
    metadata["outputs"][0]["trim"]["count_offset"] = metadata["arena_bytes"]
    sections = {**{k: bytes(v) for k, v in blob.sections.items()},
                "metadata": json.dumps(metadata).encode()}
    with pytest.raises(BlobError, match="bad trim"):
        core.import_model(write_blob(blob.header, sections), "CPU")
