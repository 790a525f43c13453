"""Rounding, floating-point classification and bitwise ops: Round<5>, IsNaN/IsInf/IsFinite<10>,
BitwiseAnd/Or/Xor/Not<13>, BitwiseLeftShift/RightShift<15> (OpenVINO opset semantics)."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.elementwise import AUTO_BROADCAST, BinaryElementwise, UnaryElementwise
from vinify.ops.shape_rules import require_float
from vinify.shapes import TensorType
from vinify.types import boolean


@register
class Round(UnaryElementwise):
    """Rounds to the nearest integer; halves go to even or away from zero per `mode`."""

    name, version = "Round", 5
    attributes = (Attr("mode", "str", "half_to_even", ("half_to_even", "half_away_from_zero")),)

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        if x.dtype.kind in "iub":
            return x
        if attrs["mode"] == "half_to_even":
            return np.round(x)
        return np.sign(x) * np.floor(np.abs(x) + np.asarray(0.5, x.dtype))


class FloatClassification(Op):
    """A floating-point input classified elementwise into a boolean output."""

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_float(ctx, 0)
        return [TensorType(boolean, ctx.shape(0))]


@register
class IsNaN(FloatClassification):
    name, version = "IsNaN", 10

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        return np.isnan(x)


@register
class IsFinite(FloatClassification):
    name, version = "IsFinite", 10

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        return np.isfinite(x)


@register
class IsInf(FloatClassification):
    """True for infinities; each sign can be left out with detect_negative/detect_positive."""

    name, version = "IsInf", 10
    attributes = (Attr("detect_negative", "bool", True), Attr("detect_positive", "bool", True))

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        negative = np.isneginf(x) if attrs["detect_negative"] else np.zeros(x.shape, bool)
        positive = np.isposinf(x) if attrs["detect_positive"] else np.zeros(x.shape, bool)
        return negative | positive


class BitwiseBinary(BinaryElementwise):
    """Integer or boolean inputs of one type, numpy-broadcast."""

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if ctx.element_type(0).kind not in ("int", "uint", "bool"):
            raise ctx.error(f"{cls.name} takes integer or boolean inputs, got "
                            f"{ctx.element_type(0)}")
        return super().infer(ctx)


def _shift_left(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.left_shift(a, b.astype(a.dtype))


def _shift_right(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.right_shift(a, b.astype(a.dtype))


for _name, _version, _function in [
    ("BitwiseAnd", 13, np.bitwise_and), ("BitwiseOr", 13, np.bitwise_or),
    ("BitwiseXor", 13, np.bitwise_xor),
    ("BitwiseLeftShift", 15, _shift_left), ("BitwiseRightShift", 15, _shift_right),
]:
    register(type(_name, (BitwiseBinary,), {"name": _name, "version": _version,
                                            "attributes": (AUTO_BROADCAST,),
                                            "function": staticmethod(_function)}))


@register
class BitwiseNot(UnaryElementwise):
    name, version = "BitwiseNot", 13
    kinds = ("int", "uint", "bool")

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        return np.invert(x)
