"""Einsum<7> from its equation: one loop per output label, an inner loop per summed label.

Every label (each ellipsis axis becomes a label of its own, aligned from the right as numpy
broadcasts them) gets one loop variable. An input's element index is the sum of variable *
stride over its axes, so a label repeated within a term (a diagonal) simply adds the strides of
its axes, and an ellipsis axis of size 1 against a longer one gets stride 0 (broadcast). Labels
missing from the output are summed. Products accumulate in f32 (f64 for f64, i64 for integers),
as the reference accumulates f16/bf16 in f32. Correctness over speed: no blocking.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    INTEGER_ELEMENT_TYPES,
    LoweringContext,
    lowers,
    static_shape,
)
from vinify.errors import DeviceError
from vinify.ops.einsum import ELLIPSIS, parse_equation

PARALLEL_MIN_WORK = 16384
FLOAT_KERNEL_TYPES = ("f32", "f64", "f16", "bf16")


def _strides(shape: tuple) -> list[int]:
    return [int(np.prod(shape[d + 1:], dtype=np.int64)) for d in range(len(shape))]


def accumulator_type(dtype: str) -> str:
    if dtype == "f64":
        return "f64"
    return "f32" if dtype in FLOAT_KERNEL_TYPES else "i64"


def _expanded_terms(terms: list[list[str]], shapes: list[tuple]) -> tuple[list, int]:
    """Terms with the ellipsis replaced by labels '.0', '.1', ... (right-aligned)."""
    spans = [len(shape) - (len(term) - (ELLIPSIS in term)) for term, shape in zip(terms, shapes)]
    width = max([s for s, term in zip(spans, terms) if ELLIPSIS in term], default=0)
    expanded = []
    for term, span in zip(terms, spans):
        labels: list[str] = []
        for label in term:
            if label == ELLIPSIS:
                labels.extend(f".{k}" for k in range(width - span, width))
            else:
                labels.append(label)
        expanded.append(labels)
    return expanded, width


def _label_sizes(terms: list[list[str]], shapes: list[tuple]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for labels, shape in zip(terms, shapes):
        for label, dim in zip(labels, shape):
            sizes[label] = max(sizes.get(label, 1), dim)
    return sizes


def _input_index(labels: list[str], shape: tuple, variables: dict[str, K.Var]) -> K.Expr:
    """sum(var * stride) over the input's axes; a broadcast axis (size 1) adds nothing."""
    strides = _strides(shape)
    coords = [variables[label] for label in labels]
    used = [0 if dim == 1 else stride for dim, stride in zip(shape, strides)]
    return K.index_of(coords, used)


@lowers("Einsum", dtypes=FLOAT_ELEMENT_TYPES | INTEGER_ELEMENT_TYPES)
def lower_einsum(ctx: LoweringContext, node: Any) -> None:
    shapes = [static_shape(v) for v in node.inputs]
    try:
        terms, output = parse_equation(node.attrs["equation"], len(shapes))
    except ValueError as error:
        raise DeviceError(f"CPU: {node.describe()}: {error}") from None
    terms, width = _expanded_terms(terms, shapes)
    output = [item for label in output
              for item in ([f".{k}" for k in range(width)] if label == ELLIPSIS else [label])]
    sizes = _label_sizes(terms, shapes)
    summed = [label for label in sizes if label not in output]
    variables = {label: K.Var(f"l{n}") for n, label in enumerate(sorted(sizes))}
    out = ctx.output(node.outputs[0])
    accumulate = accumulator_type(out.dtype)
    product: K.Expr | None = None
    for labels, shape, value in zip(terms, shapes, node.inputs):
        buffer = ctx.buffer(value)
        factor = K.Load(buffer, _input_index(labels, shape, variables))
        factor = factor if buffer.dtype == accumulate else K.Cast(factor, accumulate)
        product = factor if product is None else K.Binary("mul", product, factor)
    acc = K.Var("acc", accumulate)
    zero = K.Const(0.0 if accumulate != "i64" else 0, accumulate)
    inner = K.loop_nest([variables[label] for label in summed], [sizes[lb] for lb in summed],
                        [K.Let(acc, K.Binary("add", acc, product))])
    result = acc if out.dtype == accumulate else K.Cast(acc, out.dtype)
    target = K.index_of([variables[label] for label in output],
                        _strides(tuple(sizes[label] for label in output)))
    body = [K.Let(acc, zero), *inner, K.Store(out, target, result)]
    extents = [sizes[label] for label in output]
    work = int(np.prod(list(sizes.values()), dtype=np.int64))
    parallel = bool(extents) and extents[0] > 1 and work >= PARALLEL_MIN_WORK
    nest = K.loop_nest([variables[label] for label in output], extents, body, parallel)
    ctx.emit("einsum", nest, node.describe())
