"""Comparisons, logical and bitwise ops (shifts too), Select, FloorMod/Mod and the
IsNaN/IsInf/IsFinite tests, over every element type the kernel IR carries (booleans are u8
holding 0 or 1).

These lowerings build their constants in the operands' own element type, so they are correct on
every element type (f16/bf16 operands are compared and selected in f32, see elementwise); they
declare so to the per-node support check.
"""

from typing import Any, Callable

from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    ALL_ELEMENT_TYPES,
    LoweringContext,
    accept_element_types,
    lowers,
    static_shape,
)
from vinify.codegen.lowering.elementwise import emit_broadcast_map
from vinify.errors import DeviceError

COMPARISONS = {"Equal": "eq", "NotEqual": "ne", "Less": "lt", "LessEqual": "le",
               "Greater": "gt", "GreaterEqual": "ge"}
LOGICAL = {"LogicalAnd": "and", "LogicalOr": "or", "LogicalXor": "xor"}
BITWISE = {"BitwiseAnd": "and", "BitwiseOr": "or", "BitwiseXor": "xor"}
NUMBER_TESTS = ("IsNaN", "IsInf", "IsFinite")
SHIFTS = ("BitwiseLeftShift", "BitwiseRightShift")
WIDTHS = {dtype: K.BIT_WIDTHS[dtype] for dtype in ("u8", "i8", "i16", "u16", "i32", "u32",
                                                      "i64", "u64")}
TYPED_ELEMENTWISE_OPS = (tuple(COMPARISONS) + tuple(LOGICAL) + tuple(BITWISE) + NUMBER_TESTS
                         + SHIFTS + ("LogicalNot", "BitwiseNot", "Select", "FloorMod", "Mod"))


def constant_like(value: float, like: K.Expr) -> K.Const:
    number = float(value) if K.is_float(like.dtype) else int(value)
    return K.Const(number, like.dtype, like.lanes)


def as_bool(x: K.Expr) -> K.Expr:
    """u8 0/1 from an i1 comparison result."""
    return K.Cast(x, "u8")


def is_true(x: K.Expr) -> K.Expr:
    return K.Binary("ne", x, constant_like(0, x))


def truncate(x: K.Expr) -> K.Expr:
    return K.Select(K.Binary("lt", x, constant_like(0, x)), K.Unary("ceil", x),
                    K.Unary("floor", x))


def remainder(a: K.Expr, b: K.Expr, floor_mode: bool) -> K.Expr:
    """C fmod (sign of the dividend), or with floor_mode Python's % (sign of the divisor).
    An integer divisor of 0 is read as 1, as the reference does."""
    if K.is_float(a.dtype):
        rest = K.Binary("sub", a, K.Binary("mul", b, truncate(K.Binary("div", a, b))))
        infinite = K.Binary("eq", K.Unary("abs", b), constant_like(float("inf"), b))
        rest = K.Select(infinite, a, rest)  # x mod +-inf is x (inf * 0 would give NaN)
    else:
        unusable = K.Binary("eq", b, constant_like(0, b))
        if not K.is_unsigned(b.dtype):  # MIN % -1 traps on x86; x % -1 is 0 like x % 1
            unusable = K.Binary("or", unusable, K.Binary("eq", b, constant_like(-1, b)))
        b = K.Select(unusable, constant_like(1, b), b)
        rest = K.Binary("rem", a, b)
    if not floor_mode:
        return rest
    zero = constant_like(0, rest)
    signs_differ = K.Binary("ne", K.Binary("lt", rest, zero), K.Binary("lt", b, zero))
    adjust = K.Binary("and", K.Binary("ne", rest, zero), signs_differ)
    return K.Select(adjust, K.Binary("add", rest, b), rest)


def power_of_two(exponent: K.Expr, width: int) -> K.Expr:
    """2 ** exponent for 0 <= exponent < width, from the exponent's bits (no shift op)."""
    result: K.Expr = constant_like(1, exponent)
    bit = 1
    while bit < width:
        factor = constant_like(2 ** bit if 2 ** bit < 2 ** (width - 1) else -(2 ** (width - 1)),
                               exponent)
        has_bit = K.Binary("ne", K.Binary("and", exponent, constant_like(bit, exponent)),
                           constant_like(0, exponent))
        result = K.Select(has_bit, K.Binary("mul", result, factor), result)
        bit *= 2
    return result


def shift(a: K.Expr, b: K.Expr, left: bool) -> K.Expr:
    """numpy's shifts: an amount outside [0, width) gives 0, or the sign for a right shift.
    Left is a wrapping multiply by 2**b; right a floor division by it (the last bit position,
    whose power is negative in a signed type, is the sign fill)."""
    width, signed = WIDTHS[a.dtype], not K.is_unsigned(a.dtype)
    zero = constant_like(0, a)
    in_range = K.Binary("lt", b, constant_like(width, b))
    if signed:
        in_range = K.Binary("and", in_range, K.Binary("ge", b, zero))
    power = power_of_two(K.Select(in_range, b, zero), width)
    if left:
        return K.Select(in_range, K.Binary("mul", a, power), zero)
    sign_fill = K.Select(K.Binary("lt", a, zero), constant_like(-1, a), zero) if signed else zero
    if signed:
        in_range = K.Binary("and", in_range, K.Binary("lt", b, constant_like(width - 1, b)))
        power = K.Select(in_range, power, constant_like(1, a))
    quotient = K.Binary("div", a, power)
    if signed:  # division truncates; a shift floors
        inexact = K.Binary("ne", K.Binary("mul", quotient, power), a)
        fix = K.Binary("and", K.Binary("lt", a, zero), inexact)
        quotient = K.Select(fix, K.Binary("sub", quotient, constant_like(1, a)), quotient)
    return K.Select(in_range, quotient, sign_fill)


def number_test(node: Any) -> Callable[[K.Expr], K.Expr]:
    if node.op.name == "IsNaN":
        return lambda x: K.Binary("ne", x, x)
    infinity = float("inf")
    if node.op.name == "IsFinite":
        return lambda x: K.Binary("lt", K.Unary("abs", x), constant_like(infinity, x))
    positive, negative = node.attrs["detect_positive"], node.attrs["detect_negative"]

    def test(x: K.Expr) -> K.Expr:
        result = K.Binary("lt", x, x)  # false (NaN too), of the right lane count
        if positive:
            result = K.Binary("or", result, K.Binary("eq", x, constant_like(infinity, x)))
        if negative:
            result = K.Binary("or", result, K.Binary("eq", x, constant_like(-infinity, x)))
        return result

    return test


def typed_formula(node: Any) -> Callable[[list[K.Expr]], K.Expr]:
    name = node.op.name
    if name in COMPARISONS:
        return lambda xs: as_bool(K.Binary(COMPARISONS[name], xs[0], xs[1]))
    if name in LOGICAL:
        return lambda xs: as_bool(K.Binary(LOGICAL[name], is_true(xs[0]), is_true(xs[1])))
    if name in BITWISE:
        return lambda xs: K.Binary(BITWISE[name], xs[0], xs[1])
    if name in SHIFTS:
        if node.inputs[0].element_type.name not in WIDTHS:
            raise DeviceError(f"CPU: {node.describe()}: shifts of "
                              f"{node.inputs[0].element_type.name} are not compiled")
        return lambda xs: shift(xs[0], xs[1], name == SHIFTS[0])
    if name == "BitwiseNot":  # booleans (u8 0/1) flip their lowest bit only
        mask = -1 if node.inputs[0].element_type.name != "boolean" else 1
        return lambda xs: K.Binary("xor", xs[0], constant_like(mask, xs[0]))
    if name == "LogicalNot":
        return lambda xs: as_bool(K.Binary("eq", xs[0], constant_like(0, xs[0])))
    if name == "Select":
        return lambda xs: K.Select(is_true(xs[0]), xs[1], xs[2])
    if name in ("FloorMod", "Mod"):
        return lambda xs: remainder(xs[0], xs[1], name == "FloorMod")
    test = number_test(node)
    return lambda xs: as_bool(test(xs[0]))


@lowers(*TYPED_ELEMENTWISE_OPS)
def lower_typed_elementwise(ctx: LoweringContext, node: Any) -> None:
    if node.attrs.get("auto_broadcast", "numpy") == "pdpd":
        raise DeviceError(f"CPU: {node.describe()}: pdpd broadcasting is not compiled")
    operands = [(ctx.buffer(value), static_shape(value)) for value in node.inputs]
    emit_broadcast_map(ctx, node.outputs[0], operands, typed_formula(node), node.op.name,
                       node.describe())


accept_element_types(ALL_ELEMENT_TYPES, *TYPED_ELEMENTWISE_OPS)
