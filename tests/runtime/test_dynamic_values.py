"""Shapes that depend on input VALUES on static-shape devices (CPU, GPU): the inputs that decide
shapes are compiled as constants, one copy per (shapes, values), in the bounded cache; shapes
that depend on computed data are refused at compile time."""

import numpy as np
import pytest
from vinify.errors import DeviceError, InferenceError
from vinify.ir import Graph, constant, make, parameter
from vinify.runtime import Core
from vinify.specialize import plan_specialization, specialized

from tests.runtime.toy_devices import StaticShapeDevice

DATA = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7


def reduce_model(keep_dims: bool = False, batch="2") -> Graph:
    """y = ReduceSum(x, axes) + 1 with axes an input."""
    x = parameter("x", "f32", [batch, 3, 4])
    axes = parameter("axes", "i64", [1])
    total = make("ReduceSum", 1, [x, axes], name="sum", keep_dims=keep_dims)
    y = make("Add", 1, [total, constant(np.float32(1))], name="y")
    return Graph([x, axes], [y], name="reduce_by_input")


def slice_model() -> Graph:
    """y = Slice(x, start, stop, step=1, axes=[2]) * 2 with start and stop inputs."""
    x = parameter("x", "f32", [2, 3, 4])
    start, stop = parameter("start", "i64", [1]), parameter("stop", "i64", [1])
    step, axes = constant(np.array([1], np.int64)), constant(np.array([2], np.int64))
    cut = make("Slice", 8, [x, start, stop, step, axes], name="cut")
    return Graph([x, start, stop], [make("Multiply", 1, [cut, constant(np.float32(2))])])


def reshape_model() -> Graph:
    """y = Relu(Reshape(x, target)) with the target shape an input."""
    x = parameter("x", "f32", [2, 3, 4])
    target = parameter("target", "i64", [3])
    moved = make("Reshape", 1, [x, target], name="moved", special_zero=True)
    return Graph([x, target], [make("Relu", 1, [moved], name="y")])


def topk_model() -> Graph:
    """values, indices = TopK(x, k) along the last axis with k an input."""
    x = parameter("x", "f32", [2, 3, 4])
    k = parameter("k", "i64", [])
    top = make("TopK", 11, [x, k], name="top", axis=-1, mode="max", sort="value",
               index_element_type="i64")
    return Graph([x, k], [top.outputs[0], top.outputs[1]])


def resize_model() -> Graph:
    """y = Interpolate(x, scales) with float scales an input (asked for by shape inference)."""
    x = parameter("x", "f32", [1, 1, 3, 4])
    scales = parameter("scales", "f32", [2])
    axes = constant(np.array([2, 3], np.int64))
    y = make("Interpolate", 11, [x, scales, axes], name="y", mode="nearest",
             shape_calculation_mode="scales", coordinate_transformation_mode="asymmetric",
             nearest_mode="floor")
    return Graph([x, scales], [y])


CASES = [
    (reduce_model(), [DATA, np.array([1], np.int64)]),
    (reduce_model(keep_dims=True), [DATA, np.array([-1], np.int64)]),
    (slice_model(), [DATA, np.array([1], np.int64), np.array([-1], np.int64)]),
    (reshape_model(), [DATA - 1, np.array([4, 0, -1], np.int64)]),
    (topk_model(), [DATA[:, :, ::-1] * 3 % 5, np.array(2, np.int64)]),
    (resize_model(), [DATA[:1].reshape(1, 1, 3, 4), np.array([2.0, 0.5], np.float32)]),
]


def check(graph: Graph, inputs: list, device: str) -> None:
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")(inputs)
    actual = core.compile_model(graph, device)(inputs)
    for index in range(len(graph.outputs)):
        assert actual[index].shape == expected[index].shape
        np.testing.assert_allclose(actual[index], expected[index], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_cpu_matches_template(case):
    check(*CASES[case], "CPU")


@pytest.mark.parametrize("case", [0, 2, 3])
def test_gpu_matches_template(case):
    check(*CASES[case], "GPU")


def test_the_plan_names_the_deciding_inputs_not_the_data():
    assert plan_specialization(reduce_model()).parameters == [1]
    assert plan_specialization(slice_model()).parameters == [1, 2]
    plan = plan_specialization(reshape_model())
    assert plan.parameters == [1] and plan.blockers == []


def test_float_inputs_only_where_inference_asks_for_them():
    """Interpolate asks for its scales (f32[2]): specialized; a float scale multiplying data
    after a value-decided Reshape is data, not a shape: not specialized."""
    assert plan_specialization(resize_model()).parameters == [1]
    graph = reshape_model()
    scale = parameter("scale", "f32", [])
    graph = Graph(graph.parameters + [scale],
                  [make("Multiply", 1, [graph.outputs[0], scale])])
    assert plan_specialization(graph).parameters == [1]


def test_shape_of_stops_the_walk_back():
    """Reshape(x, ShapeOf(x)) needs x's shape, never x's values."""
    x = parameter("x", "f32", ["?", 4])
    shape = make("ShapeOf", 3, [x], output_type="i64")
    graph = Graph([x], [make("Reshape", 1, [make("Relu", 1, [x]), shape], special_zero=False)])
    plan = plan_specialization(graph)
    assert plan.parameters == [] and plan.blockers == []


def test_specialized_copy_keeps_its_inputs_and_has_static_shapes():
    graph = reduce_model()
    copy = specialized(graph, [(2, 3, 4), (1,)], {1: np.array([2], np.int64)})
    assert [p.name for p in copy.parameters] == [p.name for p in graph.parameters]
    assert copy.parameters[1].outputs[0].uses == []
    assert [str(v.type) for v in copy.outputs] == ["f32[2,3]"]
    assert str(graph.outputs[0].type) == "f32[?,?]"  # the original is untouched


def test_one_compile_per_value_reused_for_equal_values_and_bounded():
    device = StaticShapeDevice()
    core = Core()
    core.register_device("STATIC", device)
    compiled = core.compile_model(reduce_model(), "STATIC", {"DYNAMIC_SHAPE_CACHE_SIZE": 2})
    executable = compiled.executable
    for axis in [0, 1, 0, 2, 1, 0]:
        out = compiled([DATA, np.array([axis], np.int64)])[0]
        np.testing.assert_allclose(out, DATA.sum(axis=axis) + 1, rtol=1e-5)
    # 0, 1 compiled; 0 reused; 2 pushes out 1; 1 pushes out 0; 0 compiled again
    assert executable.compiles == 5
    assert [values for _, values in executable.cached_keys] == [
        (np.array([1], np.int64).tobytes(),), (np.array([0], np.int64).tobytes(),)]
    assert executable.cached_shapes == [((2, 3, 4), (1,)), ((2, 3, 4), (1,))]


@pytest.mark.parametrize("device", ["CPU", "GPU"])
def test_device_reuses_and_recompiles_by_value(device):
    compiled = Core().compile_model(slice_model(), device)
    for start, stop in [(0, 2), (1, 4), (0, 2)]:
        inputs = [DATA, np.array([start], np.int64), np.array([stop], np.int64)]
        np.testing.assert_allclose(compiled(inputs)[0], DATA[:, :, start:stop] * 2, rtol=1e-6)
    assert compiled.executable.compiles == 2


def test_dynamic_batch_and_value_decided_axes_together():
    compiled = Core().compile_model(reduce_model(batch="?"), "CPU")
    for batch, axis in [(1, 2), (3, 2), (3, 1)]:
        x = np.ones((batch, 3, 4), np.float32)
        np.testing.assert_allclose(compiled([x, np.array([axis], np.int64)])[0],
                                   x.sum(axis=axis) + 1)
    assert compiled.executable.compiles == 3


def test_values_that_give_no_valid_shape_are_an_inference_error():
    compiled = Core().compile_model(reduce_model(), "CPU")
    with pytest.raises(InferenceError, match=r"input values 'axes'=\[7\] give no valid shapes"):
        compiled([DATA, np.array([7], np.int64)])
    np.testing.assert_allclose(compiled([DATA, np.array([0], np.int64)])[0], DATA.sum(0) + 1,
                               rtol=1e-6)


def test_shapes_from_computed_data_are_refused_at_compile_time():
    """NonZero's count depends on x's data: nothing to specialize, refused as before."""
    x = parameter("x", "f32", [2, 3])
    found = make("NonZero", 3, [x], name="where", output_type="i64")
    graph = Graph([x], [make("Relu", 1, [make("Convert", 1, [found], destination_type="f32")])])
    plan = plan_specialization(graph)
    assert plan.parameters == [] and "node 'where' (NonZero<3>)" in plan.blockers[0]
    with pytest.raises(DeviceError, match=r"node 'where' \(NonZero<3>\)"):
        Core().compile_model(graph, "CPU")


def test_shapes_from_a_float_tensor_are_refused_at_compile_time():
    x = parameter("x", "f32", [2, 3, 4])
    target = parameter("target", "f32", [3])
    as_int = make("Convert", 1, [target], destination_type="i64")
    graph = Graph([x, target], [make("Reshape", 1, [x, as_int], name="moved",
                                     special_zero=False)])
    plan = plan_specialization(graph)
    assert plan.parameters == []
    assert "it reads ('x' (f32[2,3,4]), 'target' (f32[3])) are too large or not integer" \
        in plan.blockers[0]
    with pytest.raises(DeviceError, match=r"node 'moved' \(Reshape<1>\)"):
        Core().compile_model(graph, "CPU")


class NoSigmoidDevice(StaticShapeDevice):
    """Static shapes only, and no Sigmoid (refused by name when compiled)."""

    name = "NOSIGMOID"

    def supported_nodes(self, graph):
        return {id(n) for n in graph.nodes() if n.op.name != "Sigmoid"}

    def compile(self, graph, config):
        refused = [n.describe() for n in graph.nodes() if n.op.name == "Sigmoid"]
        if refused:
            raise DeviceError(f"NOSIGMOID cannot compile {refused}")
        return super().compile(graph, config)


def test_a_node_no_value_changes_is_refused_at_compile_time():
    """Sigmoid on a static branch fails whatever the slice bounds: refused by compile_model;
    a Sigmoid after the value-decided Slice is only known at the first inference."""
    core = Core()
    core.register_device("NOSIGMOID", NoSigmoidDevice())
    graph = slice_model()
    other = parameter("other", "f32", [2, 2])
    static_branch = Graph(graph.parameters + [other],
                          graph.outputs + [make("Sigmoid", 1, [other], name="squash")])
    with pytest.raises(DeviceError, match=r"NOSIGMOID cannot compile \[\"node 'squash'"):
        core.compile_model(static_branch, "NOSIGMOID")
    graph = slice_model()
    after_slice = Graph(graph.parameters, [make("Sigmoid", 1, [graph.outputs[0]], name="late")])
    compiled = core.compile_model(after_slice, "NOSIGMOID")
    with pytest.raises(DeviceError, match="node 'late'"):
        compiled([DATA, np.array([0], np.int64), np.array([2], np.int64)])


def test_range_bounds_are_specialized_and_the_range_folded():
    """A window function: Range(0, n) * x with n an input; Range has no CPU lowering, but once
    n is a constant it is folded."""
    n = parameter("n", "f32", [])
    numbers = make("Range", 4, [constant(np.float32(0)), n, constant(np.float32(1))],
                   output_type="f32")
    graph = Graph([n], [make("Cos", 1, [numbers], name="y")])
    compiled = Core().compile_model(graph, "CPU")
    np.testing.assert_allclose(compiled([np.float32(5)])[0], np.cos(np.arange(5)), rtol=1e-6)


def test_cache_dir_and_hetero_still_work(tmp_path):
    graph, inputs = CASES[0]
    expected = DATA.sum(axis=1) + 1
    cached = Core().compile_model(graph, "CPU", {"CACHE_DIR": str(tmp_path)})
    np.testing.assert_allclose(cached(inputs)[0], expected, rtol=1e-6)
    hetero = Core().compile_model(graph, "HETERO:CPU,TEMPLATE")
    np.testing.assert_allclose(hetero(inputs)[0], expected, rtol=1e-6)


def test_export_explains_why_there_is_no_single_blob():
    compiled = Core().compile_model(reduce_model(), "CPU")
    with pytest.raises(DeviceError, match="per value of the inputs that decide shapes"):
        compiled.export_model()
