"""CPU and GPU against TEMPLATE on the element types beyond f32: f64, f16, bf16, i16, u16, u32,
u64 (and i32/i8 integer semantics), one multi-output graph per type so each device compiles
once per type: arithmetic, comparisons, conversions, reductions, unary math."""

import ml_dtypes
import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import context
from vinify.codegen.lowering.support import unsupported_reason
from vinify.runtime import Core
from vinify.types import element_type

RNG = np.random.default_rng(23)
FLOATS = {"f64": np.float64, "f16": np.float16, "bf16": ml_dtypes.bfloat16}
INTEGERS = {"i16": np.int16, "u16": np.uint16, "u32": np.uint32, "u64": np.uint64,
            "i32": np.int32, "i8": np.int8}
DEVICES = ("CPU", "GPU")
# Every type on CPU; on GPU (slower to build) one representative of each kind of type.
ARITHMETIC_CASES = ([("CPU", name) for name in [*FLOATS, *INTEGERS]]
                    + [("GPU", name) for name in ("f64", "f16", "bf16", "i16", "u64")])


def operands(name: str) -> tuple[np.ndarray, np.ndarray]:
    """A [3, 7] left operand and a broadcast [7] right one, with zeros and negative divisors
    among the integers (the reference reads a divisor of 0 as 1)."""
    if name in FLOATS:
        dtype = FLOATS[name]
        return (RNG.normal(0, 3, (3, 7)).astype(dtype),
                (RNG.normal(0, 3, 7) + 0.5).astype(dtype))
    dtype = INTEGERS[name]
    low = 0 if np.iinfo(dtype).min == 0 else -60
    a = RNG.integers(low, 60, (3, 7)).astype(dtype)
    b = RNG.integers(low, 9, 7).astype(dtype)
    b[0] = 0
    return a, b


def arithmetic_graph(name: str) -> ir.Graph:
    a = ir.parameter("a", name, [3, 7])
    b = ir.parameter("b", name, [7])
    results = [ir.make(op, 1, [a, b]) for op in
               ("Add", "Subtract", "Multiply", "Maximum", "Minimum", "FloorMod", "Mod")]
    results.append(ir.make("Divide", 1, [a, b]))
    results.append(ir.make("Divide", 1, [a, b], m_pythondiv=False))
    results += [ir.make(op, 1, [a, b]) for op in ("Less", "Equal", "GreaterEqual")]
    results.append(ir.make("Select", 1, [ir.make("Greater", 1, [a, b]), a, b]))
    results.append(ir.make("Abs", 1, [a]))
    results.append(ir.make("Clamp", 1, [a], min=-2.5, max=7.5))
    for target in ("f32", "i32", "boolean", "f16"):
        results.append(ir.make("Convert", 1, [a], destination_type=element_type(target)))
    axes = ir.constant(np.array([1], np.int64))
    results.append(ir.make("ReduceSum", 1, [a, axes], keep_dims=False))
    results.append(ir.make("ReduceMax", 1, [a, axes], keep_dims=True))
    return ir.Graph([a, b], results)


def float_math_graph(name: str) -> ir.Graph:
    x = ir.parameter("x", name, [3, 7])
    results = [ir.make(op, 1, [x]) for op in ("Exp", "Sigmoid", "Tanh", "Sin", "Floor", "Erf")]
    results.append(ir.make("Sqrt", 1, [ir.make("Abs", 1, [x])]))
    axes = ir.constant(np.array([0], np.int64))
    results.append(ir.make("ReduceMean", 1, [x, axes], keep_dims=True))
    results.append(ir.make("Power", 1, [ir.make("Abs", 1, [x]), x]))
    return ir.Graph([x], results)


def assert_same(actual, expected, rtol: float) -> None:
    for index in range(len(expected)):
        got, want = np.asarray(actual[index]), np.asarray(expected[index])
        assert got.dtype == want.dtype, f"output {index}"
        if want.dtype.kind in "iub":
            np.testing.assert_array_equal(got, want, err_msg=f"output {index}")
            continue
        np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol,
                                   atol=rtol, err_msg=f"output {index}")


@pytest.mark.parametrize("device,name", ARITHMETIC_CASES)
def test_arithmetic_matches_template(device, name):
    a, b = operands(name)
    graph = arithmetic_graph(name)
    core = Core()
    expected = core.compile_model(graph, "TEMPLATE")({"a": a, "b": b})
    actual = core.compile_model(graph, device)({"a": a, "b": b})
    # f16/bf16 differ from the reference only where it sums in another order
    assert_same(actual, expected, rtol=1e-2 if name in ("f16", "bf16") else 1e-6)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", list(FLOATS))
def test_float_math_matches_template(device, name):
    x, _ = operands(name)
    graph = float_math_graph(name)
    core = Core()
    with np.errstate(all="ignore"):
        expected = core.compile_model(graph, "TEMPLATE")({"x": x})
    actual = core.compile_model(graph, device)({"x": x})
    assert_same(actual, expected, rtol=1e-2 if name in ("f16", "bf16") else 1e-5)


def test_integer_division_edge_cases_follow_the_reference():
    """Floor and truncating division with negative operands, x / 0 read as x / 1, and
    MIN / -1 (a trap on x86) wrapping as numpy does."""
    a = np.array([7, -7, 7, -7, 5, -128, -128, 3], np.int8)
    b = np.array([2, 2, -2, -2, 0, -1, 1, 0], np.int8)
    pa, pb = ir.parameter("a", "i8", [8]), ir.parameter("b", "i8", [8])
    graph = ir.Graph([pa, pb], [ir.make("Divide", 1, [pa, pb]),
                                ir.make("Divide", 1, [pa, pb], m_pythondiv=False),
                                ir.make("FloorMod", 1, [pa, pb])])
    core = Core()
    with np.errstate(over="ignore"):  # numpy reports the MIN // -1 wrap it computes
        expected = core.compile_model(graph, "TEMPLATE")({"a": a, "b": b})
    actual = core.compile_model(graph, "CPU")({"a": a, "b": b})
    assert_same(actual, expected, rtol=0)
    np.testing.assert_array_equal(actual[0], [3, -4, -4, 3, 5, -128, -128, 3])


def test_bf16_rounds_to_nearest_even_like_ml_dtypes():
    """f32 -> bf16 is an integer rounding in the generated code: ties to even, NaN kept."""
    values = np.array([1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8, 3.0e38, -0.0, np.inf, np.nan,
                       1.0e-40], np.float32)
    x = ir.parameter("x", "f32", [7])
    graph = ir.Graph([x], [ir.make("Convert", 1, [x], destination_type=element_type("bf16"))])
    for device in DEVICES:
        actual = Core().compile_model(graph, device)({"x": values})[0]
        np.testing.assert_array_equal(actual.view(np.uint16),
                                      values.astype(ml_dtypes.bfloat16).view(np.uint16))


def test_support_asks_the_element_types_a_lowering_declares(monkeypatch):
    x = ir.parameter("x", "f16", [2, 3])
    relu = ir.make("Relu", 1, [x])
    assert unsupported_reason(relu) is None
    monkeypatch.setitem(context.ACCEPTED_ELEMENT_TYPES, "Relu", context.F32_ONLY)
    assert unsupported_reason(relu) == "the CPU lowering of Relu does not compute f16"


def test_storage_types_are_read_only_by_the_ops_that_declare_them():
    x = ir.parameter("x", "f8e4m3", [4])
    assert unsupported_reason(ir.make("Convert", 1, [x], destination_type=element_type("f32"))
                              ) is None
    assert unsupported_reason(ir.make("Equal", 1, [x, x])) == (
        "the CPU lowering of Equal does not read f8e4m3")
