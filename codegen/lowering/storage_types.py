"""Convert to and from the storage-only element types (f8*, f4e2m1, i4, u4, i2, u2).

These types live in memory as one byte per element, as numpy/ml_dtypes keep them, and nothing
computes on them: data movement copies their bytes and Convert translates them.

- From any 8-bit type (the storage types, i8, u8, boolean) the conversion is a lookup in a
  256-entry table computed at compile time with the reference's own conversion, so it is exact
  by construction.
- To i4/u4/i2/u2: the value truncated to i64 (Convert's rule), then wrapped to the low bits,
  which is how ml_dtypes stores and wraps them.
- To the narrow floats: the value is taken to f32 and looked up by a branch-free binary search
  in the sorted thresholds where ml_dtypes' rounding (round to nearest even, saturation or
  overflow to NaN/inf, per type) changes code. The thresholds are found at compile time by
  bisection over f32 bit patterns, per sign, so no rounding rule is re-implemented here.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    STORAGE_ELEMENT_TYPES,
    LoweringContext,
    accept_element_types,
    kernel_dtype,
    static_shape,
)
from vinify.codegen.lowering.data_movement import MAPPED_OPS
from vinify.codegen.lowering.indexing import GATHER_OPS
from vinify.errors import DeviceError
from vinify.ops.conversion import convert_array

INTEGER_BITS = {"i4": 4, "u4": 4, "i2": 2, "u2": 2}
PARALLEL_MIN_ELEMENTS = 4096
SEARCH_SIZE = 512  # thresholds per sign, padded with NaN (compares false); a power of two
MOVING_OPS = ("Convert", "ConvertLike", "Identity", *MAPPED_OPS, *GATHER_OPS)


def is_storage_conversion(source: Any, target: Any) -> bool:
    return (source.element_type.name in STORAGE_ELEMENT_TYPES
            or target.element_type.name in STORAGE_ELEMENT_TYPES)


def lower_storage_conversion(ctx: LoweringContext, node: Any) -> None:
    """Convert (or ConvertLike) where the source or the result is a storage type."""
    source, target = node.inputs[0], node.outputs[0]
    data, out = ctx.buffer(source), ctx.output(target)
    size = int(np.prod(static_shape(source), dtype=np.int64))
    i = K.Var("i")
    x = K.Load(data, i)
    if data.dtype in ("u8", "i8"):  # every 8-bit source: storage types, i8, u8, boolean
        value = _table_lookup(ctx, node, x)
    elif target.element_type.name in INTEGER_BITS:
        bits = INTEGER_BITS[target.element_type.name]
        whole = K.Cast(K.widen(x), "i64")
        value = K.Cast(K.Binary("and", whole, K.Const((1 << bits) - 1)), "u8")
    else:
        value = _float_search(ctx, target.element_type.dtype, K.Cast(K.widen(x), "f32"))
    loop = K.Loop(i, K.Const(0), K.Const(size), (K.Store(out, i, value),),
                  parallel=size >= PARALLEL_MIN_ELEMENTS)
    ctx.emit("convert_storage", [loop], node.describe())


def _table_lookup(ctx: LoweringContext, node: Any, byte: K.Expr) -> K.Expr:
    source, target = node.inputs[0], node.outputs[0]
    codes = np.arange(256, dtype=np.uint8).view(source.element_type.dtype)
    try:
        with np.errstate(all="ignore"):
            converted = convert_array(codes, target.element_type.dtype)
    except (TypeError, ValueError) as error:  # pairs ml_dtypes cannot convert between
        raise DeviceError(f"CPU: {node.describe()}: {source.element_type} -> "
                          f"{target.element_type} is not convertible: {error}") from None
    if target.element_type.name in STORAGE_ELEMENT_TYPES:
        converted = np.ascontiguousarray(converted).view(np.uint8)
    table = ctx.add_weights("convert_table", converted, kernel_dtype(target))
    return K.Load(table, K.Cast(K.Cast(byte, "u8"), "i64"))  # i8 bytes index as 0..255


def _float_search(ctx: LoweringContext, dtype: np.dtype, x: K.Expr) -> K.Expr:
    """The code of f32 `x` in the narrow float `dtype`: a binary search per sign side."""
    thresholds, codes, nan_code = search_tables(dtype)
    limits = ctx.add_weights("convert_limits", thresholds, "f32")
    results = ctx.add_weights("convert_codes", codes, "u8")
    zero = K.Const(0.0, "f32")
    negative = K.Select(K.Binary("eq", x, zero),
                        K.Binary("lt", K.Binary("div", K.Const(1.0, "f32"), x), zero),
                        K.Binary("lt", x, zero))
    magnitude = K.Unary("abs", x)
    base = K.Select(negative, K.Const(SEARCH_SIZE), K.Const(0))
    position: K.Expr = K.Const(0)
    step = SEARCH_SIZE // 2
    while step >= 1:
        probe = K.Load(limits, K.Binary("add", base, K.Binary("add", position,
                                                              K.Const(step - 1))))
        position = K.Select(K.Binary("le", probe, magnitude),
                            K.Binary("add", position, K.Const(step)), position)
        step //= 2
    code = K.Load(results, K.Binary("add", base, position))
    return K.Select(K.Binary("ne", x, x), K.Const(nan_code, "u8"), code)


def search_tables(dtype: np.dtype) -> tuple[np.ndarray, np.ndarray, int]:
    """Per sign (positive half first): ascending |x| thresholds (NaN padded) where the code
    changes, the code below each threshold count, and the code of NaN."""
    thresholds, codes = [], []
    for sign in (1.0, -1.0):
        limits, side_codes = _side_breakpoints(dtype, sign)
        pad = SEARCH_SIZE - len(limits)
        thresholds.append(np.concatenate([limits, np.full(pad, np.nan, np.float32)]))
        codes.append(np.concatenate([side_codes, np.full(pad - 1, side_codes[-1], np.uint8)]))
    nan_code = int(np.array([np.nan], np.float32).astype(dtype).view(np.uint8)[0])
    return np.concatenate(thresholds), np.concatenate(codes), nan_code


def _codes_of(dtype: np.dtype, sign: float, keys: np.ndarray) -> np.ndarray:
    """The byte codes of sign * (the f32 whose bit pattern is each key)."""
    values = keys.astype(np.uint32).view(np.float32) * np.float32(sign)
    with np.errstate(all="ignore"):
        return values.astype(dtype).view(np.uint8)


def _side_breakpoints(dtype: np.dtype, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """For sign * |x| with |x| from 0 to +inf (f32 bit patterns ascend with |x|): the |x|
    where the code changes, and the codes of the pieces (one more than breakpoints)."""
    every = np.arange(256, dtype=np.uint8).view(dtype).astype(np.float32)
    magnitudes = np.unique(np.abs(np.concatenate([every[np.isfinite(every)], [0.0]])))
    probes = np.concatenate([magnitudes, [np.float32(np.inf)]]).astype(np.float32)
    keys = probes.view(np.uint32).astype(np.int64)
    codes = _codes_of(dtype, sign, keys)
    distinct = np.concatenate([[True], codes[1:] != codes[:-1]])
    keys, codes = keys[distinct], codes[distinct]
    low, high = keys[:-1].copy(), keys[1:].copy()  # code(low) is the old one, code(high) new
    old = codes[:-1]
    while np.any(high - low > 1):
        middle = (low + high) // 2
        same = _codes_of(dtype, sign, middle) == old
        low = np.where(same, middle, low)
        high = np.where(same, high, middle)
    limits = high.astype(np.uint32).view(np.float32)
    if len(limits) >= SEARCH_SIZE:
        raise ValueError(f"{dtype}: {len(limits)} code changes exceed the search table")
    return limits, codes


accept_element_types(STORAGE_ELEMENT_TYPES, *MOVING_OPS)
