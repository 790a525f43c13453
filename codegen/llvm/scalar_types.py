"""Scalar types of the kernel IR in LLVM, and conversions between them (Convert's semantics).

bf16 is kept as its 16 bits (i16): its conversions are integer operations, so the generated code
needs no libcall for it; f16 is LLVM's half (F16C converts it on x86).
"""

import llvmlite.ir as ir
import ml_dtypes
import numpy as np
from vinify.codegen import kernel_ir as K

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
I16 = ir.IntType(16)
F32, F64, F16 = ir.FloatType(), ir.DoubleType(), ir.HalfType()
VOID = ir.VoidType()
I8P = ir.PointerType(I8)
SCALAR = {"f32": F32, "f64": F64, "f16": F16, "bf16": I16, "i64": I64, "i32": I32, "i16": I16,
          "i8": I8, "u64": I64, "u32": I32, "u16": I16, "u8": I8, "i1": I1}
MANGLE = {"f32": "f32", "f64": "f64", "f16": "f16", "bf16": "i16", "i64": "i64", "i32": "i32",
          "i16": "i16", "i8": "i8", "u64": "i64", "u32": "i32", "u16": "i16", "u8": "i8",
          "i1": "i1"}


def llvm_type(dtype: str, lanes: int = 1) -> ir.Type:
    scalar = SCALAR[dtype]
    return scalar if lanes == 1 else ir.VectorType(scalar, lanes)


def mangled(dtype: str, lanes: int) -> str:
    return MANGLE[dtype] if lanes == 1 else f"v{lanes}{MANGLE[dtype]}"


def constant_number(value, dtype: str):
    """The number llvmlite prints for a `dtype` constant: floats rounded to the type (bf16 as
    its bits), integers wrapped to the signed range of their width (LLVM's constant syntax)."""
    if dtype == "bf16":
        return int(np.array(float(value), ml_dtypes.bfloat16).view(np.int16))
    if dtype == "f16":
        return float(np.float16(value))
    if K.is_float(dtype):
        return float(value)
    width = K.BIT_WIDTHS[dtype]
    if width == 1:
        return int(bool(value))
    half = 1 << (width - 1)
    return (int(value) + half) % (1 << width) - half


def _filled(kind: ir.Type, value) -> ir.Constant:
    """`value` in every lane of `kind` (or the scalar)."""
    if isinstance(kind, ir.VectorType):
        return ir.Constant(kind, [value] * kind.count)
    return ir.Constant(kind, value)


def cast_value(builder: ir.IRBuilder, value: ir.Value, source: str, target: str,
               lanes: int) -> ir.Value:
    """Convert's semantics: floats to integers truncate through i64 and wrap (as the reference's
    trunc -> int64 -> astype), to booleans test != 0; integers extend by their own signedness."""
    if source == target:
        return value
    if source == "bf16":
        return cast_value(builder, bf16_to_f32(builder, value, lanes), "f32", target, lanes)
    if target == "bf16":
        return f32_to_bf16(builder, cast_value(builder, value, source, "f32", lanes), lanes)
    kind = llvm_type(target, lanes)
    if K.is_float(source) and K.is_float(target):
        if K.BIT_WIDTHS[target] > K.BIT_WIDTHS[source]:
            return builder.fpext(value, kind)
        return builder.fptrunc(value, kind)
    if K.is_float(source):
        if target == "i1":
            return builder.fcmp_unordered("!=", value, _filled(value.type, 0.0))
        whole = builder.fptosi(value, llvm_type("i64", lanes))
        return whole if K.BIT_WIDTHS[target] == 64 else builder.trunc(whole, kind)
    if K.is_float(target):
        if K.is_unsigned(source):
            return builder.uitofp(value, kind)
        return builder.sitofp(value, kind)
    if target == "i1":
        return builder.icmp_unsigned("!=", value, _filled(value.type, 0))
    if SCALAR[target].width < SCALAR[source].width:
        return builder.trunc(value, kind)
    if SCALAR[target].width == SCALAR[source].width:
        return value
    return builder.zext(value, kind) if K.is_unsigned(source) else builder.sext(value, kind)


def bf16_to_f32(builder: ir.IRBuilder, bits: ir.Value, lanes: int) -> ir.Value:
    """A bf16 is the upper half of the f32 with the same value."""
    wide = builder.zext(bits, llvm_type("i32", lanes))
    shifted = builder.shl(wide, _filled(wide.type, 16))
    return builder.bitcast(shifted, llvm_type("f32", lanes))


def f32_to_bf16(builder: ir.IRBuilder, value: ir.Value, lanes: int) -> ir.Value:
    """Round to nearest even on the upper 16 bits (ml_dtypes' rounding); NaN stays a quiet
    NaN."""
    i32 = llvm_type("i32", lanes)
    bits = builder.bitcast(value, i32)
    upper = builder.lshr(bits, _filled(i32, 16))
    odd = builder.and_(upper, _filled(i32, 1))
    rounded = builder.lshr(builder.add(builder.add(bits, _filled(i32, 0x7FFF)), odd),
                           _filled(i32, 16))
    quiet_nan = builder.or_(upper, _filled(i32, 0x40))
    is_nan = builder.fcmp_unordered("uno", value, value)
    chosen = builder.select(is_nan, quiet_nan, rounded)
    return builder.trunc(chosen, llvm_type("i16", lanes))
