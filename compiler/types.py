"""Element types, named as OpenVINO names them (f32, f16, bf16, i8, u8, boolean, ...).

Types without a native numpy dtype (bf16, f8) use the ml_dtypes extension dtypes; pure storage
types (u1, i4, u4, nf4) have no numpy dtype and cannot be computed on by the reference.
"""

from dataclasses import dataclass

import ml_dtypes
import numpy as np
from vinify.errors import IRError


@dataclass(frozen=True)
class ElementType:
    """One element type: its OpenVINO name, width in bits, kind and numpy dtype (if any)."""

    name: str
    bitwidth: int
    kind: str  # "float", "int", "uint", "bool"
    dtype: np.dtype | None

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__

    @property
    def is_float(self) -> bool:
        return self.kind == "float"

    @property
    def is_integral(self) -> bool:
        return self.kind in ("int", "uint")

    @property
    def is_signed(self) -> bool:
        return self.kind in ("int", "float")


def _make(name: str, bits: int, kind: str, dtype) -> ElementType:
    return ElementType(name, bits, kind, None if dtype is None else np.dtype(dtype))


f64 = _make("f64", 64, "float", np.float64)
f32 = _make("f32", 32, "float", np.float32)
f16 = _make("f16", 16, "float", np.float16)
bf16 = _make("bf16", 16, "float", ml_dtypes.bfloat16)
f8e4m3 = _make("f8e4m3", 8, "float", ml_dtypes.float8_e4m3fn)
f8e5m2 = _make("f8e5m2", 8, "float", ml_dtypes.float8_e5m2)
i64 = _make("i64", 64, "int", np.int64)
i32 = _make("i32", 32, "int", np.int32)
i16 = _make("i16", 16, "int", np.int16)
i8 = _make("i8", 8, "int", np.int8)
u64 = _make("u64", 64, "uint", np.uint64)
u32 = _make("u32", 32, "uint", np.uint32)
u16 = _make("u16", 16, "uint", np.uint16)
u8 = _make("u8", 8, "uint", np.uint8)
boolean = _make("boolean", 8, "bool", np.bool_)
i4 = _make("i4", 4, "int", ml_dtypes.int4)
u4 = _make("u4", 4, "uint", ml_dtypes.uint4)
u1 = _make("u1", 1, "uint", None)
string = _make("string", 0, "string", np.object_)
# Narrow types ONNX has and ml_dtypes computes with (one element per byte in numpy arrays).
f8e4m3fnuz = _make("f8e4m3fnuz", 8, "float", ml_dtypes.float8_e4m3fnuz)
f8e5m2fnuz = _make("f8e5m2fnuz", 8, "float", ml_dtypes.float8_e5m2fnuz)
f8e8m0 = _make("f8e8m0", 8, "float", ml_dtypes.float8_e8m0fnu)
f4e2m1 = _make("f4e2m1", 4, "float", ml_dtypes.float4_e2m1fn)
i2 = _make("i2", 2, "int", ml_dtypes.int2)
u2 = _make("u2", 2, "uint", ml_dtypes.uint2)

ELEMENT_TYPES: dict[str, ElementType] = {
    t.name: t
    for t in (f64, f32, f16, bf16, f8e4m3, f8e5m2, i64, i32, i16, i8, u64, u32, u16, u8,
              boolean, i4, u4, u1, string, f8e4m3fnuz, f8e5m2fnuz, f8e8m0, f4e2m1, i2, u2)
}
_BY_DTYPE = {t.dtype: t for t in ELEMENT_TYPES.values() if t.dtype is not None and t is not string}


def element_type(spec: "str | np.dtype | type | ElementType") -> ElementType:
    """The element type for a name ("f32"), a numpy dtype, or a numpy scalar type."""
    if isinstance(spec, ElementType):
        return spec
    if isinstance(spec, str) and spec in ELEMENT_TYPES:
        return ELEMENT_TYPES[spec]
    try:
        dtype = np.dtype(spec)
    except TypeError:
        raise IRError(f"unknown element type {spec!r}") from None
    if dtype.kind in ("U", "S", "O"):
        return string
    if dtype not in _BY_DTYPE:
        raise IRError(f"numpy dtype {dtype} has no vinify element type")
    return _BY_DTYPE[dtype]
