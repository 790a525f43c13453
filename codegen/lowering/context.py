"""What a lowering function sees: buffers for graph values, weights, scratch, and kernel output.

A lowering is registered per op name with `@lowers("Relu", ...)`; it receives the context and the
node (or, for fused groups, the group) and appends kernels with `ctx.emit`. Values are placed in
buffers named after them; constants become weights; a view (Reshape, Squeeze, ...) shares its
input's buffer.
"""

from typing import Any, Callable, Iterable

import ml_dtypes
import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.target import Target
from vinify.errors import DeviceError

LOWERINGS: dict[str, Callable] = {}
KERNEL_DTYPES = {"f32": "f32", "f64": "f64", "f16": "f16", "bf16": "bf16", "i64": "i64",
                 "i32": "i32", "i16": "i16", "i8": "i8", "u64": "u64", "u32": "u32",
                 "u16": "u16", "u8": "u8", "boolean": "u8"}
NUMPY_DTYPES = {"f32": np.float32, "f64": np.float64, "f16": np.float16,
                "bf16": ml_dtypes.bfloat16, "i64": np.int64, "i32": np.int32, "i16": np.int16,
                "i8": np.int8, "u64": np.uint64, "u32": np.uint32, "u16": np.uint16,
                "u8": np.uint8}

# Types compiled as their bytes only (numpy/ml_dtypes keep one element per byte): data movement
# copies them, Convert converts them through tables (storage_types.py); nothing computes on them.
STORAGE_ELEMENT_TYPES = frozenset({"f8e4m3", "f8e5m2", "f8e4m3fnuz", "f8e5m2fnuz", "f8e8m0",
                                   "f4e2m1", "i4", "u4", "i2", "u2"})
KERNEL_DTYPES.update({name: "u8" for name in STORAGE_ELEMENT_TYPES})

# Element types (graph names) of the first output each op's lowering computes correctly; the
# per-node support check asks this table. An op not listed takes f32 only.
F32_ONLY = frozenset({"f32"})
ALL_ELEMENT_TYPES = frozenset(KERNEL_DTYPES) - STORAGE_ELEMENT_TYPES
FLOAT_ELEMENT_TYPES = frozenset({"f32", "f64", "f16", "bf16"})
INTEGER_ELEMENT_TYPES = frozenset({"i64", "i32", "i16", "i8", "u64", "u32", "u16", "u8"})
ACCEPTED_ELEMENT_TYPES: dict[str, frozenset] = {}
WEIGHT_FOLD_LIMIT = 1 << 40  # elements: any constant subgraph is folded at compile time


def lowers(*op_names: str, dtypes: Iterable[str] | None = None) -> Callable:
    """Registers a lowering of `op_names`; `dtypes` are the output element types it handles
    (f32 only when not given)."""
    def register(function: Callable) -> Callable:
        for name in op_names:
            LOWERINGS[name] = function
        if dtypes is not None:
            accept_element_types(dtypes, *op_names)
        return function

    return register


def accept_element_types(dtypes: Iterable[str], *op_names: str) -> None:
    """Declares that the lowerings of `op_names` handle outputs of these element types."""
    for name in op_names:
        ACCEPTED_ELEMENT_TYPES[name] = ACCEPTED_ELEMENT_TYPES.get(name, F32_ONLY) | set(dtypes)


def accepted_element_types(op_name: str) -> frozenset:
    return ACCEPTED_ELEMENT_TYPES.get(op_name, F32_ONLY)


def static_shape(value: Any) -> tuple[int, ...]:
    if not value.shape.is_static:
        raise DeviceError(f"CPU: {value.describe()} has a dynamic shape {value.shape}; "
                          f"the CPU device compiles static shapes only")
    return tuple(value.shape.to_tuple())


def kernel_dtype(value: Any) -> str:
    name = value.element_type.name
    if name not in KERNEL_DTYPES:
        raise DeviceError(f"CPU: {value.describe()} has element type {name}, "
                          f"which the CPU device does not support")
    return KERNEL_DTYPES[name]


class LoweringContext:
    def __init__(self, target: Target):
        self.target = target
        self.kernels: list[K.Kernel] = []
        self.weights: dict[str, np.ndarray] = {}
        self.arena_buffers: dict[str, K.Buffer] = {}
        self._value_buffers: dict[int, K.Buffer] = {}
        self._constants: dict[int, np.ndarray | None] = {}
        self._names: set[str] = set()

    # -- naming -------------------------------------------------------------------------------

    def unique(self, stem: str) -> str:
        clean = "".join(c if c.isalnum() else "_" for c in stem)[:48] or "t"
        name, count = clean, 1
        while name in self._names:
            count += 1
            name = f"{clean}_{count}"
        self._names.add(name)
        return name

    # -- constants and weights ----------------------------------------------------------------

    def constant(self, value: Any) -> np.ndarray | None:
        """The value's array when computable at compile time (folded with numpy references)."""
        from vinify.ir import constant_value

        if id(value) not in self._constants:
            self._constants[id(value)] = constant_value(value, WEIGHT_FOLD_LIMIT,
                                                        self._constants_memo())
        return self._constants[id(value)]

    def _constants_memo(self) -> dict:
        if not hasattr(self, "_memo"):
            self._memo: dict = {}
        return self._memo

    def add_weights(self, stem: str, array: np.ndarray, dtype: str = "f32") -> K.Buffer:
        data = np.ascontiguousarray(array, dtype=NUMPY_DTYPES[dtype]).reshape(-1)
        buffer = K.Buffer(self.unique("w_" + stem), dtype, max(int(data.size), 1))
        self.weights[buffer.name] = data
        return buffer

    # -- value buffers ------------------------------------------------------------------------

    def buffer(self, value: Any) -> K.Buffer:
        """The buffer holding `value`: already produced, or a weights buffer for a constant."""
        if id(value) in self._value_buffers:
            return self._value_buffers[id(value)]
        array = self.constant(value)
        if array is None:
            raise DeviceError(f"CPU: internal error: {value.describe()} used before produced")
        if value.element_type.name in STORAGE_ELEMENT_TYPES:
            array = np.ascontiguousarray(array).view(np.uint8)
        buffer = self.add_weights(value.name or value.node.name or "const", array,
                                  kernel_dtype(value))
        self._value_buffers[id(value)] = buffer
        return buffer

    def output(self, value: Any) -> K.Buffer:
        """A fresh arena buffer for a value this step produces."""
        size = int(np.prod(static_shape(value), dtype=np.int64))
        buffer = K.Buffer(self.unique(value.name or value.node.name or "t"), kernel_dtype(value),
                          max(size, 1))
        self.arena_buffers[buffer.name] = buffer
        self._value_buffers[id(value)] = buffer
        return buffer

    def alias(self, value: Any, source: Any) -> None:
        """`value` is a view of `source`: same bytes, another shape."""
        self._value_buffers[id(value)] = self.buffer(source)

    def bind(self, value: Any, buffer: K.Buffer) -> None:
        self._value_buffers[id(value)] = buffer

    def has_buffer(self, value: Any) -> bool:
        return id(value) in self._value_buffers

    def scratch(self, stem: str, size: int, dtype: str = "f32") -> K.Buffer:
        buffer = K.Buffer(self.unique("scratch_" + stem), dtype, max(int(size), 1))
        self.arena_buffers[buffer.name] = buffer
        return buffer

    # -- kernels ------------------------------------------------------------------------------

    def emit(self, stem: str, body: list[K.Stmt], source: str = "") -> None:
        self.kernels.append(K.Kernel(self.unique("k_" + stem), body, source))
