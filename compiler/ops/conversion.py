"""Type conversion ops: Convert, ConvertLike and ConvertPromoteTypes.

Conversions follow C++ (and OpenVINO) semantics rather than numpy's: floating point to integer
truncates toward zero, and integers wrap around modulo 2^bits when they do not fit.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import TensorType
from vinify.types import ELEMENT_TYPES, ElementType, f32


@register
class Convert(Op):
    """Elementwise conversion to destination_type (float to integer truncates toward zero)."""

    name, version = "Convert", 1
    attributes = (Attr("destination_type", "type"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [TensorType(ctx.attrs["destination_type"], ctx.shape(0))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray) -> np.ndarray:
        return convert_array(data, attrs["destination_type"].dtype)


def convert_array(data: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """numpy conversion with C++ semantics: truncation, wrap-around for integers."""
    if data.dtype.kind == "f" and np.dtype(dtype).kind in "iu":
        return np.trunc(data.astype(np.float64)).astype(np.int64).astype(dtype)
    return data.astype(dtype)


@register
class ConvertLike(Op):
    """Converts the first input to the element type of the second."""

    name, version = "ConvertLike", 1
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        return [TensorType(ctx.element_type(1), ctx.shape(0))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, like: np.ndarray) -> np.ndarray:
        return convert_array(data, like.dtype)


def _integer_type(signed: bool, bits: int) -> ElementType | None:
    return ELEMENT_TYPES.get(f"{'i' if signed else 'u'}{bits}")


def _promote_integers(ctx: InferContext, a: ElementType, b: ElementType) -> ElementType:
    if a.kind == b.kind:
        return a if a.bitwidth >= b.bitwidth else b
    signed, unsigned = (a, b) if a.kind == "int" else (b, a)
    if signed.bitwidth > unsigned.bitwidth:
        return signed
    if not ctx.attrs["promote_unsafe"]:
        raise ctx.error(f"promoting {a} and {b} widens the type; set promote_unsafe")
    wider = _integer_type(True, unsigned.bitwidth * 2)
    return wider if wider is not None else ctx.attrs["u64_integer_promotion_target"]


def _promote_floats(ctx: InferContext, a: ElementType, b: ElementType) -> ElementType:
    if a.bitwidth != b.bitwidth:
        return a if a.bitwidth > b.bitwidth else b
    if not ctx.attrs["promote_unsafe"]:
        raise ctx.error(f"promoting {a} and {b} needs promote_unsafe")
    return ELEMENT_TYPES[f"f{a.bitwidth * 2}"]


def _promote_mixed(ctx: InferContext, a: ElementType, b: ElementType) -> ElementType:
    """Different kinds: floating point beats integers beats boolean."""
    priority = {"bool": 0, "uint": 1, "int": 1, "float": 2}
    high, low = (a, b) if priority[a.kind] > priority[b.kind] else (b, a)
    unsafe_float = high.is_float and low.is_integral and high.bitwidth < 2 * low.bitwidth
    if unsafe_float and not ctx.attrs["promote_unsafe"]:
        raise ctx.error(f"promoting {low} to {high} may lose precision; set promote_unsafe")
    return high


def _scalar_fits(value: ElementType, into: ElementType) -> bool:
    """Whether OpenVINO lets a scalar of `value` join a tensor of `into` without promote_unsafe:
    a narrower-or-equal type of the same kind, or an unsigned scalar into a signed tensor of at
    least half its width (checked against OpenVINO's own type inference)."""
    if value.kind == into.kind:
        return value.bitwidth <= into.bitwidth
    return value.kind == "uint" and into.kind == "int" and value.bitwidth <= 2 * into.bitwidth


def _scalar_promotion(ctx: InferContext, a: ElementType, b: ElementType) -> ElementType | None:
    """A scalar (rank 0) takes the type of a ranked tensor of the same number format."""
    ranks = [ctx.shape(i).rank if ctx.shape(i).rank_is_static else None for i in (0, 1)]
    same_format = a.is_float == b.is_float and (a.kind == "bool") == (b.kind == "bool")
    if not same_format or 0 not in ranks or ranks[0] == ranks[1] or None in ranks:
        return None
    scalar, tensor = (a, b) if ranks[0] == 0 else (b, a)
    if not ctx.attrs["promote_unsafe"] and not _scalar_fits(scalar, tensor):
        raise ctx.error(f"scalar of type {scalar} does not fit tensor type {tensor}; "
                        "set promote_unsafe")
    return tensor


def promote_types(ctx: InferContext) -> ElementType:
    a, b = ctx.element_type(0), ctx.element_type(1)
    if a == b:
        return a
    if ctx.attrs["pytorch_scalar_promotion"]:
        tensor_type = _scalar_promotion(ctx, a, b)
        if tensor_type is not None:
            return tensor_type
    if a.kind != b.kind and not (a.is_integral and b.is_integral):
        return _promote_mixed(ctx, a, b)
    if a.is_float:
        return _promote_floats(ctx, a, b)
    return _promote_integers(ctx, a, b)


@register
class ConvertPromoteTypes(Op):
    """Converts both inputs to one common type chosen by PyTorch-like promotion rules."""

    name, version = "ConvertPromoteTypes", 14
    num_inputs = (2, 2)
    attributes = (Attr("promote_unsafe", "bool", False),
                  Attr("pytorch_scalar_promotion", "bool", False),
                  Attr("u64_integer_promotion_target", "type", f32))

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 2

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        common = promote_types(ctx)
        return [TensorType(common, ctx.shape(0)), TensorType(common, ctx.shape(1))]

    @classmethod
    def evaluate(cls, attrs: dict, a: np.ndarray, b: np.ndarray) -> tuple:
        # Promotion only widens (or turns integers into floats), so the cast that Node.evaluate
        # applies to reach the inferred type is exact; nothing to convert here.
        return a, b
