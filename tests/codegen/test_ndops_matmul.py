"""CPU and GPU against TEMPLATE for MatMul shapes the register-blocked GEMM does not take
(codegen/lowering/batched_matmul.py): N-D and broadcast batches, 1-D operands, transposes of
runtime operands, integer element types, and absorbed epilogues."""

import ml_dtypes
import numpy as np
import pytest
from vinify import ir
from vinify.codegen.lowering import batched_matmul
from vinify.codegen.lowering.support import unsupported_reason

from tests.codegen.device_check import check_against_template

RNG = np.random.default_rng(5)

CASES = [  # (a shape, b shape, transpose_a, transpose_b)
    ((2, 3, 4), (2, 4, 5), False, False),
    ((3,), (2, 3, 4), False, False),
    ((2, 1, 3, 4), (5, 4, 6), False, False),
    ((4,), (4,), False, False),
    ((2, 3, 4), (4,), False, False),
    ((2, 4, 3), (2, 5, 4), True, True),
    ((3, 4), (5, 4), False, True),
    ((2, 4, 3), (4, 5), True, False),
    ((1, 2, 3, 17), (3, 1, 19, 17), False, True),
]


def _data(shape, dtype=np.float32):
    if np.issubdtype(dtype, np.integer):
        return RNG.integers(-6, 6, shape).astype(dtype)
    return RNG.normal(0, 1, shape).astype(dtype)


def _matmul_graph(a_shape, b_shape, transpose_a, transpose_b, elem="f32"):
    a, b = ir.parameter("a", elem, a_shape), ir.parameter("b", elem, b_shape)
    product = ir.make("MatMul", 1, [a, b], transpose_a=transpose_a, transpose_b=transpose_b)
    return ir.Graph([a, b], [product]), product


@pytest.mark.parametrize("device", ["CPU", "GPU"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}x{c[1]}{'T' * c[2]}{'t' * c[3]}")
def test_batched_matmul_matches_template(case, device):
    a_shape, b_shape, transpose_a, transpose_b = case
    graph, product = _matmul_graph(*case)
    assert unsupported_reason(product) is None
    check_against_template(graph, [_data(a_shape), _data(b_shape)], device)


@pytest.mark.parametrize("elem,dtype", [("i32", np.int32), ("i64", np.int64)])
def test_integer_matmul_is_exact(elem, dtype):
    graph, _ = _matmul_graph((2, 3, 4), (4, 5), False, False, elem)
    check_against_template(graph, [_data((2, 3, 4), dtype), _data((4, 5), dtype)], "CPU",
                           rtol=0, atol=0)


@pytest.mark.parametrize("device", ["CPU", "GPU"])
def test_absorbed_epilogue_is_applied_after_the_product(device):
    """Bias, residual and ReLU that plan_epilogue gave the MatMul are each still applied."""
    a, b = ir.parameter("a", "f32", (2, 3, 4)), ir.parameter("b", "f32", (2, 4, 5))
    residual = ir.parameter("r", "f32", (2, 3, 5))
    product = ir.make("MatMul", 1, [a, b])
    biased = ir.make("Add", 1, [product, ir.constant(_data((5,)))])
    summed = ir.make("Add", 1, [biased, residual])
    graph = ir.Graph([a, b, residual], [ir.make("Relu", 1, [summed])])
    check_against_template(graph, [_data((2, 3, 4)), _data((2, 4, 5)), _data((2, 3, 5))],
                           device)


def test_constant_batched_weights():
    a = ir.parameter("a", "f32", (3, 2, 4))
    product = ir.make("MatMul", 1, [a, ir.constant(_data((3, 4, 6)))])
    check_against_template(ir.Graph([a], [product]), [_data((3, 2, 4))], "CPU")


def test_fast_path_keeps_two_dimensional_weights():
    _, product = _matmul_graph((8, 4), (4, 5), False, False)
    _, batched = _matmul_graph((2, 8, 4), (2, 4, 5), False, False)
    _, runtime_transposed = _matmul_graph((8, 4), (5, 4), False, True)
    assert batched_matmul.product_shape(batched).batch == (2,)
    from vinify.codegen.lowering.context import LoweringContext
    from vinify.codegen.target import host_cpu_target

    ctx = LoweringContext(host_cpu_target())
    assert batched_matmul.fast_gemm_handles(ctx, product)
    assert not batched_matmul.fast_gemm_handles(ctx, batched)
    assert not batched_matmul.fast_gemm_handles(ctx, runtime_transposed)


@pytest.mark.parametrize("device", ["CPU", "GPU"])
@pytest.mark.parametrize("elem,dtype", [("f16", np.float16), ("bf16", ml_dtypes.bfloat16),
                                        ("f64", np.float64)])
def test_other_float_types_accumulate_like_the_reference(elem, dtype, device):
    """f16/bf16 accumulate in f32 and round once at the store, as the reference does."""
    graph, _ = _matmul_graph((2, 3, 8), (8, 5), False, False, elem)
    check_against_template(graph, [_data((2, 3, 8), dtype), _data((8, 5), dtype)], device,
                           rtol=1e-3, atol=1e-3)
