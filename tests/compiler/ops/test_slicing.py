"""Slice<8> against onnxruntime, StridedSlice<1> masks against OpenVINO, and their inference."""

import numpy as np
import openvino.opset14 as ov_ops
import pytest
from hypothesis import given
from hypothesis import strategies as st
from vinify.errors import TypeInferenceError

from tests.compiler.ops.inferred import inferred, make_node
from tests.compiler.ops.ort_reference import run_onnx_node, run_openvino, run_vinify_node

RNG = np.random.default_rng(5)
DATA = RNG.standard_normal((4, 5, 6)).astype(np.float32)
BIG = np.iinfo(np.int64).max


def i64(*values) -> np.ndarray:
    return np.array(values, dtype=np.int64)


@pytest.mark.parametrize("start, stop, step, axes", [
    (i64(1), i64(3), i64(1), i64(0)),
    (i64(-1, 0), i64(-BIG, BIG), i64(-2, 3), i64(2, 1)),
    (i64(10), i64(-10), i64(-1), i64(-2)),
    (i64(0, 1, 2), i64(4, 4, 4), i64(1, 2, 3), None),
])
def test_slice_matches_onnx(start, stop, step, axes):
    onnx_axes = np.arange(len(start), dtype=np.int64) if axes is None else axes
    expected = run_onnx_node("Slice", {"x": DATA}, initializers={
        "start": start, "stop": stop, "axes": onnx_axes, "step": step})[0]
    inputs = [DATA, start, stop, step] + ([] if axes is None else [axes])
    actual = run_vinify_node("Slice", 8, inputs, tuple(range(1, len(inputs))))[0]
    np.testing.assert_array_equal(actual, expected)


def test_slice_inference_keeps_bounds_of_forward_slices():
    assert inferred("Slice", 8, "f32[2..10,?,6]", i64(1, 0), i64(BIG, 3), i64(1, 1),
                    i64(0, 1)) == "f32[1..9,0..3,6]"
    assert inferred("Slice", 8, "f32[?,6]", i64(-2), i64(BIG), i64(1), i64(0)) == "f32[0..2,6]"
    assert inferred("Slice", 8, "f32[2..10]", i64(-1), i64(-BIG), i64(-1)) == "f32[2..10]"
    assert inferred("Slice", 8, "f32[?]", i64(1), i64(-1), i64(1)) == "f32[?]"
    assert inferred("Slice", 8, "f32[4,6]", "i64[1]", "i64[1]", "i64[1]", i64(1)) == "f32[4,?]"
    assert inferred("Slice", 8, "f32[...]", i64(0), i64(1), i64(1)) == "f32[...]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(Slice<8>\\).*step"):
        inferred("Slice", 8, "f32[4]", i64(0), i64(1), i64(0))


MASK_CASES = [
    dict(begin=[1, 0, 2], end=[3, 4, 6], stride=[1, 2, 1], begin_mask=[0, 1, 0],
         end_mask=[0, 0, 1]),
    dict(begin=[0, -1], end=[0, -4], stride=[1, -1], begin_mask=[1, 0], end_mask=[1, 0]),
    dict(begin=[0, 2, 0], end=[0, 3, 0], stride=[1, 1, 1], begin_mask=[0, 0, 0],
         end_mask=[0, 0, 0], new_axis_mask=[1, 0, 0], shrink_axis_mask=[0, 1, 0]),
    dict(begin=[1, 0, 0], end=[2, 0, 3], stride=[1, 1, 1], begin_mask=[0, 0, 0],
         end_mask=[0, 0, 0], ellipsis_mask=[0, 1, 0], shrink_axis_mask=[1, 0, 0]),
    dict(begin=[0, 0], end=[2, 3], stride=[1, 1], begin_mask=[0, 0], end_mask=[0, 0],
         ellipsis_mask=[1, 0], new_axis_mask=[0, 0]),
    dict(begin=[2, -1], end=[0, 0], stride=[1, 2], begin_mask=[1, 0], end_mask=[0, 1],
         shrink_axis_mask=[1, 0]),  # a masked begin on a shrunk axis takes element 0
]


@pytest.mark.parametrize("case", MASK_CASES)
def test_strided_slice_matches_openvino(case):
    vectors = [i64(*case[k]) for k in ("begin", "end", "stride")]
    masks = {k: v for k, v in case.items() if k.endswith("mask")}

    def build(data):
        return ov_ops.strided_slice(data, *[ov_ops.constant(v) for v in vectors],
                                    **{k: masks.get(k, []) for k in
                                       ("begin_mask", "end_mask", "new_axis_mask",
                                        "shrink_axis_mask", "ellipsis_mask")})

    expected = run_openvino(build, [DATA])[0]
    actual = run_vinify_node("StridedSlice", 1, [DATA] + vectors, (1, 2, 3), **masks)[0]
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


def test_strided_slice_inference_with_dynamic_dims():
    case = MASK_CASES[2]
    vectors = [i64(*case[k]) for k in ("begin", "end", "stride")]
    masks = {k: v for k, v in case.items() if k.endswith("mask")}
    assert inferred("StridedSlice", 1, "f32[?,2..9,1..5]", *vectors, **masks) == \
        "f32[1,0,1..5]"
    assert inferred("StridedSlice", 1, "f32[?,8]", i64(2, 0), i64(BIG, 4), i64(1, 1),
                    begin_mask=[0, 1], end_mask=[0, 0]) == "f32[?,4]"
    assert inferred("StridedSlice", 1, "f32[3,8]", "i64[2]", "i64[2]", begin_mask=[0, 0],
                    end_mask=[0, 0]) == "f32[?,?]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(StridedSlice<1>\\).*shrink"):
        inferred("StridedSlice", 1, "f32[3]", i64(5), i64(6), begin_mask=[0], end_mask=[0],
                 shrink_axis_mask=[1])


@st.composite
def slice_cases(draw):
    shape = draw(st.lists(st.integers(0, 6), min_size=1, max_size=3))
    count = draw(st.integers(1, len(shape)))
    axes = draw(st.permutations(range(len(shape))))[:count]
    bound = st.integers(-8, 8) | st.sampled_from([BIG, -BIG])
    starts = draw(st.lists(bound, min_size=count, max_size=count))
    stops = draw(st.lists(bound, min_size=count, max_size=count))
    steps = draw(st.lists(st.integers(-3, 3).filter(bool), min_size=count, max_size=count))
    return shape, i64(*starts), i64(*stops), i64(*steps), i64(*axes)


@given(slice_cases())
def test_slice_inference_agrees_with_reference(case):
    """Static inference equals the reference's shape; bounded inference contains it."""
    shape, start, stop, step, axes = case
    data = np.zeros(shape, np.float32)
    result = run_vinify_node("Slice", 8, [data, start, stop, step, axes], (1, 2, 3, 4))[0]
    static = inferred("Slice", 8, f"f32[{','.join(map(str, shape))}]", start, stop, step, axes)
    assert static == f"f32[{','.join(map(str, result.shape))}]"
    bounded = make_node("Slice", 8, "f32[" + ",".join(f"0..{n + 2}" for n in shape) + "]",
                        start, stop, step, axes)
    assert bounded.outputs[0].shape.accepts(result.shape)


@st.composite
def strided_cases(draw):
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    count = draw(st.integers(1, len(shape) + 1))
    flags = st.lists(st.integers(0, 1), min_size=count, max_size=count)
    masks = {name: draw(flags) for name in ("begin_mask", "end_mask", "new_axis_mask")}
    bound = st.integers(-6, 6)
    begin, end = draw(st.lists(bound, min_size=count, max_size=count)), \
        draw(st.lists(bound, min_size=count, max_size=count))
    stride = draw(st.lists(st.integers(-2, 2).filter(bool), min_size=count, max_size=count))
    return shape, masks, i64(*begin), i64(*end), i64(*stride)


@given(strided_cases())
def test_strided_slice_inference_agrees_with_reference(case):
    shape, masks, begin, end, stride = case
    data = np.zeros(shape, np.float32)
    try:
        result = run_vinify_node("StridedSlice", 1, [data, begin, end, stride], (1, 2, 3),
                                 **masks)[0]
    except TypeInferenceError as error:
        assert "exceeds rank" in str(error)
        return
    bounded = make_node("StridedSlice", 1, "f32[" + ",".join(f"1..{n + 1}" for n in shape) + "]",
                        begin, end, stride, **masks)
    assert bounded.outputs[0].shape.accepts(result.shape)


def test_slice_scatter_matches_openvino():
    import openvino.opset15 as ov15

    updates = RNG.standard_normal((4, 2, 6)).astype(np.float32)
    vectors = [i64(-1), i64(0), i64(-3), i64(1)]  # start, stop, step, axes

    def build(data, new):
        return ov15.slice_scatter(data, new, *[ov_ops.constant(v) for v in vectors])

    expected = run_openvino(build, [DATA, updates])[0]
    actual = run_vinify_node("SliceScatter", 15, [DATA, updates] + vectors, (2, 3, 4, 5))[0]
    np.testing.assert_array_equal(actual, expected)
    assert inferred("SliceScatter", 15, "f32[4,?,6]", "f32[4,2,6]", *vectors) == "f32[4,?,6]"
    with pytest.raises(TypeInferenceError, match="node 'op' \\(SliceScatter<15>\\).*fit"):
        inferred("SliceScatter", 15, "f32[4,5,6]", "f32[4,3,6]", *vectors)
