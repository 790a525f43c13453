"""A whole graph lowered to kernels: fusion groups, op lowerings in order, inputs and outputs.

Every value whose result is computable from constants is folded at compile time (weights).
Convolution/MatMul nodes take their single-use successors (batch norm, bias, residual add, ReLU)
as an epilogue; the group is emitted where its last node stands in the topological order, so a
residual branch is always computed before the convolution that adds it.
"""

from dataclasses import dataclass, field
from typing import Any, Callable

from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering import convolution, elementwise, gemm
from vinify.codegen.lowering.context import LOWERINGS, LoweringContext, kernel_dtype, static_shape
from vinify.codegen.target import Target
from vinify.errors import DeviceError

GEMM_OPS = {"Convolution": (convolution.lower_convolution, 1, None),
            "GroupConvolution": (convolution.lower_convolution, 1, None),
            "MatMul": (gemm.lower_matmul, -1, None)}


@dataclass(frozen=True)
class PortInfo:
    name: str
    element_type: str
    shape: tuple[int, ...]
    buffer: str


@dataclass
class LoweredGraph:
    kernels: list[K.Kernel]
    weights: dict
    arena_buffers: dict
    inputs: list[PortInfo]
    outputs: list[PortInfo]
    # (output index, axis, element of `counts_buffer`): outputs cut to a data count (bounded.py)
    trims: list[tuple[int, int, int]] = field(default_factory=list)
    counts_buffer: str | None = None


def port_name(value: Any, index: int) -> str:
    return value.name or value.node.name or f"port_{index}"


def unsupported_nodes(graph: Any, ctx: LoweringContext) -> list[str]:
    """Every node the CPU cannot compile, with the reason (folded constants excepted)."""
    from vinify.codegen.lowering.support import unsupported_reason

    missing = []
    for node in graph.nodes():
        reason = unsupported_reason(node)
        if reason is None or all(ctx.constant(v) is not None for v in node.outputs):
            continue
        missing.append(f"{node.describe()}: {reason}")
    return missing


def plan_groups(graph: Any, ctx: LoweringContext) -> tuple[dict, set]:
    """Fused groups keyed by the id of their last node; ids of nodes a group absorbed."""
    groups: dict[int, tuple[Any, gemm.Epilogue]] = {}
    absorbed: set[int] = set()
    claimed: set[int] = set()
    for node in graph.nodes():
        if node.op.name not in GEMM_OPS or id(node) in claimed:
            continue
        _, axis, constant_weights = GEMM_OPS[node.op.name]
        if constant_weights is None:
            constant_weights = ctx.constant(node.inputs[1]) is not None
        epilogue = gemm.plan_epilogue(ctx, node, axis, constant_weights, claimed)
        groups[id(epilogue.nodes[-1])] = (node, epilogue)
        absorbed |= {id(n) for n in epilogue.nodes[:-1]}
        claimed |= {id(n) for n in epilogue.nodes}
    for node in graph.nodes():
        if node.op.name not in elementwise.STEP_BUILDERS or id(node) in claimed:
            continue
        if any(ctx.constant(v) is not None for v in node.outputs):
            continue
        chain = [node]
        while (successor := elementwise.chain_successor(chain[-1], claimed)) is not None:
            chain.append(successor)
            claimed.add(id(successor))
        claimed.add(id(node))
        if len(chain) > 1:
            groups[id(chain[-1])] = (node, chain)
            absorbed |= {id(n) for n in chain[:-1]}
    return groups, absorbed


def lower_graph(graph: Any, target: Target,
                gemm_lowerings: dict[str, Callable] | None = None) -> LoweredGraph:
    """The graph's kernels in topological order. `gemm_lowerings` (head op name ->
    function(ctx, head, epilogue)) replaces the lowering of Convolution/MatMul groups for a
    target with its own scheduled GEMM kernels (OpenCL); every other node is lowered the same."""
    gemm_lowerings = {**{name: entry[0] for name, entry in GEMM_OPS.items()},
                      **(gemm_lowerings or {})}
    from vinify.codegen.lowering.bounded import bound_outputs, emit_trim_counts

    graph, trims = bound_outputs(graph)
    ctx = LoweringContext(target)
    missing = unsupported_nodes(graph, ctx)
    if missing:
        raise DeviceError(f"CPU cannot compile {len(missing)} node(s): " + "; ".join(missing))
    inputs = []
    for index, value in enumerate(graph.inputs):
        static_shape(value)
        buffer = ctx.output(value)
        inputs.append(PortInfo(port_name(value, index), value.element_type.name,
                               static_shape(value), buffer.name))
    groups, absorbed = plan_groups(graph, ctx)
    for node in graph.nodes():
        if node.op.name in ("Parameter", "Result", "Constant") or id(node) in absorbed:
            continue
        if all(ctx.constant(v) is not None for v in node.outputs):
            continue
        if id(node) in groups:
            head, group = groups[id(node)]
            if isinstance(group, list):
                elementwise.lower_chain(ctx, group)
            else:
                gemm_lowerings[head.op.name](ctx, head, group)
            continue
        LOWERINGS[node.op.name](ctx, node)
    outputs = _outputs(graph, ctx, {p.buffer for p in inputs})
    counts = emit_trim_counts(ctx, trims)
    return LoweredGraph(ctx.kernels, ctx.weights, ctx.arena_buffers, inputs, outputs,
                        [(t.output, t.axis, k) for k, t in enumerate(trims)],
                        counts.name if counts else None)


def _outputs(graph: Any, ctx: LoweringContext, input_buffers: set[str]) -> list[PortInfo]:
    """Each output in an arena buffer of its own (copied when it is a weight, an input, or
    shared with another output)."""
    outputs, taken = [], set(input_buffers)
    for index, value in enumerate(graph.outputs):
        kernel_dtype(value)
        buffer = ctx.buffer(value)
        if buffer.name in taken or buffer.name not in ctx.arena_buffers:
            buffer = copy_to_new_buffer(ctx, value, buffer)
        taken.add(buffer.name)
        outputs.append(PortInfo(port_name(value, index), value.element_type.name,
                                static_shape(value), buffer.name))
    return outputs


def copy_to_new_buffer(ctx: LoweringContext, value: Any, source: K.Buffer) -> K.Buffer:
    fresh = K.Buffer(ctx.unique((value.name or "output") + "_copy"), source.dtype, source.size)
    ctx.arena_buffers[fresh.name] = fresh
    i = K.Var("i")
    body = [K.Loop(i, K.Const(0), K.Const(source.size), (K.Store(fresh, i, K.Load(source, i)),))]
    ctx.emit("copy", body, value.describe())
    return fresh
