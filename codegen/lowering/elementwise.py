"""Elementwise ops (with numpy broadcasting) lowered to vectorized loop nests.

Dimensions that are contiguous for every operand are collapsed first; the innermost remaining
dimension is vectorized (operands with stride 1 are loaded as vectors, stride-0 operands are
splatted), the tail masked. The outermost dimension is split across threads when it pays.

Formulas are written over the operands' compute type: f16 and bf16 values are widened to f32 when
loaded and rounded once when stored (numpy's float16 ufuncs round once per op too); integers keep
their own type, with the reference's integer semantics (floor division, Power through f64).
"""

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    INTEGER_ELEMENT_TYPES,
    NUMPY_DTYPES,
    LoweringContext,
    lowers,
    static_shape,
)
from vinify.errors import DeviceError

PARALLEL_MIN_ELEMENTS = 16384
NUMBER_TYPES = FLOAT_ELEMENT_TYPES | INTEGER_ELEMENT_TYPES
SIGNED_TYPES = FLOAT_ELEMENT_TYPES | {"i64", "i32", "i16", "i8"}
# Output element types each elementwise op computes (the type inference limits the rest).
ELEMENTWISE_TYPES = {"Relu": SIGNED_TYPES | {"u64", "u32", "u16", "u8"},
                     "Clamp": NUMBER_TYPES, "Abs": NUMBER_TYPES, "Negative": SIGNED_TYPES,
                     "Floor": NUMBER_TYPES, "Ceiling": NUMBER_TYPES}


def fconst(value: float, like: K.Expr) -> K.Expr:
    """`value` as a constant of `like`'s type and lanes (integers: truncated, saturated)."""
    if K.is_float(like.dtype):
        return K.Const(float(value), like.dtype, like.lanes)
    return K.Const(saturated_integer(value, like.dtype), like.dtype, like.lanes)


def saturated_integer(value: float, dtype: str) -> int:
    info = np.iinfo(NUMPY_DTYPES[dtype])
    if value != value:
        return 0
    if value >= info.max:
        return int(info.max)
    return int(info.min) if value <= info.min else int(value)


def fmax(a: K.Expr, b: K.Expr) -> K.Expr:
    return K.Binary("max", a, b)


def fmin(a: K.Expr, b: K.Expr) -> K.Expr:
    return K.Binary("min", a, b)


def sigmoid(x: K.Expr) -> K.Expr:
    one = fconst(1.0, x)
    return K.Binary("div", one, K.Binary("add", one, K.Unary("exp", K.Unary("neg", x))))


def activation(op_name: str, attrs: dict) -> Callable[[K.Expr], K.Expr] | None:
    """The formula of a unary activation, or None when `op_name` is not one."""
    if op_name == "Relu":
        return lambda x: fmax(x, fconst(0.0, x))
    if op_name == "Clamp":  # integer bounds: ceil(min), floor(max), as the reference
        return lambda x: fmin(fmax(x, fconst(_bound(attrs["min"], x, np.ceil), x)),
                              fconst(_bound(attrs["max"], x, np.floor), x))
    if op_name == "Sigmoid":
        return sigmoid
    if op_name == "HSigmoid":
        return lambda x: K.Binary("div", _relu6(K.Binary("add", x, fconst(3, x))), fconst(6, x))
    if op_name == "HSwish":
        return lambda x: K.Binary("mul", x, K.Binary(
            "div", _relu6(K.Binary("add", x, fconst(3, x))), fconst(6, x)))
    if op_name == "Elu":
        alpha = attrs.get("alpha", 1.0)
        return lambda x: K.Select(K.Binary("gt", x, fconst(0, x)), x, K.Binary(
            "mul", fconst(alpha, x), K.Binary("sub", K.Unary("exp", x), fconst(1, x))))
    unary = {"Exp": "exp", "Log": "log", "Sqrt": "sqrt", "Abs": "abs", "Negative": "neg",
             "Floor": "floor", "Ceiling": "ceil", "Tanh": "tanh"}
    if op_name in unary:
        return lambda x: K.Unary(unary[op_name], x)
    return None


def _bound(value: float, like: K.Expr, rounding) -> float:
    return value if K.is_float(like.dtype) else float(rounding(value))


def _relu6(x: K.Expr) -> K.Expr:
    return fmin(fmax(x, fconst(0, x)), fconst(6, x))


BINARY = {"Add": "add", "Subtract": "sub", "Multiply": "mul", "Divide": "div",
          "Maximum": "max", "Minimum": "min", "Power": "pow"}


def binary(op_name: str, attrs: dict | None = None
           ) -> Callable[[K.Expr, K.Expr], K.Expr] | None:
    if op_name == "Divide":
        floor = (attrs or {}).get("m_pythondiv", True)
        return lambda a, b: divide(a, b, floor)
    if op_name == "Power":
        return power
    if op_name in BINARY:
        return lambda a, b: K.Binary(BINARY[op_name], a, b)
    if op_name == "SquaredDifference":
        return lambda a, b: K.Binary("mul", K.Binary("sub", a, b), K.Binary("sub", a, b))
    if op_name == "PRelu":
        return lambda x, slope: K.Select(K.Binary("lt", x, fconst(0, x)),
                                         K.Binary("mul", x, slope), x)
    return None


def divide(a: K.Expr, b: K.Expr, floor: bool) -> K.Expr:
    """Float division, or the reference's integer division: a divisor of 0 reads as 1, the
    quotient truncated, or floored when `floor` (Python's //). x / -1 is negation (MIN / -1
    traps on x86)."""
    if K.is_float(a.dtype):
        return K.Binary("div", a, b)
    zero, one = fconst(0, b), fconst(1, b)
    safe = K.Select(K.Binary("eq", b, zero), one, b)
    if K.is_unsigned(a.dtype):
        return K.Binary("div", a, safe)
    minus_one = K.Binary("eq", safe, fconst(-1, b))
    safe = K.Select(minus_one, one, safe)
    quotient = K.Binary("div", a, safe)
    if floor:
        rest = K.Binary("sub", a, K.Binary("mul", quotient, safe))
        signs_differ = K.Binary("ne", K.Binary("lt", rest, zero), K.Binary("lt", safe, zero))
        adjust = K.Binary("and", K.Binary("ne", rest, zero), signs_differ)
        quotient = K.Select(adjust, K.Binary("sub", quotient, one), quotient)
    return K.Select(minus_one, K.Unary("neg", a), quotient)


def power(a: K.Expr, b: K.Expr) -> K.Expr:
    """Integers are raised in f64 and converted back, as the reference does."""
    if K.is_float(a.dtype):
        return K.Binary("pow", a, b)
    return K.Cast(K.Binary("pow", K.Cast(a, "f64"), K.Cast(b, "f64")), a.dtype)


@dataclass
class ElementwiseStep:
    """One elementwise node as (operand per input, formula over the inputs' expressions).
    An operand is the input's graph value, or a (buffer, shape) made by the lowering."""

    node: Any
    operands: list
    formula: Callable[[list[K.Expr]], K.Expr]


STEP_BUILDERS: dict[str, Callable] = {}
ACTIVATIONS = ("Relu", "Clamp", "Sigmoid", "HSigmoid", "HSwish", "Elu", "Exp", "Log", "Sqrt",
               "Abs", "Negative", "Floor", "Ceiling", "Tanh")
BINARIES = ("Add", "Subtract", "Multiply", "Divide", "Maximum", "Minimum", "Power",
            "SquaredDifference", "PRelu")


def step_builder(*op_names: str) -> Callable:
    def register(function: Callable) -> Callable:
        for name in op_names:
            STEP_BUILDERS[name] = function
        return function

    return register


@step_builder(*ACTIVATIONS)
def activation_step(ctx: LoweringContext, node: Any) -> ElementwiseStep:
    formula = activation(node.op.name, node.attrs)
    return ElementwiseStep(node, [node.inputs[0]], lambda xs: formula(xs[0]))


@step_builder(*BINARIES)
def binary_step(ctx: LoweringContext, node: Any) -> ElementwiseStep:
    formula = binary(node.op.name, node.attrs)
    operands: list = list(node.inputs)
    if node.op.name == "PRelu":
        data, slope = static_shape(node.inputs[0]), static_shape(node.inputs[1])
        operands[1] = (ctx.buffer(node.inputs[1]), prelu_slope_shape(data, slope))
    return ElementwiseStep(node, operands, lambda xs: formula(xs[0], xs[1]))


def chain_successor(node: Any, claimed: set[int]) -> Any:
    """The single user of `node`'s output when it is elementwise with the same output shape."""
    value = node.outputs[0]
    if len(value.uses) != 1 or not value.shape.is_static:
        return None
    user = value.uses[0][0]
    if user.op.name not in STEP_BUILDERS or id(user) in claimed or len(user.outputs) != 1:
        return None
    if not user.outputs[0].shape.is_static or user.outputs[0].shape != value.shape:
        return None
    if user.outputs[0].element_type.name != "f32" or value.element_type.name != "f32":
        return None
    return user


def lower_chain(ctx: LoweringContext, nodes: list) -> None:
    """A chain of elementwise nodes (each the single user of the one before) as one kernel."""
    steps = [STEP_BUILDERS[n.op.name](ctx, n) for n in nodes]
    operands: list[tuple] = []
    plans = []  # per step: for each input, ("chain",) or ("leaf", index into operands)
    for position, step in enumerate(steps):
        plan = []
        for operand in step.operands:
            if position > 0 and operand is nodes[position - 1].outputs[0]:
                plan.append(("chain", 0))
                continue
            if not isinstance(operand, tuple):
                operand = (ctx.buffer(operand), static_shape(operand))
            plan.append(("leaf", len(operands)))
            operands.append(operand)
        plans.append(plan)

    def formula(leaves: list[K.Expr]) -> K.Expr:
        value = None
        for step, plan in zip(steps, plans):
            value = step.formula([value if kind == "chain" else leaves[i] for kind, i in plan])
        return value

    source = " + ".join(n.describe() for n in nodes)
    emit_broadcast_map(ctx, nodes[-1].outputs[0], operands, formula, nodes[0].op.name, source)


@lowers(*ACTIVATIONS, *BINARIES, dtypes=FLOAT_ELEMENT_TYPES)
def lower_elementwise(ctx: LoweringContext, node: Any) -> None:
    if node.attrs.get("auto_broadcast", "numpy") == "pdpd":
        raise DeviceError(f"CPU: {node.describe()}: pdpd broadcasting is not compiled")
    lower_chain(ctx, [node])


for _name, _types in ELEMENTWISE_TYPES.items():
    lowers(_name, dtypes=_types)(lower_elementwise)
lowers("Add", "Subtract", "Multiply", "Divide", "Maximum", "Minimum", "Power",
       "SquaredDifference", "PRelu", dtypes=NUMBER_TYPES)(lower_elementwise)


def prelu_slope_shape(data: tuple, slope: tuple) -> tuple:
    """OpenVINO's PRelu applies a 1-D slope of the channel count along axis 1."""
    if len(slope) == 1 and len(data) >= 2 and slope[0] == data[1] and slope[0] != data[-1]:
        return (slope[0],) + (1,) * (len(data) - 2)
    return slope


def broadcast_strides(shape: tuple, out_shape: tuple) -> list[int]:
    """Element strides of a row-major tensor of `shape` broadcast to `out_shape` (0: repeated)."""
    padded = (1,) * (len(out_shape) - len(shape)) + tuple(shape)
    strides, step = [], 1
    for extent in reversed(padded):
        strides.append(step if extent != 1 else 0)
        step *= extent
    return list(reversed(strides))


def collapse(extents: list[int], stride_sets: list[list[int]]) -> tuple[list[int], list[list]]:
    """Merges neighbouring dimensions that are contiguous for every operand."""
    dims = [(e, [s[i] for s in stride_sets]) for i, e in enumerate(extents) if e != 1]
    if not dims:
        return [1], [[0] for _ in stride_sets]
    merged = [dims[0]]
    for extent, strides in dims[1:]:
        outer_extent, outer_strides = merged[-1]
        if all(o == s * extent for o, s in zip(outer_strides, strides)):
            merged[-1] = (outer_extent * extent, strides)
        else:
            merged.append((extent, strides))
    extents = [e for e, _ in merged]
    per_operand = [[strides[k] for _, strides in merged] for k in range(len(stride_sets))]
    return extents, per_operand


def emit_broadcast_map(ctx: LoweringContext, out_value: Any, operands: list[tuple],
                       formula: Callable[[list[K.Expr]], K.Expr], stem: str, source: str,
                       out: K.Buffer | None = None) -> K.Buffer:
    """out[i] = formula(operand[i] ...) over the output shape, with numpy broadcasting."""
    out_shape = static_shape(out_value)
    out = out or ctx.output(out_value)
    stride_sets = [broadcast_strides(shape, out_shape) for _, shape in operands]
    stride_sets.append(broadcast_strides(out_shape, out_shape))
    emit_strided_map(ctx, [buffer for buffer, _ in operands] + [out], list(out_shape),
                     stride_sets, formula, stem, source)
    return out


def emit_strided_map(ctx: LoweringContext, buffers: list[K.Buffer], extents: list[int],
                     stride_sets: list[list[int]], formula: Callable, stem: str, source: str,
                     out_offset: int = 0) -> None:
    """buffers[-1][out_offset + idx] = formula(operands) over `extents`, each operand (and the
    output, last) addressed with its own element strides."""
    extents, strides = collapse(extents, stride_sets)
    lanes = ctx.target.vector_lanes
    inner_ok = all(s[-1] in (0, 1) for s in strides[:-1]) and strides[-1][-1] == 1
    inner_ok = inner_ok and buffers[-1].dtype == "f32"
    # f16/bf16 have no vector load in OpenCL C without cl_khr_fp16 (vload_half is per element)
    inner_ok = inner_ok and not any(b.dtype in K.NARROW_FLOAT_TYPES for b in buffers)
    body = _map_body(buffers, extents, strides, formula, lanes if inner_ok else 1, out_offset)
    parallel = len(extents) > 1 and int(np.prod(extents)) >= PARALLEL_MIN_ELEMENTS
    variables = [K.Var(f"i{d}") for d in range(len(extents) - 1)]
    ctx.emit(stem, K.loop_nest(variables, extents[:-1], body, parallel_outer=parallel), source)


def _map_body(buffers, extents, strides, formula, lanes: int, out_offset: int = 0
              ) -> list[K.Stmt]:
    outer = [K.Var(f"i{d}") for d in range(len(extents) - 1)]
    inner = K.Var("j")
    inner_extent = extents[-1]
    coords = outer + [inner]
    mask = None if inner_extent % lanes == 0 else K.LaneMask(
        K.Binary("sub", K.Const(inner_extent), inner), lanes)
    values = []
    for buffer, stride in zip(buffers[:-1], strides[:-1]):
        index = K.index_of(coords, stride)
        if lanes == 1:
            values.append(K.widen(K.Load(buffer, index)))
        elif stride[-1] == 0:
            values.append(K.Splat(K.widen(K.Load(buffer, index)), lanes))
        else:
            values.append(K.widen(K.Load(buffer, index, lanes, mask)))
    target = K.Binary("add", K.Const(out_offset), K.index_of(coords, strides[-1]))
    store = K.Store(buffers[-1], target, K.narrow(formula(values), buffers[-1].dtype), mask)
    return [K.Loop(inner, K.Const(0), K.Const(inner_extent), (store,), step=lanes)]
