"""Kernel IR -> LLVM IR (llvmlite.ir): one function per kernel and one graph entry point.

Every kernel is `void k(i8** ctx)` where ctx[0] is the arena, ctx[1] the weights and ctx[2] a
work counter; a kernel whose top statement is a parallel loop is also a valid `GOMP_parallel`
body: threads take chunks of the loop's iterations from the counter until none are left. The
entry point `vinify_run(arena, weights, threads)` calls the kernels in order, so one native call
runs a whole inference.

Loop-carried variables become phi nodes directly (no mem2reg needed), so the module is compiled
with the code generator's O3 and no IR optimization pipeline.
"""

from dataclasses import dataclass

import llvmlite.ir as ir
from vinify.codegen import kernel_ir as K
from vinify.codegen.llvm.scalar_types import (
    I1,
    I8P,
    I32,
    I64,
    SCALAR,
    VOID,
    cast_value,
    constant_number,
    llvm_type,
    mangled,
)

LIBM_TANH = {"f32": "tanhf", "f64": "tanh"}
SPACE_INDEX = {"arena": 0, "weights": 1}
FUNCTION_ATTRIBUTES_MARK = ") nounwind\n{"
CONTEXT_SLOTS = 4  # arena, weights, the running parallel loop's grab and done counters
COUNTER_SLOT = 2
DONE_SLOT = 3
CHUNKS_PER_THREAD = 4


@dataclass(frozen=True)
class Placement:
    """Where a buffer lives: a space ("arena" or "weights") and a byte offset in it."""

    space: str
    offset: int


class PreformattedConstant(ir.Constant):
    """A constant that prints a fixed text (llvmlite's own wraps vector text per element)."""

    def __init__(self, kind: ir.Type, text: str):
        self.type = kind
        self.constant = text

    def _to_string(self) -> str:
        return self.constant

    def _get_reference(self) -> str:
        return self.constant


_CONSTANTS: dict[tuple, ir.Constant] = {}


def constant(kind: ir.Type, value) -> ir.Constant:
    """A constant whose text is formatted once: llvmlite formats a constant again at every use,
    which dominated rendering time; repeated vector values print as `splat (...)`."""
    key = (str(kind), repr(value))
    if key in _CONSTANTS:
        return _CONSTANTS[key]
    if not isinstance(kind, ir.VectorType):
        text = ir.Constant(kind, value).get_reference()
    elif value is ir.Undefined:
        text = "undef"
    else:
        values = list(value) if isinstance(value, (list, tuple)) else [value] * kind.count
        if len(set(map(repr, values))) > 1:
            text = ir.Constant(kind, values).get_reference()
        elif repr(values[0]) in ("0", "0.0", "False"):
            text = "zeroinitializer"
        else:
            text = f"splat ({ir.Constant(kind.element, values[0])})"
    _CONSTANTS[key] = PreformattedConstant(kind, text)
    return _CONSTANTS[key]


class ModuleRenderer:
    """Owns the llvmlite module, the intrinsic declarations and the per-kernel functions."""

    def __init__(self, placement: dict[str, Placement], function_attributes: str = ""):
        self.module = ir.Module(name="vinify")
        self.placement = placement
        self.function_attributes = function_attributes
        self._declared: dict[str, ir.Function] = {}
        self.kernel_type = ir.FunctionType(VOID, [ir.PointerType(I8P)])

    def declare(self, name: str, result: ir.Type, arguments: list[ir.Type]) -> ir.Function:
        if name not in self._declared:
            self._declared[name] = ir.Function(self.module, ir.FunctionType(result, arguments),
                                               name)
        return self._declared[name]

    def render_kernel(self, kernel: K.Kernel) -> ir.Function:
        function = ir.Function(self.module, self.kernel_type, kernel.name)
        function.attributes.add("nounwind")
        builder = ir.IRBuilder(function.append_basic_block("entry"))
        body = KernelBody(self, builder, function.args[0])
        body.prepare_bases(K.buffer_objects(kernel.body))
        body.kernel_statements(kernel)
        builder.ret_void()
        return function

    def render_shared_kernel(self, kernels: list[K.Kernel]) -> list[ir.Function]:
        """Kernels identical but for their buffers (ResNet's repeated blocks) as one function,
        `void shared(i8** ctx, i8* buffer...)` with the buffers in `buffer_objects` order, and
        per kernel a small function of the usual signature that passes its own buffers: the
        code is generated and compiled once."""
        first = kernels[0]
        buffers = list(K.buffer_objects(first.body).values())
        shared = ir.Function(self.module, ir.FunctionType(
            VOID, [ir.PointerType(I8P)] + [I8P] * len(buffers)), first.name + "_shared")
        shared.attributes.add("nounwind")
        builder = ir.IRBuilder(shared.append_basic_block("entry"))
        body = KernelBody(self, builder, shared.args[0])
        body.typed_bases = {
            buffer.name: builder.bitcast(argument, ir.PointerType(llvm_type(buffer.dtype)),
                                         name=buffer.name)
            for buffer, argument in zip(buffers, shared.args[1:])}
        body.kernel_statements(first)
        builder.ret_void()
        return [self._call_shared(kernel, shared) for kernel in kernels]

    def _call_shared(self, kernel: K.Kernel, shared: ir.Function) -> ir.Function:
        function = ir.Function(self.module, self.kernel_type, kernel.name)
        function.attributes.add("nounwind")
        builder = ir.IRBuilder(function.append_basic_block("entry"))
        spaces = {space: builder.load(builder.gep(function.args[0], [I32(index)]))
                  for space, index in SPACE_INDEX.items()}
        bases = []
        for name in K.buffer_objects(kernel.body):
            placement = self.placement[name]
            bases.append(builder.gep(spaces[placement.space], [I64(placement.offset)]))
        builder.call(shared, [function.args[0], *bases])
        builder.ret_void()
        return function

    def declare_kernel(self, kernel: K.Kernel) -> ir.Function:
        """A kernel defined in another module of the same library."""
        return self.declare(kernel.name, VOID, [ir.PointerType(I8P)])

    def render_entry(self, kernels: list[K.Kernel], functions: list[ir.Function]) -> None:
        """`void vinify_run(i8* arena, i8* weights, i32 threads)`: every kernel in order, in
        one thread team (see codegen/llvm/threading.py)."""
        from vinify.codegen.llvm import threading

        threading.render_entry(self, kernels, functions, is_parallel_kernel)

    def text(self) -> str:
        text = str(self.module)
        if self.function_attributes:
            text = text.replace(FUNCTION_ATTRIBUTES_MARK,
                                f") nounwind {self.function_attributes}\n{{")
        return text


class KernelBody:
    """Renders statements and expressions of one kernel into its function."""

    def __init__(self, owner: ModuleRenderer, builder: ir.IRBuilder, context: ir.Value):
        self.owner = owner
        self.builder = builder
        self.context = context
        self.bases: dict[str, ir.Value] = {}
        self.cache: dict[int, tuple] = {}
        for space, index in SPACE_INDEX.items():
            slot = builder.gep(context, [I32(index)])
            self.bases[space] = builder.load(slot, name=space)

    def prepare_bases(self, buffers: dict[str, K.Buffer]) -> None:
        """Typed base pointers of every buffer, computed once in the entry block."""
        self.typed_bases: dict[str, ir.Value] = {}
        for name, buffer in buffers.items():
            placement = self.owner.placement[name]
            raw = self.builder.gep(self.bases[placement.space], [I64(placement.offset)])
            self.typed_bases[name] = self.builder.bitcast(
                raw, ir.PointerType(llvm_type(buffer.dtype)), name=name)

    # -- statements -------------------------------------------------------------------------

    def kernel_statements(self, kernel: K.Kernel) -> None:
        """The kernel's statements; a leading parallel loop takes its chunks of iterations."""
        first = kernel.body[0] if kernel.body else None
        if isinstance(first, K.Loop) and first.parallel:
            self.parallel_loop(first)
            self.statements(kernel.body[1:], {})
        else:
            self.statements(kernel.body, {})

    def statements(self, statements, env: dict) -> dict:
        for statement in statements:
            self.statement(statement, env)
        return env

    def statement(self, statement: K.Stmt, env: dict) -> None:
        if isinstance(statement, K.Let):
            value = self.expr(statement.value, env)
            if statement.var.name in env:  # a reassignment may make cached values stale
                self.cache.clear()
            env[statement.var.name] = value
        elif isinstance(statement, K.Store):
            self.store(statement, env)
        elif isinstance(statement, K.Loop):
            self.loop(statement, env, self.expr(statement.start, env),
                      self.expr(statement.stop, env))
        else:
            raise TypeError(f"unknown kernel statement {statement!r}")

    def parallel_loop(self, loop: K.Loop) -> None:
        """Iterations handed out in chunks from a shared counter (ctx[2], zeroed by the caller):
        a thread the OS runs late takes fewer chunks instead of holding up the others, which a
        static split cannot do on shared cores. Finished iterations are added to ctx[3]; a
        thread leaves once all are done (the kernel's results are then complete)."""
        builder = self.builder
        threads = builder.sext(
            builder.call(self.owner.declare("omp_get_num_threads", I32, []), []), I64)
        start = self.expr(loop.start, {})
        step = I64(loop.step)
        count = builder.sdiv(builder.add(builder.sub(self.expr(loop.stop, {}), start),
                                         I64(loop.step - 1)), step)
        chunk = builder.sdiv(count, builder.mul(threads, I64(CHUNKS_PER_THREAD)))
        chunk = builder.select(builder.icmp_signed("<", chunk, I64(1)), I64(1), chunk)
        counter = builder.bitcast(builder.gep(self.context, [I32(COUNTER_SLOT)]),
                                  ir.PointerType(I64))
        done = builder.bitcast(builder.gep(self.context, [I32(DONE_SLOT)]), ir.PointerType(I64))
        grab = builder.append_basic_block("grab")
        work = builder.append_basic_block("work")
        finished = builder.append_basic_block("finished")
        builder.branch(grab)
        builder.position_at_end(grab)
        first = builder.atomic_rmw("add", counter, chunk, "monotonic")
        builder.cbranch(builder.icmp_signed("<", first, count), work, finished)
        builder.position_at_end(work)
        last = builder.add(first, chunk)
        last = builder.select(builder.icmp_signed("<", last, count), last, count)
        self.loop(loop, {}, builder.add(start, builder.mul(first, step)),
                  builder.add(start, builder.mul(last, step)))
        builder.atomic_rmw("add", done, builder.sub(last, first), "release")
        builder.branch(grab)
        builder.position_at_end(finished)
        from vinify.codegen.llvm.threading import wait_until_done

        wait_until_done(self.owner, builder, done, count)  # every chunk, not only this thread's

    def loop(self, loop: K.Loop, env: dict, start: ir.Value, stop: ir.Value) -> None:
        builder = self.builder
        carried = [name for name in assigned_names(loop.body) if name in env]
        preheader = builder.block
        header = builder.append_basic_block("loop")
        body_block = builder.append_basic_block("body")
        exit_block = builder.append_basic_block("done")
        builder.branch(header)
        builder.position_at_end(header)
        counter = builder.phi(I64, name=loop.var.name)
        counter.add_incoming(start, preheader)
        phis = {}
        for name in carried:
            phis[name] = builder.phi(env[name].type, name=name)
            phis[name].add_incoming(env[name], preheader)
        builder.cbranch(builder.icmp_signed("<", counter, stop), body_block, exit_block)
        builder.position_at_end(body_block)
        inner = {**env, **phis, loop.var.name: counter}
        self.statements(loop.body, inner)
        counter.add_incoming(builder.add(counter, I64(loop.step)), builder.block)
        for name, phi in phis.items():
            phi.add_incoming(inner[name], builder.block)
        builder.branch(header)
        builder.position_at_end(exit_block)
        env.update(phis)

    def store(self, statement: K.Store, env: dict) -> None:
        value = self.expr(statement.value, env)
        lanes = statement.value.lanes
        if statement.index.lanes > 1:
            self.scatter(statement, value, env)
            return
        pointer = self.element_pointer(statement.buffer, statement.index, env, lanes)
        if statement.mask is None:
            self.builder.store(value, pointer, align=_alignment(statement.buffer))
            return
        dtype = statement.buffer.dtype
        function = self.owner.declare(
            f"llvm.masked.store.{mangled(dtype, lanes)}.p0", VOID,
            [value.type, pointer.type, I32, llvm_type("i1", lanes)])
        self.builder.call(function, [value, pointer, I32(_alignment(statement.buffer)),
                                     self.expr(statement.mask, env)])

    def element_pointer(self, buffer: K.Buffer, index: K.Expr, env: dict, lanes: int):
        pointer = self.builder.gep(self.typed_bases[buffer.name], [self.expr(index, env)])
        if lanes == 1:
            return pointer
        return self.builder.bitcast(pointer, ir.PointerType(llvm_type(buffer.dtype, lanes)))

    # -- expressions ------------------------------------------------------------------------

    def expr(self, node: K.Expr, env: dict) -> ir.Value:
        """The value of `node`; an expression object met again in the same block and bindings
        is not rendered twice (lowerings reuse objects for shared subexpressions)."""
        if isinstance(node, (K.Var, K.Const)):
            return getattr(self, "expr_" + type(node).__name__.lower())(node, env)
        key = id(node)
        cached = self.cache.get(key)
        if cached is not None and cached[1] is self.builder.block and cached[2] is node:
            return cached[0]
        value = getattr(self, "expr_" + type(node).__name__.lower())(node, env)
        self.cache[key] = (value, self.builder.block, node)
        return value

    def expr_const(self, node: K.Const, env: dict) -> ir.Value:
        scalar = SCALAR[node.dtype]
        value = constant_number(node.value, node.dtype)
        if node.lanes == 1:
            return constant(scalar, value)
        return constant(ir.VectorType(scalar, node.lanes), value)

    def expr_var(self, node: K.Var, env: dict) -> ir.Value:
        return env[node.name]

    def expr_binary(self, node: K.Binary, env: dict) -> ir.Value:
        a, b = self.expr(node.a, env), self.expr(node.b, env)
        dtype = node.a.dtype
        if dtype in K.NARROW_FLOAT_TYPES:  # computed in f32, rounded to the type per operation
            a, b = self.widened(a, dtype, node.lanes), self.widened(b, dtype, node.lanes)
            result = self.float_binary(node.op, a, b, node.lanes, "f32")
            return result if node.op in K.COMPARISONS else self.narrowed(result, dtype,
                                                                         node.lanes)
        if K.is_float(dtype):
            return self.float_binary(node.op, a, b, node.lanes, dtype)
        return self.integer_binary(node.op, a, b, dtype)

    def widened(self, value: ir.Value, dtype: str, lanes: int) -> ir.Value:
        return cast_value(self.builder, value, dtype, K.compute_dtype(dtype), lanes)

    def narrowed(self, value: ir.Value, dtype: str, lanes: int) -> ir.Value:
        return cast_value(self.builder, value, K.compute_dtype(dtype), dtype, lanes)

    def float_binary(self, op: str, a, b, lanes: int, dtype: str = "f32") -> ir.Value:
        builder = self.builder
        simple = {"add": builder.fadd, "sub": builder.fsub, "mul": builder.fmul,
                  "div": builder.fdiv}
        if op in simple:
            return simple[op](a, b)
        if op in ("max", "min"):  # NaN-propagating, as numpy's maximum/minimum
            function = "maximum" if op == "max" else "minimum"
            return builder.call(self.intrinsic(function, dtype, lanes, 2), [a, b])
        if op == "pow":
            return builder.call(self.intrinsic("pow", dtype, lanes, 2), [a, b])
        predicate = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}[op]
        if op == "ne":
            return builder.fcmp_unordered(predicate, a, b)
        return builder.fcmp_ordered(predicate, a, b)

    def integer_binary(self, op: str, a, b, dtype: str) -> ir.Value:
        builder = self.builder
        unsigned = K.is_unsigned(dtype)
        simple = {"add": builder.add, "sub": builder.sub, "mul": builder.mul,
                  "and": builder.and_, "or": builder.or_, "xor": builder.xor,
                  "div": builder.udiv if unsigned else builder.sdiv,
                  "rem": builder.urem if unsigned else builder.srem}
        if op in simple:
            return simple[op](a, b)
        compare = builder.icmp_unsigned if unsigned else builder.icmp_signed
        if op == "max":
            return builder.select(compare(">", a, b), a, b)
        if op == "min":
            return builder.select(compare("<", a, b), a, b)
        predicate = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}[op]
        return compare(predicate, a, b)

    def intrinsic(self, name: str, dtype: str, lanes: int, arity: int) -> ir.Function:
        kind = llvm_type(dtype, lanes)
        return self.owner.declare(f"llvm.{name}.{mangled(dtype, lanes)}", kind, [kind] * arity)

    def expr_unary(self, node: K.Unary, env: dict) -> ir.Value:
        a = self.expr(node.a, env)
        dtype = node.dtype
        if dtype in K.NARROW_FLOAT_TYPES and node.op != "not":
            result = self.float_unary(node.op, self.widened(a, dtype, node.lanes), "f32",
                                      node.lanes)
            return self.narrowed(result, dtype, node.lanes)
        if K.is_float(dtype) and node.op != "not":
            return self.float_unary(node.op, a, dtype, node.lanes)
        return self.integer_unary(node.op, a, dtype)

    def float_unary(self, op: str, a: ir.Value, dtype: str, lanes: int) -> ir.Value:
        if op == "neg":
            return self.builder.fneg(a)
        if op == "abs":
            return self.builder.call(self.intrinsic("fabs", dtype, lanes, 1), [a])
        if op == "tanh":
            return self.scalar_libm_call(LIBM_TANH[dtype], a, lanes)
        return self.builder.call(self.intrinsic(op, dtype, lanes, 1), [a])

    def integer_unary(self, op: str, a: ir.Value, dtype: str) -> ir.Value:
        """neg wraps; abs of an unsigned value, floor and ceil of any integer are the value."""
        if op == "neg":
            return self.builder.neg(a)
        if op == "not":
            return self.builder.not_(a)
        if op == "abs" and not K.is_unsigned(dtype):
            return self.builder.select(self.builder.icmp_signed("<", a, constant(a.type, 0)),
                                       self.builder.neg(a), a)
        if op in ("abs", "floor", "ceil"):
            return a
        raise TypeError(f"kernel IR: {op} of {dtype} integers")

    def scalar_libm_call(self, name: str, a: ir.Value, lanes: int) -> ir.Value:
        scalar = a.type.element if lanes > 1 else a.type
        function = self.owner.declare(name, scalar, [scalar])
        if lanes == 1:
            return self.builder.call(function, [a])
        result = constant(a.type, ir.Undefined)
        for lane in range(lanes):
            item = self.builder.call(function, [self.builder.extract_element(a, I32(lane))])
            result = self.builder.insert_element(result, item, I32(lane))
        return result

    def expr_fma(self, node: K.Fma, env: dict) -> ir.Value:
        arguments = [self.expr(x, env) for x in (node.a, node.b, node.c)]
        dtype = node.dtype
        if dtype in K.NARROW_FLOAT_TYPES:
            arguments = [self.widened(x, dtype, node.lanes) for x in arguments]
            result = self.builder.call(self.intrinsic("fma", "f32", node.lanes, 3), arguments)
            return self.narrowed(result, dtype, node.lanes)
        if not K.is_float(dtype):
            product = self.builder.mul(arguments[0], arguments[1])
            return self.builder.add(product, arguments[2])
        return self.builder.call(self.intrinsic("fma", dtype, node.lanes, 3), arguments)

    def expr_select(self, node: K.Select, env: dict) -> ir.Value:
        return self.builder.select(self.expr(node.cond, env), self.expr(node.a, env),
                                   self.expr(node.b, env))

    def expr_cast(self, node: K.Cast, env: dict) -> ir.Value:
        return cast_value(self.builder, self.expr(node.a, env), node.a.dtype, node.dtype,
                          node.lanes)

    def expr_splat(self, node: K.Splat, env: dict) -> ir.Value:
        return splat(self.builder, self.expr(node.a, env), node.lanes)

    def expr_lanemask(self, node: K.LaneMask, env: dict) -> ir.Value:
        """The mask as the bits (1 << count) - 1 of a scalar (count clamped to [0, lanes]): a
        mask register on AVX-512, where a compare of i64 vectors held two vector registers
        per mask live across the GEMM k loop and pushed accumulators to the stack."""
        builder, lanes = self.builder, node.lanes
        if lanes > 32:
            count = splat(builder, self.expr(node.count, env), lanes)
            iota = constant(ir.VectorType(I64, lanes), tuple(range(lanes)))
            return builder.icmp_signed("<", iota, count)
        count = self.expr(node.count, env)
        count = builder.select(builder.icmp_signed("<", count, I64(0)), I64(0), count)
        count = builder.select(builder.icmp_signed(">", count, I64(lanes)), I64(lanes), count)
        bits = builder.sub(builder.shl(I64(1), count), I64(1))
        return builder.bitcast(builder.trunc(bits, ir.IntType(lanes)),
                               ir.VectorType(I1, lanes))

    def expr_reducelanes(self, node: K.ReduceLanes, env: dict) -> ir.Value:
        vector = self.expr(node.a, env)
        name = mangled(node.dtype, node.a.lanes)
        scalar = SCALAR[node.dtype]
        if not K.is_float(node.dtype) or node.dtype in K.NARROW_FLOAT_TYPES:
            raise TypeError(f"kernel IR: lane reduction of {node.dtype}")
        if node.op == "add":
            function = self.owner.declare(f"llvm.vector.reduce.fadd.{name}", scalar,
                                          [scalar, vector.type])
            return self.builder.call(function, [constant(scalar, -0.0), vector],
                                     fastmath=("reassoc",))
        function = self.owner.declare(f"llvm.vector.reduce.fmax.{name}", scalar, [vector.type])
        return self.builder.call(function, [vector])

    def expr_iota(self, node: K.Iota, env: dict) -> ir.Value:
        return constant(ir.VectorType(I64, node.lanes), tuple(range(node.lanes)))

    def expr_load(self, node: K.Load, env: dict) -> ir.Value:
        if node.index.lanes > 1:
            return self.gather(node, env)
        pointer = self.element_pointer(node.buffer, node.index, env, node.lanes)
        align = _alignment(node.buffer)
        if node.mask is None:
            return self.builder.load(pointer, align=align)
        vector = llvm_type(node.buffer.dtype, node.lanes)
        function = self.owner.declare(
            f"llvm.masked.load.{mangled(node.buffer.dtype, node.lanes)}.p0", vector,
            [pointer.type, I32, llvm_type("i1", node.lanes), vector])
        zero = constant(vector, constant_number(0, node.dtype))
        return self.builder.call(function, [pointer, I32(align), self.expr(node.mask, env), zero])


    def lane_pointers(self, buffer: K.Buffer, index: K.Expr, env: dict) -> ir.Value:
        """A vector of element pointers, one per lane of a vector index."""
        base = self.typed_bases[buffer.name]
        lanes = index.lanes
        address = splat(self.builder, self.builder.ptrtoint(base, I64), lanes)
        size = constant(ir.VectorType(I64, lanes), _element_size(buffer))
        offsets = self.builder.mul(self.expr(index, env), size)
        return self.builder.inttoptr(self.builder.add(address, offsets),
                                     ir.VectorType(ir.PointerType(llvm_type(buffer.dtype)),
                                                   lanes))

    def scatter(self, statement: K.Store, value: ir.Value, env: dict) -> None:
        """One element per lane to the lanes of a vector index (masked lanes write nothing)."""
        lanes = statement.index.lanes
        pointers = self.lane_pointers(statement.buffer, statement.index, env)
        mask = (constant(llvm_type("i1", lanes), 1) if statement.mask is None
                else self.expr(statement.mask, env))
        function = self.owner.declare(
            f"llvm.masked.scatter.{mangled(statement.buffer.dtype, lanes)}.v{lanes}p0", VOID,
            [value.type, pointers.type, I32, mask.type])
        self.builder.call(function, [value, pointers, I32(_alignment(statement.buffer)), mask])

    def gather(self, node: K.Load, env: dict) -> ir.Value:
        """One element per lane at the lanes of a vector index (masked lanes read nothing)."""
        pointers = self.lane_pointers(node.buffer, node.index, env)
        vector = llvm_type(node.buffer.dtype, node.lanes)
        mask = (constant(llvm_type("i1", node.lanes), 1) if node.mask is None
                else self.expr(node.mask, env))
        function = self.owner.declare(
            f"llvm.masked.gather.{mangled(node.buffer.dtype, node.lanes)}.v{node.lanes}p0",
            vector, [pointers.type, I32, mask.type, vector])
        zero = constant(vector, constant_number(0, node.dtype))
        return self.builder.call(function, [pointers, I32(_alignment(node.buffer)), mask, zero])


def _element_size(buffer: K.Buffer) -> int:
    return K.ITEM_SIZES[buffer.dtype]


def _alignment(buffer: K.Buffer) -> int:
    """Element alignment only: buffers may sit at any element offset of a user array."""
    return K.ITEM_SIZES[buffer.dtype]


_SPLAT_MASKS: dict[int, ir.Constant] = {}


def _splat_mask(lanes: int) -> ir.Constant:
    """A plain constant (llvmlite checks shuffle masks' values)."""
    if lanes not in _SPLAT_MASKS:
        _SPLAT_MASKS[lanes] = ir.Constant(ir.VectorType(I32, lanes), [0] * lanes)
    return _SPLAT_MASKS[lanes]


def splat(builder: ir.IRBuilder, scalar: ir.Value, lanes: int) -> ir.Value:
    vector_type = ir.VectorType(scalar.type, lanes)
    one = builder.insert_element(constant(vector_type, ir.Undefined), scalar, I32(0))
    return builder.shuffle_vector(one, constant(vector_type, ir.Undefined),
                                  _splat_mask(lanes))


def assigned_names(statements) -> list[str]:
    """Names given a value by Let anywhere inside `statements` (in first-seen order)."""
    names: list[str] = []
    for statement in statements:
        if isinstance(statement, K.Let) and statement.var.name not in names:
            names.append(statement.var.name)
        elif isinstance(statement, K.Loop):
            names += [n for n in assigned_names(statement.body) if n not in names]
    return names


def is_parallel_kernel(kernel: K.Kernel) -> bool:
    first = kernel.body[0] if kernel.body else None
    return isinstance(first, K.Loop) and first.parallel
