"""Elementwise ops: binary arithmetic and comparison with numpy broadcasting, logic, unary math.

Each row of the tables below declares one op version; `_declare` turns a row into a registered
`Op` class. Binary ops take `auto_broadcast` ("numpy" or "none") as OpenVINO's do.
"""

from typing import Callable

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import broadcast_shapes
from vinify.shapes import TensorType
from vinify.types import boolean

AUTO_BROADCAST = Attr("auto_broadcast", "str", "numpy", ("numpy", "none", "pdpd"))


class BinaryElementwise(Op):
    """Two inputs of one element type, broadcast together; the output keeps that type."""

    num_inputs = (2, 2)
    attributes = (AUTO_BROADCAST,)
    function: Callable = staticmethod(np.add)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.same_element_type(0, 1)
        shape = broadcast_shapes(ctx, ctx.shape(0), ctx.shape(1), ctx.attrs["auto_broadcast"])
        return [TensorType(cls.output_type(elem), shape)]

    @classmethod
    def output_type(cls, elem):
        return elem

    @classmethod
    def evaluate(cls, attrs: dict, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return cls.function(a, b)


class Comparison(BinaryElementwise):
    @classmethod
    def output_type(cls, elem):
        return boolean


class LogicalBinary(BinaryElementwise):
    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        for index in (0, 1):
            if ctx.element_type(index) != boolean:
                raise ctx.error(f"input {index} must be boolean, got {ctx.element_type(index)}")
        return super().infer(ctx)


class UnaryElementwise(Op):
    """One input; the output has its type. `kinds` limits the element kinds accepted."""

    kinds: tuple[str, ...] = ("float", "int", "uint")
    function: Callable = staticmethod(np.abs)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        if ctx.element_type(0).kind not in cls.kinds:
            raise ctx.error(f"{cls.name} does not accept element type {ctx.element_type(0)}")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        return cls.function(x)


def _declare(base: type, name: str, version: int, function: Callable, **extra) -> type:
    cls = type(name, (base,), {"name": name, "version": version,
                               "function": staticmethod(function), **extra})
    return register(cls)


def _divide(a, b, python_division=True):
    if a.dtype.kind in "iu":
        if python_division:
            return np.floor_divide(a, np.where(b == 0, 1, b))
        return np.trunc(a / np.where(b == 0, 1, b)).astype(a.dtype)
    return np.divide(a, b)


def _power(a, b):
    if a.dtype.kind in "iu":
        return np.power(a.astype(np.float64), b).astype(a.dtype)
    return np.power(a, b)


def _floor_mod(a, b):
    if a.dtype.kind in "iu":
        return np.mod(a, np.where(b == 0, 1, b))
    return np.mod(a, b)


def _mod(a, b):  # sign of the dividend, like C fmod
    if a.dtype.kind in "iu":
        return np.fmod(a, np.where(b == 0, 1, b))
    return np.fmod(a, b)


for _name, _function in [
    ("Add", np.add), ("Subtract", np.subtract), ("Multiply", np.multiply),
    ("Maximum", np.maximum), ("Minimum", np.minimum), ("Power", _power),
    ("SquaredDifference", lambda a, b: np.square(a - b)),
    ("FloorMod", _floor_mod), ("Mod", _mod),
]:
    _declare(BinaryElementwise, _name, 1, _function)


@register
class Divide(BinaryElementwise):
    """Division; integer division rounds toward -inf when m_pythondiv (the default)."""

    name, version = "Divide", 1
    attributes = (AUTO_BROADCAST, Attr("m_pythondiv", "bool", True))

    @classmethod
    def evaluate(cls, attrs: dict, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return _divide(a, b, attrs["m_pythondiv"])


for _name, _function in [
    ("Equal", np.equal), ("NotEqual", np.not_equal), ("Less", np.less),
    ("LessEqual", np.less_equal), ("Greater", np.greater), ("GreaterEqual", np.greater_equal),
]:
    _declare(Comparison, _name, 1, _function)

for _name, _function in [
    ("LogicalAnd", np.logical_and), ("LogicalOr", np.logical_or), ("LogicalXor", np.logical_xor),
]:
    _declare(LogicalBinary, _name, 1, _function)

_declare(UnaryElementwise, "LogicalNot", 1, np.logical_not, kinds=("bool",))

_FLOAT = ("float",)
for _name, _version, _function, _kinds in [
    ("Abs", 1, np.abs, ("float", "int", "uint")),
    ("Negative", 1, np.negative, ("float", "int")),
    ("Sign", 1, np.sign, ("float", "int")),
    ("Ceiling", 1, np.ceil, ("float", "int", "uint")),
    ("Floor", 1, np.floor, ("float", "int", "uint")),
    ("Sqrt", 1, np.sqrt, _FLOAT), ("Exp", 1, np.exp, _FLOAT), ("Log", 1, np.log, _FLOAT),
    ("Sin", 1, np.sin, _FLOAT), ("Cos", 1, np.cos, _FLOAT), ("Tan", 1, np.tan, _FLOAT),
    ("Asin", 1, np.arcsin, _FLOAT), ("Acos", 1, np.arccos, _FLOAT), ("Atan", 1, np.arctan, _FLOAT),
    ("Sinh", 1, np.sinh, _FLOAT), ("Cosh", 1, np.cosh, _FLOAT), ("Tanh", 1, np.tanh, _FLOAT),
    ("Asinh", 4, np.arcsinh, _FLOAT), ("Acosh", 4, np.arccosh, _FLOAT),
    ("Atanh", 4, np.arctanh, _FLOAT),
]:
    _declare(UnaryElementwise, _name, _version, _function, kinds=_kinds)
