"""The loop-level kernel IR shared by every code generation target.

A `Kernel` is a list of statements over named `Buffer`s: loops (the outermost may be parallel),
stores, and assignments to local variables. Expressions are scalar or vector (`lanes` > 1) and
typed with the kernel IR's own scalar types. Buffers carry no address: the memory planner places
them, and a renderer (LLVM today, OpenCL C later) turns a kernel plus that placement into code.

Invariants:
- index arithmetic is i64; a loop variable is i64 and runs start, start+step, ... < stop;
- a `Let` to a name already defined outside a loop, inside that loop, makes the variable
  loop-carried (renderers build phi nodes / plain C variables for it);
- only a kernel's single top-level statement may be a parallel loop; its iterations must be
  independent (each writes its own part of the outputs).
"""

from dataclasses import dataclass, field
from typing import Union

SCALAR_TYPES = ("f32", "f64", "f16", "bf16", "i64", "i32", "i16", "i8", "u64", "u32", "u16",
                "u8", "i1")
FLOAT_TYPES = ("f32", "f64", "f16", "bf16")
# f16 and bf16 are storage types: arithmetic on them is done in f32 and rounded per operation
# (numpy computes its float16 and ml_dtypes' bfloat16 ufuncs the same way).
NARROW_FLOAT_TYPES = ("f16", "bf16")
UNSIGNED_TYPES = ("u64", "u32", "u16", "u8", "i1")
ITEM_SIZES = {"f32": 4, "f64": 8, "f16": 2, "bf16": 2, "i64": 8, "i32": 4, "i16": 2, "i8": 1,
              "u64": 8, "u32": 4, "u16": 2, "u8": 1, "i1": 1}
BIT_WIDTHS = {"f32": 32, "f64": 64, "f16": 16, "bf16": 16, "i64": 64, "i32": 32, "i16": 16,
              "i8": 8, "u64": 64, "u32": 32, "u16": 16, "u8": 8, "i1": 1}
FLOAT_BINARY = ("add", "sub", "mul", "div", "max", "min", "pow")
INTEGER_BINARY = ("add", "sub", "mul", "div", "rem", "max", "min", "and", "or", "xor")
COMPARISONS = ("lt", "le", "gt", "ge", "eq", "ne")
UNARY = ("neg", "abs", "exp", "log", "sqrt", "floor", "ceil", "tanh", "sin", "cos", "not")


@dataclass(frozen=True)
class Buffer:
    """A named tensor in memory: `size` elements of `dtype`. Placement is decided elsewhere."""

    name: str
    dtype: str
    size: int


class Expr:
    dtype: str
    lanes: int


@dataclass(frozen=True)
class Const(Expr):
    value: Union[int, float, bool]
    dtype: str = "i64"
    lanes: int = 1


@dataclass(frozen=True)
class Var(Expr):
    name: str
    dtype: str = "i64"
    lanes: int = 1


@dataclass(frozen=True)
class Binary(Expr):
    op: str
    a: Expr
    b: Expr

    @property
    def dtype(self) -> str:
        return "i1" if self.op in COMPARISONS else self.a.dtype

    @property
    def lanes(self) -> int:
        return self.a.lanes


@dataclass(frozen=True)
class Unary(Expr):
    op: str
    a: Expr

    @property
    def dtype(self) -> str:
        return self.a.dtype

    @property
    def lanes(self) -> int:
        return self.a.lanes


@dataclass(frozen=True)
class Fma(Expr):
    """a * b + c with one rounding."""

    a: Expr
    b: Expr
    c: Expr

    @property
    def dtype(self) -> str:
        return self.a.dtype

    @property
    def lanes(self) -> int:
        return self.a.lanes


@dataclass(frozen=True)
class Select(Expr):
    cond: Expr
    a: Expr
    b: Expr

    @property
    def dtype(self) -> str:
        return self.a.dtype

    @property
    def lanes(self) -> int:
        return self.a.lanes


@dataclass(frozen=True)
class Cast(Expr):
    a: Expr
    dtype: str

    @property
    def lanes(self) -> int:
        return self.a.lanes


@dataclass(frozen=True)
class Splat(Expr):
    """A scalar repeated across `lanes`."""

    a: Expr
    lanes: int

    @property
    def dtype(self) -> str:
        return self.a.dtype


@dataclass(frozen=True)
class LaneMask(Expr):
    """`lanes` booleans: lane i is true when i < count (count is a scalar i64)."""

    count: Expr
    lanes: int
    dtype: str = "i1"


@dataclass(frozen=True)
class Iota(Expr):
    """The i64 vector <0, 1, ..., lanes-1>."""

    lanes: int
    dtype: str = "i64"


@dataclass(frozen=True)
class ReduceLanes(Expr):
    """A vector folded to a scalar with `op` ("add" or "max")."""

    op: str
    a: Expr

    @property
    def dtype(self) -> str:
        return self.a.dtype

    @property
    def lanes(self) -> int:
        return 1


@dataclass(frozen=True)
class Load(Expr):
    """`lanes` consecutive elements of `buffer` from element `index`; masked-off lanes are 0.

    A vector `index` (lanes > 1) gathers one element per lane instead.
    """

    buffer: Buffer
    index: Expr
    lanes: int = 1
    mask: Expr | None = None

    @property
    def dtype(self) -> str:
        return self.buffer.dtype


class Stmt:
    pass


@dataclass(frozen=True)
class Let(Stmt):
    """Defines or reassigns a local variable."""

    var: Var
    value: Expr


@dataclass(frozen=True)
class Store(Stmt):
    buffer: Buffer
    index: Expr
    value: Expr
    mask: Expr | None = None


@dataclass(frozen=True)
class Loop(Stmt):
    var: Var
    start: Expr
    stop: Expr
    body: tuple[Stmt, ...]
    step: int = 1
    parallel: bool = False


@dataclass
class Kernel:
    """One unit of work of a compiled graph; `source` names the graph node(s) it came from."""

    name: str
    body: list[Stmt]
    source: str = ""
    buffers: list[Buffer] = field(default_factory=list)

    def __post_init__(self):
        for stmt in self.body[1:]:
            if isinstance(stmt, Loop) and stmt.parallel:
                raise ValueError(f"kernel {self.name}: only the first statement may be parallel")


def is_float(dtype: str) -> bool:
    return dtype in FLOAT_TYPES


def is_unsigned(dtype: str) -> bool:
    return dtype in UNSIGNED_TYPES


def compute_dtype(dtype: str) -> str:
    """The type arithmetic on `dtype` values is done in: f32 for the narrow floats."""
    return "f32" if dtype in NARROW_FLOAT_TYPES else dtype


def widen(x: "Expr") -> "Expr":
    """`x` in its compute type (a no-op except for f16/bf16)."""
    target = compute_dtype(x.dtype)
    return x if target == x.dtype else Cast(x, target)


def narrow(x: "Expr", dtype: str) -> "Expr":
    """`x` (in the compute type of `dtype`) rounded to `dtype` for a store."""
    return x if x.dtype == dtype else Cast(x, dtype)


def const(value: Union[int, float], dtype: str = "i64") -> Const:
    return Const(value, dtype)


def add(a: Expr, b: Expr | int) -> Expr:
    return Binary("add", a, _as_expr(b, a))


def mul(a: Expr, b: Expr | int) -> Expr:
    return Binary("mul", a, _as_expr(b, a))


def _as_expr(value: Expr | int | float, like: Expr) -> Expr:
    if isinstance(value, Expr):
        return value
    return Const(value, like.dtype, like.lanes)


def index_of(coords: list[Expr], strides: list[int]) -> Expr:
    """The flat element index sum(coord * stride), skipping zero strides."""
    total: Expr = Const(0)
    for coord, stride in zip(coords, strides):
        if stride == 0:
            continue
        term = coord if stride == 1 else Binary("mul", coord, Const(stride))
        total = term if total == Const(0) else Binary("add", total, term)
    return total


def loop_nest(variables: list[Var], extents: list[int], body: list[Stmt],
              parallel_outer: bool = False) -> list[Stmt]:
    """Nested loops over [0, extent) for each variable, the first outermost."""
    statements = list(body)
    for depth in range(len(variables) - 1, -1, -1):
        parallel = parallel_outer and depth == 0
        statements = [Loop(variables[depth], Const(0), Const(extents[depth]), tuple(statements),
                           parallel=parallel)]
    return statements


def buffers_used(statements) -> set[str]:
    """Names of every buffer a list of statements loads from or stores to."""
    return set(buffer_objects(statements))


def buffer_objects(statements, found: dict | None = None) -> dict[str, Buffer]:
    """Every buffer a list of statements loads from or stores to, by name."""
    found = {} if found is None else found
    for statement in statements:
        if isinstance(statement, Store):
            found[statement.buffer.name] = statement.buffer
            _expr_buffers(statement.value, found)
            _expr_buffers(statement.index, found)
        elif isinstance(statement, Let):
            _expr_buffers(statement.value, found)
        elif isinstance(statement, Loop):
            buffer_objects(statement.body, found)
    return found


def _expr_buffers(expr: Expr, found: dict, seen: set | None = None) -> None:
    seen = set() if seen is None else seen
    if id(expr) in seen:
        return
    seen.add(id(expr))
    if isinstance(expr, Load):
        found[expr.buffer.name] = expr.buffer
    for child in getattr(expr, "__dataclass_fields__", {}):
        item = getattr(expr, child)
        if isinstance(item, Expr):
            _expr_buffers(item, found, seen)
