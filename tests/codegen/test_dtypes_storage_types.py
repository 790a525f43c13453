"""Convert to and from the storage-only types (f8*, f4e2m1, i4, u4, i2, u2) on CPU and GPU,
byte for byte against TEMPLATE (ml_dtypes), on values chosen to hit ties, subnormals, overflow,
infinities, NaN and both zeros."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering.storage_types import SEARCH_SIZE, search_tables
from vinify.runtime import Core
from vinify.types import element_type

RNG = np.random.default_rng(5)
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, 448, 464, 465, -500, 1e-9, -1e-9, 0.5, 1.5, 2.5,
           -2.5, 57344, 61440, 1e30, 2.0 ** -130, 6.0, 7.0, 5.0, 0.25, 0.75, 0.74, 3.5, -9.0]
VALUES = np.concatenate([RNG.normal(0, 4, 40), RNG.normal(0, 300, 20), SPECIAL]).astype(
    np.float32)
STORAGE = ("f8e4m3", "f8e5m2", "f8e4m3fnuz", "f8e5m2fnuz", "f8e8m0", "f4e2m1", "i4", "u4", "i2",
           "u2")
ON_GPU = ("f8e4m3", "f4e2m1", "i4")


def conversion_graph(name: str) -> ir.Graph:
    """f32, f16 and i32 into the type; the type back to f32, i32 and boolean."""
    size = len(VALUES)
    x = ir.parameter("x", "f32", [size])
    half = ir.parameter("h", "f16", [size])
    whole = ir.parameter("n", "i32", [size])
    stored = ir.parameter("s", name, [size])
    to_type = element_type(name)
    results = [ir.make("Convert", 1, [source], destination_type=to_type)
               for source in (x, half, whole)]
    results += [ir.make("Convert", 1, [stored], destination_type=element_type(target))
                for target in ("f32", "i32", "boolean")]
    return ir.Graph([x, half, whole, stored], results)


def feeds(name: str) -> dict:
    with np.errstate(all="ignore"):
        return {"x": VALUES, "h": VALUES.astype(np.float16),
                "n": np.nan_to_num(VALUES, posinf=99, neginf=-99).clip(-1e6, 1e6).astype(np.int32),
                "s": VALUES.astype(element_type(name).dtype)}


def as_bytes_or_values(array) -> np.ndarray:
    array = np.ascontiguousarray(array)
    return array.view(np.uint8) if array.dtype.itemsize == 1 else array


@pytest.mark.parametrize("device,name", [("CPU", n) for n in STORAGE]
                         + [("GPU", n) for n in ON_GPU])
def test_conversions_match_template_bit_for_bit(device, name):
    graph = conversion_graph(name)
    inputs = feeds(name)
    core = Core()
    with np.errstate(all="ignore"):
        expected = core.compile_model(graph, "TEMPLATE")(inputs)
    actual = core.compile_model(graph, device)(inputs)
    for index in range(len(graph.outputs)):
        got, want = np.asarray(actual[index]), np.asarray(expected[index])
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(as_bytes_or_values(got), as_bytes_or_values(want),
                                      err_msg=f"{name} output {index}")


def test_search_tables_reproduce_ml_dtypes_rounding_on_every_threshold():
    """Each threshold is the first f32 whose code changes: just below it the old code holds."""
    dtype = element_type("f8e4m3").dtype
    limits, codes, nan_code = search_tables(dtype)
    positive = limits[:SEARCH_SIZE][~np.isnan(limits[:SEARCH_SIZE])]
    assert np.all(np.diff(positive) > 0)
    below = np.nextafter(positive, np.float32(0))
    np.testing.assert_array_equal(positive.astype(dtype).view(np.uint8),
                                  codes[1:len(positive) + 1])
    np.testing.assert_array_equal(below.astype(dtype).view(np.uint8), codes[:len(positive)])
    assert nan_code == 0x7F
