"""Einsum<7>: sums of products over labelled axes, written as an equation like 'ij,jk->ik'.

Labels are letters; '...' stands for broadcast axes. Without '->' the output is the ellipsis
followed by the labels used once, in alphabetical order (numpy's implicit mode).
"""

import string

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_inputs import intersect
from vinify.ops.shape_rules import broadcast_shapes
from vinify.shapes import DYNAMIC_RANK, PartialShape, TensorType

ELLIPSIS = "..."


def _split_labels(term: str) -> list[str]:
    """'a...bc' -> ['a', '...', 'b', 'c']."""
    labels: list[str] = []
    rest = term
    while rest:
        if rest.startswith(ELLIPSIS):
            labels.append(ELLIPSIS)
            rest = rest[3:]
            continue
        if rest[0] not in string.ascii_letters:
            raise ValueError(f"'{rest[0]}' is not a label")
        labels.append(rest[0])
        rest = rest[1:]
    if labels.count(ELLIPSIS) > 1:
        raise ValueError(f"term '{term}' has more than one ellipsis")
    return labels


def parse_equation(equation: str, count: int) -> tuple[list[list[str]], list[str]]:
    """Input label lists and the output label list (explicit, or implicit numpy order)."""
    text = equation.replace(" ", "")
    inputs_text, arrow, output_text = text.partition("->")
    terms = [_split_labels(t) for t in inputs_text.split(",")]
    if len(terms) != count:
        raise ValueError(f"{len(terms)} input terms for {count} inputs")
    if arrow:
        output = _split_labels(output_text)
    else:
        used = [label for term in terms for label in term if label != ELLIPSIS]
        once = sorted(label for label in set(used) if used.count(label) == 1)
        has_ellipsis = any(ELLIPSIS in term for term in terms)
        output = ([ELLIPSIS] if has_ellipsis else []) + once
    known = {label for term in terms for label in term}
    if any(label not in known for label in output):
        raise ValueError(f"output '{output_text}' uses a label no input has")
    return terms, output


def _label_dims(ctx: InferContext, terms: list[list[str]]):
    """Dimension of each label and the broadcast shape of the ellipsis axes."""
    dims: dict = {}
    ellipsis = PartialShape(())
    for index, labels in enumerate(terms):
        shape = ctx.shape(index)
        named = [label for label in labels if label != ELLIPSIS]
        if len(named) > shape.rank or (ELLIPSIS not in labels and len(named) != shape.rank):
            raise ctx.error(f"input {index} of shape {shape} does not fit term "
                            f"'{''.join(labels)}'")
        span = shape.rank - len(named)
        position = 0
        for label in labels:
            if label == ELLIPSIS:
                ellipsis = broadcast_shapes(ctx, ellipsis,
                                            PartialShape(shape[position:position + span]))
                position += span
                continue
            dim = shape[position]
            dims[label] = intersect(ctx, dims[label], dim, f"label '{label}'") \
                if label in dims else dim
            position += 1
    return dims, ellipsis


@register
class Einsum(Op):
    """numpy.einsum over the equation; all inputs share one element type."""

    name, version = "Einsum", 7
    num_inputs = (1, None)
    attributes = (Attr("equation", "str"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        count = len(ctx.input_types)
        elem = ctx.same_element_type(*range(count))
        try:
            terms, output = parse_equation(ctx.attrs["equation"], count)
        except ValueError as error:
            raise ctx.error(f"equation '{ctx.attrs['equation']}': {error}") from None
        if not all(ctx.shape(i).rank_is_static for i in range(count)):
            return [TensorType(elem, DYNAMIC_RANK)]
        dims, ellipsis = _label_dims(ctx, terms)
        out = []
        for label in output:
            out.extend(ellipsis if label == ELLIPSIS else [dims[label]])
        return [TensorType(elem, PartialShape(tuple(out)))]

    @classmethod
    def evaluate(cls, attrs: dict, *arrays: np.ndarray) -> np.ndarray:
        equation = attrs["equation"].replace(" ", "")
        dtype = arrays[0].dtype
        if dtype.kind in "iub" or (dtype.kind == "f" and dtype.itemsize >= 4):
            return np.einsum(equation, *arrays)
        # f16, bf16 and f8 accumulate in f32 (numpy has no einsum for the ml_dtypes types)
        wide = [a.astype(np.float32) for a in arrays]
        return np.einsum(equation, *wide).astype(arrays[0].dtype)
