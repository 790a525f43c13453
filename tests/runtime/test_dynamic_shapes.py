"""Dynamic and bounded dimensions: TEMPLATE runs them directly, static-shape devices compile each
shape on demand (bounded LRU), and Model.reshape (vinify.reshape) changes input shapes."""

import numpy as np
import pytest
from vinify.errors import DeviceError, InferenceError, IRError, TypeInferenceError
from vinify.ir import Graph, constant, make, parameter
from vinify.reshape import reshape, reshaped
from vinify.runtime import Core

from tests.runtime.toy_devices import StaticShapeDevice


def dynamic_model() -> Graph:
    """y = x @ w + 1 with x: f32[?, 1..8, 4]."""
    x = parameter("x", "f32", ["?", "1..8", 4])
    weights = constant(np.arange(12, dtype=np.float32).reshape(4, 3) / 10)
    product = make("MatMul", 1, [x, weights], name="matmul")
    y = make("Add", 1, [product, constant(np.float32(1))], name="add")
    y.outputs[0].name = "y"
    return Graph([x], [y], name="dynamic")


def expected(x: np.ndarray) -> np.ndarray:
    return x @ (np.arange(12, dtype=np.float32).reshape(4, 3) / 10) + 1


SHAPES = [(1, 1, 4), (3, 8, 4), (2, 5, 4), (1, 1, 4), (7, 2, 4)]


def test_template_runs_any_conforming_shape():
    compiled = Core().compile_model(dynamic_model(), "TEMPLATE")
    assert str(compiled.input().partial_shape) == "[?,1..8,4]"
    request = compiled.create_infer_request()
    for shape in SHAPES:
        x = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)
        np.testing.assert_allclose(request.infer(x)["y"], expected(x), rtol=1e-5)


@pytest.mark.parametrize("shape", [(1, 9, 4), (1, 0, 4), (2, 2, 3), (2, 4)])
def test_shapes_outside_the_bounds_are_refused(shape):
    compiled = Core().compile_model(dynamic_model(), "TEMPLATE")
    with pytest.raises(InferenceError, match=r"input 'x' expects shape \[\?,1..8,4\]"):
        compiled(np.zeros(shape, np.float32))


def test_static_shape_device_compiles_each_shape_once_with_a_bounded_cache():
    device = StaticShapeDevice()
    core = Core()
    core.register_device("STATIC", device)
    compiled = core.compile_model(dynamic_model(), "STATIC", {"DYNAMIC_SHAPE_CACHE_SIZE": 3})
    assert str(compiled.input().partial_shape) == "[?,1..8,4]"
    for shape in SHAPES:
        x = np.full(shape, 0.5, np.float32)
        np.testing.assert_allclose(compiled(x)["y"], expected(x), rtol=1e-5)
    # (1,1,4) was still cached when it came back; (7,2,4) pushed out the least recent, (3,8,4)
    assert device.compiled_shapes == [((1, 1, 4),), ((3, 8, 4),), ((2, 5, 4),), ((7, 2, 4),)]
    assert compiled.executable.cached_shapes == [((2, 5, 4),), ((1, 1, 4),), ((7, 2, 4),)]
    compiled(np.zeros((3, 8, 4), np.float32))
    assert device.compiled_shapes[-1] == ((3, 8, 4),) and compiled.executable.compiles == 5
    assert compiled.executable.cached_shapes == [((1, 1, 4),), ((7, 2, 4),), ((3, 8, 4),)]
    with pytest.raises(DeviceError, match="reshape it to static shapes first"):
        compiled.export_model()


def test_static_model_on_static_device_compiles_once():
    device = StaticShapeDevice()
    core = Core()
    core.register_device("STATIC", device)
    model = reshaped(dynamic_model(), {"x": [2, 3, 4]})
    compiled = core.compile_model(model, "STATIC")
    compiled(np.zeros((2, 3, 4), np.float32))
    assert device.compiled_shapes == [((2, 3, 4),)]


def test_reshape_in_place_reinfers_every_type():
    model = dynamic_model()
    assert reshape(model, {"x": [2, 3, 4]}) is model
    assert [str(v.type) for v in model.outputs] == ["f32[2,3,3]"]
    assert str(model.nodes()[2].outputs[0].type) == "f32[2,3,3]"
    reshape(model, [[5, "1..2", 4]])
    assert str(model.outputs[0].type) == "f32[5,1..2,3]"
    reshape(model, (1, 1, 4))  # one shape for a one-input model
    compiled = Core().compile_model(model, "TEMPLATE")
    with pytest.raises(InferenceError, match=r"expects shape \[1,1,4\]"):
        compiled(np.zeros((2, 1, 4), np.float32))


def test_a_rejected_reshape_leaves_the_model_as_it_was():
    model = dynamic_model()
    before = [str(v.type) for node in model.nodes() for v in node.outputs]
    with pytest.raises(TypeInferenceError, match="matmul"):
        reshape(model, {"x": [2, 3, 5]})
    assert [str(v.type) for node in model.nodes() for v in node.outputs] == before
    assert str(model.parameters[0].attrs["shape"]) == "[?,1..8,4]"


def test_reshaped_copy_leaves_the_original_alone():
    model = dynamic_model()
    copy = reshaped(model, {0: [4, 2, 4]})
    assert str(copy.outputs[0].type) == "f32[4,2,3]"
    assert str(model.outputs[0].type) == "f32[?,1..8,3]"
    assert [n.name for n in copy.nodes()] == [n.name for n in model.nodes()]


def test_reshape_errors_name_the_input():
    with pytest.raises(IRError, match=r"no input 'image'; inputs: \['x'\]"):
        reshape(dynamic_model(), {"image": [1, 1, 4]})
    with pytest.raises(IRError, match="has 1 inputs, got 2 shapes"):
        reshape(dynamic_model(), [[1, 1, 4], [2, 2, 4]])
