"""Kernel IR -> C-family source text: the statements, scalar expressions and names every C-like
target shares (OpenCL C today; a plain C target could reuse it).

A kernel becomes one function whose body declares a typed pointer per buffer it touches (a
space base plus a byte offset from the placement), then the statements as C loops. Expressions
are rendered fully parenthesized. Operations whose C spelling would repeat an operand (max, min,
integer abs, lane masks, vector loads) are small `static inline` helper functions emitted once
per type, so no expression text is ever duplicated.

Vectors (lanes > 1) have no portable C spelling: the hooks `vector_*` raise here and are filled
in by targets that have vector types (OpenCL C `floatN`).

Variable names are prefixed (`v_` for locals, `b_` for buffers) so a kernel IR name can never
collide with a C keyword or builtin.
"""

import math
from dataclasses import dataclass, field

import numpy as np
from vinify.codegen import kernel_ir as K

# The C type of a value. f16 values are floats in C (memory holds half: vload_half/vstore_half,
# which need no cl_khr_fp16); bf16 values are their 16 bits (ushort), converted for arithmetic.
C_SCALAR = {"f32": "float", "f64": "double", "f16": "float", "bf16": "ushort", "i64": "long",
            "i32": "int", "i16": "short", "i8": "char", "u64": "ulong", "u32": "uint",
            "u16": "ushort", "u8": "uchar", "i1": "int"}
C_STORAGE = {**C_SCALAR, "f16": "half"}
NARROW_INTEGERS = ("i8", "u8", "i16", "u16")  # C promotes their arithmetic to int
BF16_HELPERS = {
    "vx_bf16_to_float": "float vx_bf16_to_float(ushort b) { return as_float(((uint)b) << 16); }",
    "vx_float_to_bf16": (
        "ushort vx_float_to_bf16(float f) {\n"
        "  uint bits = as_uint(f);\n"
        "  if (f != f) return (ushort)((bits >> 16) | 0x40u);\n"
        "  return (ushort)((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);\n}"),
}
OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "rem": "%", "and": "&",
             "or": "|", "xor": "^", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==",
             "ne": "!="}
FLOAT_FUNCTIONS = {"exp": "exp", "log": "log", "sqrt": "sqrt", "floor": "floor", "ceil": "ceil",
                   "tanh": "tanh", "sin": "sin", "cos": "cos", "abs": "fabs"}


@dataclass
class KernelSource:
    """One rendered kernel: its name and the function text."""

    name: str
    text: str


@dataclass
class Scope:
    """Local variables declared in one C block (a name declared outside is only assigned)."""

    names: set[str] = field(default_factory=set)


class CStyleRenderer:
    """Renders kernels to C-like functions; subclasses set the dialect's hooks."""

    kernel_prefix = "void"
    arena_type = "char*"
    weights_type = "const char*"
    indent_unit = "  "
    helper_prefix = "static inline"

    def __init__(self, placement: dict):
        self.placement = placement
        self.scalars = dict(C_SCALAR)  # a target may compute "f32" in another C type
        self._hoisted: dict[int, str] = {}  # id of a shared subexpression -> its local's name
        self._temporaries = 0
        self.helpers: dict[str, str] = {}  # helper name -> definition, in first-use order
        self._scopes: list[Scope] = []
        self._lines: list[str] = []

    # -- names and types --------------------------------------------------------------------

    @staticmethod
    def var_name(name: str) -> str:
        return "v_" + name

    @staticmethod
    def buffer_name(buffer: K.Buffer) -> str:
        return "b_" + buffer.name

    def ctype(self, dtype: str, lanes: int = 1) -> str:
        if lanes == 1:
            return self.scalars[dtype]
        return self.vector_type(dtype, lanes)

    def pointer_type(self, buffer: K.Buffer) -> str:
        const = "const " if self.placement[buffer.name].space == "weights" else ""
        return f"{const}{self.storage_type(buffer.dtype)}*"

    def storage_type(self, dtype: str) -> str:
        """The C type of a buffer element (f16: half, read and written through vload_half)."""
        return self.scalars[dtype] if dtype == "f32" else C_STORAGE[dtype]

    def helper(self, name: str, definition: str) -> str:
        """Registers a helper function once; returns its name."""
        self.helpers.setdefault(name, definition)
        return name

    # -- kernels ------------------------------------------------------------------------------

    def render_kernel(self, kernel: K.Kernel) -> KernelSource:
        self._lines, self._scopes = [], [Scope()]
        self._hoisted, self._temporaries = {}, 0
        signature = (f"{self.kernel_prefix} {kernel.name}({self.arena_type} arena, "
                     f"{self.weights_type} weights)")
        self._line(0, signature + " {")
        if kernel.source:
            self._line(1, "/* " + kernel.source.replace("*/", "* /")[:200] + " */")
        buffers = {buffer.name: buffer for buffer in _all_buffers(kernel.body)}
        for name in sorted(buffers):
            self._declare_buffer(buffers[name])
        self.kernel_body(kernel, 1)
        self._line(0, "}")
        return KernelSource(kernel.name, "\n".join(self._lines))

    def kernel_body(self, kernel: K.Kernel, depth: int) -> None:
        """Serial C: the parallel loop is an ordinary loop (targets with threads override)."""
        self.statements(kernel.body, depth)

    def _declare_buffer(self, buffer: K.Buffer) -> None:
        place = self.placement[buffer.name]
        base = "arena" if place.space == "arena" else "weights"
        kind = self.pointer_type(buffer)
        self._line(1, f"{kind} {self.buffer_name(buffer)} = ({kind})({base} + {place.offset});")

    def _line(self, depth: int, text: str) -> None:
        self._lines.append(self.indent_unit * depth + text)

    # -- statements ---------------------------------------------------------------------------

    def statements(self, statements, depth: int) -> None:
        for statement in statements:
            self.statement(statement, depth)

    def statement(self, statement: K.Stmt, depth: int) -> None:
        if isinstance(statement, K.Loop):
            self.loop(statement, depth)
            return
        if not isinstance(statement, (K.Let, K.Store)):
            raise TypeError(f"unknown kernel statement {statement!r}")
        self.hoist_shared(_statement_expressions(statement), depth)
        if isinstance(statement, K.Let):
            self.let(statement, depth)
        else:
            self._line(depth, self.store(statement) + ";")
        self._hoisted = {}  # ids are only meaningful while the statement lives

    def hoist_shared(self, roots: list[K.Expr], depth: int) -> None:
        """Subexpressions one statement uses more than once (the same object: kernel IR is a
        DAG) become named locals first, so the text never repeats them (it would grow
        exponentially with the sharing depth). Kernel IR evaluates eagerly, so this keeps
        its meaning."""
        uses: dict[int, int] = {}
        order: list[K.Expr] = []

        def visit(node: K.Expr) -> None:
            if isinstance(node, (K.Var, K.Const, K.Iota)):
                return
            uses[id(node)] = uses.get(id(node), 0) + 1
            if uses[id(node)] > 1:
                return
            for child in _children(node):
                visit(child)
            order.append(node)  # after its children: they are named first

        for root in roots:
            visit(root)
        for node in order:
            if uses[id(node)] < 2:
                continue
            name = f"t_{self._temporaries}"
            self._temporaries += 1
            self._line(depth, f"{self.ctype(node.dtype, node.lanes)} {name} = {self.expr(node)};")
            self._hoisted[id(node)] = name

    def let(self, statement: K.Let, depth: int) -> None:
        name = self.var_name(statement.var.name)
        value = self.expr(statement.value)
        if any(name in scope.names for scope in self._scopes):
            self._line(depth, f"{name} = {value};")
            return
        self._scopes[-1].names.add(name)
        kind = self.ctype(statement.value.dtype, statement.value.lanes)
        self._line(depth, f"{kind} {name} = {value};")

    def loop(self, loop: K.Loop, depth: int) -> None:
        var = self.var_name(loop.var.name)
        start, stop = self.expr(loop.start), self.expr(loop.stop)
        self._line(depth, f"for (long {var} = {start}; {var} < {stop}; {var} += {loop.step}) {{")
        self.block(loop.body, depth + 1, {var})
        self._line(depth, "}")

    def block(self, statements, depth: int, names: set[str]) -> None:
        self._scopes.append(Scope(set(names)))
        self.statements(statements, depth)
        self._scopes.pop()

    def store(self, statement: K.Store) -> str:
        pointer = self.buffer_name(statement.buffer)
        value = self.expr(statement.value)
        lanes = statement.value.lanes
        if lanes > 1:
            return self.vector_store(statement, pointer, value)
        index = self.expr(statement.index)
        if statement.buffer.dtype == "f16":
            write = f"vstore_half_rte({value}, {index}, {pointer})"
        else:
            write = f"{pointer}[{index}] = {value}"
        if statement.mask is not None:
            return f"if ({self.expr(statement.mask)}) {write}"
        return write

    # -- expressions --------------------------------------------------------------------------

    def expr(self, node: K.Expr) -> str:
        if id(node) in self._hoisted:
            return self._hoisted[id(node)]
        method = getattr(self, "expr_" + type(node).__name__.lower())
        return method(node)

    def expr_const(self, node: K.Const) -> str:
        scalar = self.scalar_literal(node.value, node.dtype)
        if node.lanes == 1:
            return scalar
        if node.dtype == "i1":
            scalar = "-1" if node.value else "0"
        return self.vector_splat_text(scalar, node.dtype, node.lanes)

    def scalar_literal(self, value, dtype: str) -> str:
        if dtype == "f32" and self.scalars["f32"] != "float":
            return f"(({self.scalars['f32']}){float_literal(float(value))})"
        if dtype in ("f32", "f16"):
            return float_literal(float(value))
        if dtype == "f64":
            return double_literal(float(value))
        if dtype == "bf16":
            return f"((ushort){bf16_bits(value)})"
        if dtype == "i1":
            return "1" if value else "0"
        return integer_literal(int(value), dtype, self.scalars[dtype])

    def expr_var(self, node: K.Var) -> str:
        return self.var_name(node.name)

    def expr_binary(self, node: K.Binary) -> str:
        if node.a.dtype == "bf16":
            widened = K.Binary(node.op, K.Cast(node.a, "f32"), K.Cast(node.b, "f32"))
            return self.expr(widened if node.op in K.COMPARISONS else K.Cast(widened, "bf16"))
        a, b = self.expr(node.a), self.expr(node.b)
        kind = self.ctype(node.a.dtype, node.lanes)
        if node.op in ("max", "min"):
            return f"{self.min_max_helper(node.op, node.a.dtype, node.lanes)}({a}, {b})"
        if node.op == "pow":
            return f"pow({a}, {b})"
        if node.op in K.COMPARISONS and node.lanes > 1:
            return self.vector_compare(node.op, a, b, node.a.dtype, node.lanes)
        if node.op in ("add", "sub", "mul", "div", "rem") and node.a.dtype in NARROW_INTEGERS:
            return f"(({kind})({a} {OPERATORS[node.op]} {b}))"  # C promotes to int
        return f"({a} {OPERATORS[node.op]} {b})"

    def min_max_helper(self, op: str, dtype: str, lanes: int) -> str:
        kind = self.ctype(dtype, lanes)
        name = f"vx_{op}_{kind}"
        relation = ">" if op == "max" else "<"
        condition = f"a {relation} b"
        if K.is_float(dtype):  # NaN-propagating, as numpy's maximum/minimum (a != a: a is NaN)
            condition += " || a != a"
        pick = self.pick(condition, "a", "b", dtype, lanes)
        return self.helper(name, f"{self.helper_prefix} {kind} {name}({kind} a, {kind} b) "
                                 f"{{ return {pick}; }}")

    def pick(self, condition: str, if_true: str, if_false: str, dtype: str, lanes: int) -> str:
        """`condition ? if_true : if_false` where the condition is a comparison of dtype."""
        if lanes == 1:
            return f"({condition}) ? {if_true} : {if_false}"
        return self.vector_pick(condition, if_true, if_false, dtype, lanes)

    def expr_unary(self, node: K.Unary) -> str:
        if node.dtype == "bf16" and node.op != "not":
            return self.expr(K.Cast(K.Unary(node.op, K.Cast(node.a, "f32")), "bf16"))
        a = self.expr(node.a)
        if node.op == "neg" and node.dtype in NARROW_INTEGERS:  # C promotes them to int
            return f"(({self.ctype(node.dtype, node.lanes)})(-{a}))"
        if node.op == "neg":
            return f"(-{a})"
        if node.op == "not":
            return f"(!{a})" if node.lanes == 1 else f"(~{a})"
        if not K.is_float(node.dtype) and node.op in ("floor", "ceil"):
            return a
        if not K.is_float(node.dtype) and node.op == "abs":
            kind = self.ctype(node.dtype, node.lanes)
            name = f"vx_iabs_{kind}"
            pick = self.pick("a < 0", "-a", "a", node.dtype, node.lanes)
            self.helper(name, f"{self.helper_prefix} {kind} {name}({kind} a) {{ return {pick}; }}")
            return f"{name}({a})"
        return f"{FLOAT_FUNCTIONS[node.op]}({a})"

    def expr_fma(self, node: K.Fma) -> str:
        """A plain a*b+c: targets contract it into one instruction where the hardware has one,
        while an explicit fma() call can become a library call (PoCL)."""
        if node.dtype == "bf16":
            parts = [K.Cast(x, "f32") for x in (node.a, node.b, node.c)]
            return self.expr(K.Cast(K.Fma(*parts), "bf16"))
        return f"({self.expr(node.a)} * {self.expr(node.b)} + {self.expr(node.c)})"

    def expr_select(self, node: K.Select) -> str:
        cond, a, b = self.expr(node.cond), self.expr(node.a), self.expr(node.b)
        if node.lanes == 1:
            return f"({cond} ? {a} : {b})"
        return self.vector_select(cond, a, b, node.dtype, node.lanes)

    def expr_cast(self, node: K.Cast) -> str:
        """Convert's semantics: floats to integers truncate through long and wrap; bf16 goes
        through float."""
        a, source, target = self.expr(node.a), node.a.dtype, node.dtype
        if node.lanes > 1:
            return self.vector_cast(a, source, target, node.lanes)
        if source == "bf16":
            a, source = f"{self.bf16_helper('vx_bf16_to_float')}({a})", "f32"
        if target == "bf16":
            return f"{self.bf16_helper('vx_float_to_bf16')}((float){a})"
        if target == "i1":
            return f"({a} != 0)"
        if K.is_float(source) and not K.is_float(target):
            return f"(({self.scalars[target]})(long){a})"
        return f"(({self.scalars[target]}){a})"

    def bf16_helper(self, name: str) -> str:
        return self.helper(name, f"{self.helper_prefix} {BF16_HELPERS[name]}")

    def expr_splat(self, node: K.Splat) -> str:
        a = self.expr(node.a)
        if node.a.dtype == "i1":
            a = f"-({a})"  # a true vector lane is all ones
        return self.vector_splat_text(a, node.dtype, node.lanes)

    def expr_load(self, node: K.Load) -> str:
        pointer = self.buffer_name(node.buffer)
        if node.lanes > 1:
            return self.vector_load(node, pointer)
        index = self.expr(node.index)
        read = (f"vload_half({index}, {pointer})" if node.dtype == "f16"
                else f"{pointer}[{index}]")
        if node.mask is not None:
            zero = self.scalar_literal(0, node.dtype)
            return f"({self.expr(node.mask)} ? {read} : {zero})"
        return read

    # -- vector hooks (targets with vector types override) ------------------------------------

    def vector_type(self, dtype: str, lanes: int) -> str:
        raise NotImplementedError(f"{type(self).__name__} renders scalar kernels only")

    def vector_splat_text(self, scalar: str, dtype: str, lanes: int) -> str:
        raise NotImplementedError(f"{type(self).__name__} renders scalar kernels only")

    def vector_compare(self, op: str, a: str, b: str, dtype: str, lanes: int) -> str:
        raise NotImplementedError(f"{type(self).__name__} renders scalar kernels only")

    def vector_pick(self, condition: str, if_true: str, if_false: str, dtype: str,
                    lanes: int) -> str:
        raise NotImplementedError(f"{type(self).__name__} renders scalar kernels only")

    def vector_select(self, cond: str, a: str, b: str, dtype: str, lanes: int) -> str:
        raise NotImplementedError(f"{type(self).__name__} renders scalar kernels only")

    def vector_cast(self, a: str, source: str, target: str, lanes: int) -> str:
        raise NotImplementedError(f"{type(self).__name__} renders scalar kernels only")

    def vector_load(self, node: K.Load, pointer: str) -> str:
        raise NotImplementedError(f"{type(self).__name__} renders scalar kernels only")

    def vector_store(self, statement: K.Store, pointer: str, value: str) -> str:
        raise NotImplementedError(f"{type(self).__name__} renders scalar kernels only")


def float_literal(value: float) -> str:
    """The exact f32 value as a C float literal (the shortest decimal that reads back)."""
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INFINITY" if value > 0 else "(-INFINITY)"
    text = repr(float(np.float32(value)))
    if "e" not in text and "." not in text:
        text += ".0"
    return f"{text}f" if not text.startswith("-") else f"({text}f)"


def double_literal(value: float) -> str:
    if math.isnan(value):
        return "((double)NAN)"
    if math.isinf(value):
        return "((double)INFINITY)" if value > 0 else "((double)(-INFINITY))"
    text = repr(value)
    if "e" not in text and "." not in text:
        text += ".0"
    return text if not text.startswith("-") else f"({text})"


def bf16_bits(value: float) -> int:
    import ml_dtypes

    return int(np.array(float(value), ml_dtypes.bfloat16).view(np.uint16))


def integer_literal(value: int, dtype: str, ctype: str) -> str:
    """A C literal of `value` wrapped to `dtype`'s width; the most negative long is spelled as
    an expression (its magnitude is no long literal)."""
    width = K.BIT_WIDTHS[dtype]
    value %= 1 << width
    if not K.is_unsigned(dtype) and value >= 1 << (width - 1):
        value -= 1 << width
    if dtype == "u64":
        return f"{value}UL"
    if dtype == "i64":
        return f"({value + 1}L - 1L)" if value == -(1 << 63) else f"{value}L"
    if dtype == "i32":
        return str(value) if value != -(1 << 31) else f"({value + 1} - 1)"
    if dtype == "u32":
        return f"{value}U"
    return f"(({ctype}){value})"


def _children(expr: K.Expr) -> list[K.Expr]:
    return [getattr(expr, name) for name in getattr(expr, "__dataclass_fields__", {})
            if isinstance(getattr(expr, name), K.Expr)]


def _statement_expressions(statement: K.Stmt) -> list[K.Expr]:
    if isinstance(statement, K.Let):
        return [statement.value]
    return [e for e in (statement.value, statement.index, statement.mask) if e is not None]


def _all_buffers(statements, seen: set[int] | None = None):
    """Every Buffer the statements touch; each shared subexpression visited once."""
    seen = set() if seen is None else seen
    for statement in statements:
        if isinstance(statement, K.Loop):
            yield from _all_buffers(statement.body, seen)
            continue
        if isinstance(statement, K.Store):
            yield statement.buffer
        for expr in _statement_expressions(statement):
            yield from _expr_buffers(expr, seen)


def _expr_buffers(expr: K.Expr, seen: set[int]):
    if id(expr) in seen:
        return
    seen.add(id(expr))
    if isinstance(expr, K.Load):
        yield expr.buffer
    for child in _children(expr):
        yield from _expr_buffers(child, seen)
