"""Hostile shape inputs for the data-movement ops: inference either succeeds or raises a typed
error that names the node, never an untyped Python exception; and when it succeeds on a static
input, the reference's outputs have the inferred shapes."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from vinify import ir
from vinify.errors import IRError

DIMS = st.sampled_from(["1", "2", "3", "?", "1..4", "0"])
SHAPES = st.one_of(st.just("..."), st.lists(DIMS, max_size=4).map(",".join))
VECTORS = st.lists(st.integers(-5, 5), max_size=4).map(lambda v: np.array(v, np.int64))
SCALARS = st.integers(-4, 4).map(lambda v: np.array(v, np.int64))

# op, version, extra inputs after the data (strategies), attributes
CASES = [
    ("Reshape", 1, [VECTORS], {"special_zero": True}),
    ("Reshape", 1, [VECTORS], {"special_zero": False}),
    ("Transpose", 1, [VECTORS], {}),
    ("Squeeze", 1, [VECTORS], {}),
    ("Squeeze", 15, [VECTORS], {"allow_axis_skip": True}),
    ("Unsqueeze", 1, [VECTORS], {}),
    ("Tile", 1, [VECTORS], {}),
    ("Broadcast", 3, [VECTORS], {"mode": "bidirectional"}),
    ("Broadcast", 1, [VECTORS], {}),
    ("Slice", 8, [VECTORS, VECTORS, VECTORS], {}),
    ("Slice", 8, [VECTORS, VECTORS, VECTORS, VECTORS], {}),
    ("StridedSlice", 1, [VECTORS, VECTORS, VECTORS], {"begin_mask": [1, 0], "end_mask": [0, 1],
                                                     "shrink_axis_mask": [0, 0, 1]}),
    ("StridedSlice", 1, [VECTORS, VECTORS], {"begin_mask": [], "end_mask": [],
                                            "ellipsis_mask": [0, 1], "new_axis_mask": [1]}),
    ("Gather", 8, [VECTORS, SCALARS], {"batch_dims": 1}),
    ("Gather", 8, [VECTORS, SCALARS], {}),
    ("Split", 1, [SCALARS], {"num_splits": 2}),
    ("VariadicSplit", 1, [SCALARS, VECTORS], {}),
    ("Roll", 7, [VECTORS, VECTORS], {}),
    ("Reverse", 1, [VECTORS], {"mode": "index"}),
    ("GatherElements", 6, [VECTORS], {"axis": 1}),
    ("GatherND", 8, [VECTORS], {"batch_dims": 1}),
    ("ScatterUpdate", 3, [VECTORS, st.just(np.zeros((2, 2), np.float32)), SCALARS], {}),
    ("SpaceToBatch", 2, [VECTORS, VECTORS, VECTORS], {}),
    ("BatchToSpace", 2, [VECTORS, VECTORS, VECTORS], {}),
    ("Unique", 10, [SCALARS], {}),
    ("OneHot", 1, [SCALARS, st.just(np.float32(1)), st.just(np.float32(0))], {"axis": -1}),
]


@st.composite
def cases(draw):
    op, version, extras, attrs = draw(st.sampled_from(CASES))
    shape = draw(SHAPES)
    elem = "i64" if op in ("OneHot",) else "f32"
    return op, version, f"{elem}[{shape}]", [draw(s) for s in extras], attrs


@given(cases())
def test_inference_raises_only_typed_errors(case):
    op, version, data_type, extras, attrs = case
    elem, _, shape = data_type.partition("[")
    values = [ir.parameter("data", elem, "[" + shape)] + [ir.constant(v) for v in extras]
    try:
        node = ir.make(op, version, values, name="fuzzed", **attrs)
    except IRError as error:
        assert "node 'fuzzed'" in str(error)
        return
    if "?" in shape or "." in shape:
        return
    data = np.ones([int(d) for d in shape.rstrip("]").split(",") if d], elem == "i64" and np.int64
                   or np.float32)
    try:
        results = node.evaluate([data] + extras)
    except (ValueError, IndexError, TypeError):  # values that only fail at run time
        return
    for value, result in zip(node.outputs, results):
        assert value.shape.accepts(result.shape), (value.type, result.shape)
