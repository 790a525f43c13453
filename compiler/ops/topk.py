"""TopK 1, 3 and 11: the k largest or smallest elements along an axis, and their indices."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import normalize_axis
from vinify.shapes import Dimension, PartialShape, TensorType
from vinify.types import element_type

TOPK_ATTRS = (Attr("axis", "int"), Attr("mode", "str", choices=("max", "min")),
              Attr("sort", "str", choices=("value", "index", "none")),
              Attr("index_element_type", "type", element_type("i32")))


def _descending_key(x: np.ndarray) -> np.ndarray:
    """A key whose ascending order is x's descending order (no overflow, unsigned included)."""
    if x.dtype.kind == "b":
        return ~x.astype(np.int8)
    if x.dtype.kind in "iu":
        return ~x
    return -x.astype(np.float64) if x.dtype.itemsize < 4 else -x


def top_k(x: np.ndarray, k: int, attrs: dict) -> tuple[np.ndarray, np.ndarray]:
    """Ties keep the lower index first (what `stable` guarantees; also used when unstable)."""
    axis = attrs["axis"] % x.ndim
    k = min(k, x.shape[axis])
    key = _descending_key(x) if attrs["mode"] == "max" else x
    order = np.argsort(key, axis=axis, kind="stable")
    indices = np.take(order, np.arange(k), axis=axis)
    if attrs["sort"] == "index":
        indices = np.sort(indices, axis=axis)
    values = np.take_along_axis(x, indices, axis=axis)
    return values, indices


class TopKBase(Op):
    num_inputs = (2, 2)
    attributes = TOPK_ATTRS

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 2

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if ctx.element_type(1).kind not in ("int", "uint"):
            raise ctx.error(f"k must be an integer, got {ctx.element_type(1)}")
        if ctx.shape(1).rank_is_static and ctx.shape(1).rank != 0:
            raise ctx.error(f"k must be a scalar, got {ctx.shape(1)}")
        index_type = ctx.attrs["index_element_type"]
        if index_type.name not in ("i32", "i64"):
            raise ctx.error(f"index_element_type must be i32 or i64, got {index_type}")
        data = ctx.shape(0)
        shape = data
        if data.rank_is_static:
            axis = normalize_axis(ctx, ctx.attrs["axis"], data.rank)
            dims = list(data.dims)
            dims[axis] = cls.k_dim(ctx, data[axis])
            shape = PartialShape(tuple(dims))
        return [TensorType(ctx.element_type(0), shape), TensorType(index_type, shape)]

    @classmethod
    def k_dim(cls, ctx: InferContext, dim: Dimension) -> Dimension:
        k = ctx.const(1)
        if k is None:
            return Dimension(0, dim.max)
        k = int(k)
        if k < 0:
            raise ctx.error(f"k must be non-negative, got {k}")
        high = k if dim.max is None else min(k, dim.max)
        return Dimension(min(k, dim.min), high)

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, k: np.ndarray):
        return top_k(x, int(k), attrs)


@register
class TopKV1(TopKBase):
    name, version = "TopK", 1


@register
class TopKV3(TopKBase):
    name, version = "TopK", 3


@register
class TopKV11(TopKBase):
    """TopK<3> plus `stable`: equal elements keep their input order."""

    name, version = "TopK", 11
    attributes = TOPK_ATTRS + (Attr("stable", "bool", False),)
