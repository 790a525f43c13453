"""CPU and GPU against TEMPLATE for Einsum (codegen/lowering/einsum.py): transposes, sums,
diagonals, contractions of two and three inputs, broadcast ellipses, implicit output, scalars,
integers."""

import ml_dtypes
import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

RNG = np.random.default_rng(59)

CASES = [
    ("ij->ji", [(3, 4)]),
    ("ij->i", [(3, 4)]),
    ("...ii->...i", [(3, 5, 5)]),
    ("ii", [(4, 4)]),
    ("i,i", [(5,), (5,)]),
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
    ("->", [()]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("i,j->ij", [(3,), (4,)]),
    ("bii->b", [(2, 3, 3)]),
]


def einsum_graph(equation: str, shapes: list[tuple], elem: str = "f32"):
    params = [ir.parameter(f"x{k}", elem, shape) for k, shape in enumerate(shapes)]
    return ir.Graph(params, [ir.make("Einsum", 7, params, equation=equation)])


@pytest.mark.parametrize("equation,shapes", CASES)
def test_einsum_matches_template(equation, shapes):
    feeds = [RNG.normal(0, 1, shape).astype(np.float32) for shape in shapes]
    device_check.check_against_template(einsum_graph(equation, shapes), feeds, "CPU")


def test_einsum_on_integers():
    shapes = [(2, 3), (3, 4)]
    feeds = [RNG.integers(-5, 5, shape).astype(np.int32) for shape in shapes]
    device_check.check_against_template(einsum_graph("ij,jk->ik", shapes, "i32"), feeds, "CPU")


def test_einsum_on_gpu():
    shapes = [(2, 1, 3, 4), (5, 4, 2)]
    feeds = [RNG.normal(0, 1, shape).astype(np.float32) for shape in shapes]
    device_check.check_against_template(einsum_graph("...ij,...jk->...ik", shapes), feeds,
                                        "GPU")


@pytest.mark.parametrize("elem,dtype", [("f64", np.float64), ("bf16", ml_dtypes.bfloat16),
                                        ("f16", np.float16)])
def test_einsum_on_wide_and_narrow_floats(elem, dtype):
    shapes = [(5, 2, 3), (5, 3, 4)]
    feeds = [RNG.normal(0, 1, shape).astype(dtype) for shape in shapes]
    graph = einsum_graph("bij,bjk->bik", shapes, elem)
    device_check.check_against_template(graph, feeds, "CPU", rtol=1e-2, atol=1e-2)
