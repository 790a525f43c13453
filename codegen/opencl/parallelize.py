"""Serial kernels split across work-items where the split is provably safe.

A kernel IR kernel without a parallel loop runs as one work-item: on PoCL one core of the
device, on a GPU one lane of one compute unit. A kernel that is a single loop of stores,
each at `var + (something without var or loads)`, reading no buffer it writes, has
independent iterations: each writes its own elements and none reads what another writes. Such
a loop (Concat's copies, whole-tensor maps) becomes a parallel loop over chunks:

    for j in [0, n) step s: store(out, j + c, f(j))
 -> parallel for w in [0, items): for j in [w*chunk, min(n, w*chunk + chunk)) step s: ...

with `chunk` a multiple of the step, so vector accesses stay aligned as they were.
"""

from vinify.codegen import kernel_ir as K

MIN_ELEMENTS = 4096  # smaller loops stay serial: a launch of several work-items costs more


def parallelize_kernels(kernels: list, items: int) -> list:
    """The kernels with every safely splittable serial loop split into `items` chunks."""
    return [split_kernel(kernel, items) for kernel in kernels]


def split_kernel(kernel, items: int):
    loop = splittable_loop(kernel)
    if loop is None or items < 2:
        return kernel
    start, stop = int(loop.start.value), int(loop.stop.value)
    trip = -(-(stop - start) // loop.step)
    chunk = -(-trip // items) * loop.step  # elements per work-item, a multiple of the step
    count = -(-(stop - start) // chunk)
    worker = K.Var(loop.var.name + "_item")
    first = K.Binary("add", K.Const(start), K.Binary("mul", worker, K.Const(chunk)))
    last = K.Binary("min", K.Binary("add", first, K.Const(chunk)), K.Const(stop))
    inner = K.Loop(loop.var, first, last, loop.body, loop.step)
    outer = K.Loop(worker, K.Const(0), K.Const(count), (inner,), parallel=True)
    return K.Kernel(kernel.name, [outer], kernel.source, kernel.buffers)


def splittable_loop(kernel) -> K.Loop | None:
    """The kernel's only statement when it is a serial constant-bounds loop of independent
    stores (see the module docstring), else None."""
    if type(kernel) is not K.Kernel or len(kernel.body) != 1:
        return None
    loop = kernel.body[0]
    if not isinstance(loop, K.Loop) or loop.parallel:
        return None
    if not (isinstance(loop.start, K.Const) and isinstance(loop.stop, K.Const)):
        return None
    if int(loop.stop.value) - int(loop.start.value) < MIN_ELEMENTS:
        return None
    if not all(isinstance(s, K.Store) for s in loop.body):
        return None
    written = {store.buffer.name for store in loop.body}
    for store in loop.body:
        if store.value.lanes > loop.step or not _var_plus_invariant(store.index, loop.var):
            return None
        for expr in (store.value, store.index, store.mask):
            if expr is not None and _loads(expr) & written:
                return None
    return loop


def _var_plus_invariant(index: K.Expr, var: K.Var) -> bool:
    """index == var + e or e + var, e free of var and of loads."""
    if index == var:
        return True
    if not (isinstance(index, K.Binary) and index.op == "add"):
        return False
    for mine, other in ((index.a, index.b), (index.b, index.a)):
        if mine == var and not _mentions(other, var) and not _loads(other):
            return True
    return False


def _children(expr: K.Expr) -> list[K.Expr]:
    return [getattr(expr, name) for name in getattr(expr, "__dataclass_fields__", {})
            if isinstance(getattr(expr, name), K.Expr)]


def _mentions(expr: K.Expr, var: K.Var) -> bool:
    return any(node == var for node in _nodes(expr))


def _loads(expr: K.Expr) -> set[str]:
    """Names of the buffers `expr` loads from."""
    return {node.buffer.name for node in _nodes(expr) if isinstance(node, K.Load)}


def _nodes(expr: K.Expr) -> list[K.Expr]:
    """Every node of the expression DAG once (shared subexpressions are visited once)."""
    seen, order, stack = set(), [], [expr]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(_children(node))
    return order
