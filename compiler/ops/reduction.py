"""Reductions over axes given as input 1 (ReduceSum ... ReduceL2, keep_dims) and CumSum.

The reduced axes usually come from a Constant; when they do not, the output rank is still known
with keep_dims (every dimension may become 1) or when the axes tensor has a static length.
"""

from typing import Callable

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import normalize_axes, normalize_axis
from vinify.shapes import DYNAMIC, Dimension, PartialShape, TensorType

ONE = Dimension(1, 1)


def reduced_shape(ctx: InferContext) -> PartialShape:
    """The output shape of reducing input 0 over the axes of input 1."""
    data = ctx.shape(0)
    keep = ctx.attrs["keep_dims"]
    axes_shape = ctx.shape(1)
    if ctx.element_type(1).kind not in ("int", "uint"):
        raise ctx.error(f"axes must be an integer tensor, got {ctx.element_type(1)}")
    if axes_shape.rank_is_static and axes_shape.rank > 1:
        raise ctx.error(f"axes must be a scalar or 1D, got {axes_shape}")
    if not data.rank_is_static:
        return PartialShape(None)
    axes = ctx.const(1)
    if axes is None:
        return _unknown_axes_shape(data, axes_shape, keep)
    if data.rank == 0:
        return data  # a scalar reduces to itself
    reduced = set(normalize_axes(ctx, axes, data.rank))
    dims = []
    for index, dim in enumerate(data.dims):
        if index not in reduced:
            dims.append(dim)
        elif keep:
            dims.append(ONE)
    return PartialShape(tuple(dims))


def _unknown_axes_shape(data: PartialShape, axes_shape: PartialShape, keep: bool) -> PartialShape:
    if keep:
        return PartialShape(tuple(ONE if d == ONE else Dimension(min(d.min, 1), d.max)
                                  for d in data.dims))
    if axes_shape.rank_is_static and (axes_shape.rank == 0 or axes_shape[0].is_static):
        count = 1 if axes_shape.rank == 0 else axes_shape[0].min
        return PartialShape((DYNAMIC,) * max(data.rank - count, 0))
    return PartialShape(None)


class Reduction(Op):
    """Input 0 reduced over the axes in input 1; `kinds` limits the element kinds accepted."""

    num_inputs = (2, 2)
    attributes = (Attr("keep_dims", "bool", False),)
    kinds: tuple[str, ...] = ("float", "int", "uint")
    function: Callable = staticmethod(np.sum)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if ctx.element_type(0).kind not in cls.kinds:
            raise ctx.error(f"{cls.name} does not accept element type {ctx.element_type(0)}")
        return [TensorType(ctx.element_type(0), reduced_shape(ctx))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, axes: np.ndarray) -> np.ndarray:
        normalized = tuple(sorted({int(a) % max(x.ndim, 1) for a in np.asarray(axes).ravel()}))
        if x.ndim == 0:
            normalized = ()
        return cls.function(x, axis=normalized, keepdims=attrs["keep_dims"])


def _accumulating(function: Callable) -> Callable:
    """f16/bf16 accumulate in f32 (the node casts back); other types keep their own."""

    def reduce(x: np.ndarray, axis, keepdims):
        if x.dtype.kind == "f" and x.dtype.itemsize < 4 or x.dtype.kind == "V":
            x = x.astype(np.float32)
        return function(x, axis=axis, keepdims=keepdims)

    return reduce


def _mean(x, axis, keepdims):
    if x.dtype.kind in "iu":  # integer means truncate toward zero, as C++ division does
        count = max(int(np.prod([x.shape[a] for a in axis])) if axis else 1, 1)
        total = np.sum(x, axis=axis, keepdims=keepdims, dtype=np.int64)
        return np.sign(total) * (np.abs(total) // count)
    return np.mean(x, axis=axis, keepdims=keepdims)


def _l1(x, axis, keepdims):
    return np.sum(np.abs(x), axis=axis, keepdims=keepdims)


def _l2(x, axis, keepdims):
    return np.sqrt(np.sum(np.square(x.astype(np.float64) if x.dtype.kind in "iu" else x),
                          axis=axis, keepdims=keepdims))


def _extreme(function: Callable, pick: str) -> Callable:
    """np.max/np.min that give the identity over an empty set, as ONNX specifies: -inf/+inf
    for floats, the type's lowest/highest value otherwise (numpy refuses empty arrays)."""

    def reduce(x: np.ndarray, axis, keepdims):
        if x.size:
            return function(x, axis=axis, keepdims=keepdims)
        limits = np.finfo(x.dtype) if x.dtype.kind == "f" else np.iinfo(x.dtype)
        bound = {"min": limits.min, "max": limits.max}[pick]
        if x.dtype.kind == "f":
            bound = -np.inf if pick == "min" else np.inf
        return function(x, axis=axis, keepdims=keepdims, initial=bound)

    return reduce


def _declare(name: str, version: int, function: Callable, kinds=("float", "int", "uint")):
    cls = type(name, (Reduction,), {"name": name, "version": version, "kinds": kinds,
                                    "function": staticmethod(_accumulating(function))})
    return register(cls)


for _name, _version, _function in [
    ("ReduceSum", 1, np.sum), ("ReduceMean", 1, _mean), ("ReduceMax", 1, _extreme(np.max, "min")),
    ("ReduceMin", 1, _extreme(np.min, "max")), ("ReduceProd", 1, np.prod), ("ReduceL1", 4, _l1),
]:
    _declare(_name, _version, _function)
_declare("ReduceL2", 4, _l2, kinds=("float",))
_declare("ReduceLogicalAnd", 1, np.all, kinds=("bool",))
_declare("ReduceLogicalOr", 1, np.any, kinds=("bool",))


@register
class CumSum(Op):
    """Running sum along the scalar axis of input 1 (default 0); exclusive and reverse modes."""

    name, version = "CumSum", 3
    num_inputs = (1, 2)
    attributes = (Attr("exclusive", "bool", False), Attr("reverse", "bool", False))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if len(ctx.input_types) == 2:
            if ctx.element_type(1).kind != "int":
                raise ctx.error(f"axis must be i32 or i64, got {ctx.element_type(1)}")
            if ctx.shape(1).rank_is_static and ctx.shape(1).rank != 0:
                raise ctx.error(f"axis must be a scalar, got {ctx.shape(1)}")
            axis = ctx.const(1)
            if axis is not None and ctx.shape(0).rank_is_static:
                normalize_axis(ctx, int(axis), ctx.shape(0).rank)
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, axis: np.ndarray | int = 0) -> np.ndarray:
        axis = int(axis) % x.ndim
        if attrs["reverse"]:
            x = np.flip(x, axis)
        total = np.cumsum(x, axis=axis, dtype=np.float32 if x.dtype == np.float16 else None)
        if attrs["exclusive"]:
            total = total - x
        return np.flip(total, axis) if attrs["reverse"] else total
