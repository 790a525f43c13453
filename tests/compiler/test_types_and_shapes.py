"""Element types and partial shapes: names, dtypes, dimension intervals, compatibility."""

import numpy as np
import pytest

from vinify.errors import IRError
from vinify.shapes import DYNAMIC, Dimension, PartialShape
from vinify.types import ELEMENT_TYPES, element_type


def test_openvino_element_type_names_and_dtypes():
    expected = {"f32": np.float32, "f16": np.float16, "f64": np.float64, "i8": np.int8,
                "u8": np.uint8, "i64": np.int64, "u64": np.uint64, "boolean": np.bool_}
    for name, dtype in expected.items():
        assert ELEMENT_TYPES[name].dtype == np.dtype(dtype)
        assert element_type(dtype) is ELEMENT_TYPES[name]
    assert element_type("bf16").bitwidth == 16 and element_type("bf16").is_float
    assert {"u1", "i4", "u4", "f8e4m3", "f8e5m2"} <= set(ELEMENT_TYPES)
    with pytest.raises(IRError, match="unknown element type 'q7'"):
        element_type("q7")


@pytest.mark.parametrize("text, low, high", [("3", 3, 3), ("?", 0, None), ("1..64", 1, 64),
                                            ("2..", 2, None)])
def test_dimension_forms(text, low, high):
    dim = Dimension.parse(text)
    assert (dim.min, dim.max) == (low, high)
    assert str(dim) == text


def test_dimension_intervals():
    bounded = Dimension(1, 64)
    assert bounded.contains(64) and not bounded.contains(65) and not bounded.contains(0)
    assert bounded.compatible(Dimension.of(8)) and not bounded.compatible(Dimension.of(100))
    assert DYNAMIC.compatible(Dimension.of(5))
    assert (Dimension.of(3) + Dimension(1, 2)) == Dimension(4, 5)
    with pytest.raises(IRError):
        Dimension(5, 2)


def test_partial_shapes():
    shape = PartialShape.parse("[1,3,?,1..64]")
    assert str(shape) == "[1,3,?,1..64]" and shape.rank == 4 and not shape.is_static
    assert shape.accepts((1, 3, 100, 64)) and not shape.accepts((1, 3, 100, 65))
    assert not shape.accepts((1, 3, 100))
    assert str(PartialShape.of(None)) == "[...]" and PartialShape.of(None).accepts((7, 7, 7))
    assert PartialShape.of([]).to_tuple() == ()
    with pytest.raises(IRError, match="not static"):
        shape.to_tuple()
