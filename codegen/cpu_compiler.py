"""Graph -> CPU blob: lower, plan the arena, render LLVM IR, compile, link, package.

The expensive half (LLVM code generation and linking) is cached by the SHA-256 of the LLVM IR
text, target CPU and features: in memory for the process, and on disk under `cache_dir` when one
is given (the CACHE_DIR property), so compiling the same model again skips LLVM entirely.
"""

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import vinify
from vinify.codegen import memory_plan
from vinify.codegen.lowering.graph import LoweredGraph, lower_graph
from vinify.codegen.target import Target, host_cpu_target
from vinify.runtime.blob import required_features, write_blob

_MEMORY_CACHE: dict[str, bytes] = {}
MEMORY_CACHE_ENTRIES = 64


def plan_memory(lowered: LoweredGraph, buffers_of: Callable[[Any], set[str]] | None = None
                ) -> tuple[memory_plan.ArenaPlan, dict]:
    """Arena offsets for every arena buffer and weights offsets for every weight, from each
    buffer's first and last kernel (`buffers_of(kernel)`: the names a kernel touches; the GPU
    passes one that also knows its scheduled kernels)."""
    from vinify.codegen import kernel_ir as K
    from vinify.codegen.llvm.renderer import Placement

    buffers_of = buffers_of or (lambda kernel: K.buffers_used(kernel.body))

    last_step = len(lowered.kernels)
    first: dict[str, int] = {p.buffer: 0 for p in lowered.inputs}
    last: dict[str, int] = {p.buffer: last_step for p in lowered.outputs}
    if getattr(lowered, "counts_buffer", None):  # read after the run (bounded outputs)
        last[lowered.counts_buffer] = last_step
    for step, kernel in enumerate(lowered.kernels):
        for name in buffers_of(kernel):
            first.setdefault(name, step)
            last[name] = max(last.get(name, step), step)
    lives = [memory_plan.TensorLife(name, buffer.size * _itemsize(buffer.dtype),
                                    first.get(name, 0), last.get(name, 0))
             for name, buffer in lowered.arena_buffers.items()]
    plan = memory_plan.plan_arena(lives)
    placement = {name: Placement("arena", offset) for name, offset in plan.offsets.items()}
    offset = 0
    for name, array in lowered.weights.items():
        placement[name] = Placement("weights", offset)
        offset = memory_plan.align_up(offset + array.nbytes)
    return plan, placement


def _itemsize(dtype: str) -> int:
    from vinify.codegen import kernel_ir as K

    return K.ITEM_SIZES[dtype]


MODULE_PARTS = 2  # LLVM compiles the parts in parallel threads (it releases the GIL)


def kernel_signature(kernel) -> str:
    """A digest of the kernel's statements with buffers named by order of first use: kernels
    with equal signatures differ only in which buffers they touch, so one function serves
    them all. Shared subexpressions are digested once (kernel IR is a DAG)."""
    import hashlib

    from vinify.codegen import kernel_ir as K

    positions: dict[str, int] = {}
    memo: dict[int, str] = {}

    def digest(item) -> str:
        if isinstance(item, K.Buffer):
            position = positions.setdefault(item.name, len(positions))
            return f"B{position}:{item.dtype}:{item.size}"
        if isinstance(item, (tuple, list)):
            return "(" + ",".join(digest(x) for x in item) + ")"
        if not hasattr(item, "__dataclass_fields__"):
            return f"{type(item).__name__}:{item!r}"
        if id(item) not in memo:
            parts = [digest(getattr(item, name)) for name in item.__dataclass_fields__]
            text = type(item).__name__ + "(" + ",".join(parts) + ")"
            memo[id(item)] = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
        return memo[id(item)]

    return digest(tuple(kernel.body))


def shared_groups(kernels: list) -> list[list]:
    """Kernels grouped by signature, in order of each group's first kernel."""
    groups: dict[str, list] = {}
    for kernel in kernels:
        groups.setdefault(kernel_signature(kernel), []).append(kernel)
    return list(groups.values())


def render_llvm(lowered: LoweredGraph, placement: dict, target: Target,
                parts: int = MODULE_PARTS) -> list[str]:
    """LLVM IR modules for the kernels and the entry point (in the first). Kernels that differ
    only in their buffers share one function; groups are dealt round-robin to the modules."""
    from vinify.codegen.llvm.renderer import ModuleRenderer

    kernels = lowered.kernels
    groups = shared_groups(kernels)
    count = max(1, min(parts, len(groups)))
    texts = []
    for part in range(count):
        renderer = ModuleRenderer(placement, target.function_attributes)
        defined: dict[int, object] = {}
        for group in groups[part::count]:
            functions = (renderer.render_shared_kernel(group) if len(group) > 1
                         else [renderer.render_kernel(group[0])])
            defined.update(zip(map(id, group), functions))
        if part == 0:  # the entry point calls kernels other parts define
            functions = [defined.get(id(k)) or renderer.declare_kernel(k) for k in kernels]
            renderer.render_entry(kernels, functions)
        texts.append(renderer.text())
    return texts


def build_shared_object(ir_texts: list[str], target: Target, cache_dir: str | None) -> bytes:
    from vinify.codegen.llvm.native import compile_objects, link_shared_object

    key = hashlib.sha256("\n".join([*ir_texts, target.cpu_name, target.feature_string,
                                    vinify.__version__]).encode()).hexdigest()
    if key in _MEMORY_CACHE:
        return _MEMORY_CACHE[key]
    cached = Path(cache_dir) / "cpu-kernels" / f"{key}.so" if cache_dir else None
    if cached is not None and cached.is_file():
        code = cached.read_bytes()
    else:
        code = link_shared_object(compile_objects(ir_texts, target.cpu_name,
                                                  target.feature_string))
        if cached is not None:
            from vinify.api import atomic_write

            cached.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(cached, code)
    _MEMORY_CACHE[key] = code
    while len(_MEMORY_CACHE) > MEMORY_CACHE_ENTRIES:  # oldest first: dicts keep insertion order
        del _MEMORY_CACHE[next(iter(_MEMORY_CACHE))]
    return code


def weights_section(lowered: LoweredGraph, placement: dict) -> bytes:
    size = max((placement[n].offset + a.nbytes for n, a in lowered.weights.items()), default=0)
    data = np.zeros(memory_plan.align_up(size), np.uint8)
    for name, array in lowered.weights.items():
        start = placement[name].offset
        data[start:start + array.nbytes] = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    return memoryview(data)


def compile_to_blob(graph: Any, config: dict[str, Any] | None = None,
                    target: Target | None = None) -> bytes:
    """The CPU blob for `graph` (a verified Graph with static shapes)."""
    config = config or {}
    threads = int(config.get("INFERENCE_NUM_THREADS") or 0) or None
    target = target or host_cpu_target(threads)
    started = time.perf_counter()
    lowered = lower_graph(graph, target)
    plan, placement = plan_memory(lowered)
    ir_texts = render_llvm(lowered, placement, target)
    code = build_shared_object(ir_texts, target, config.get("CACHE_DIR"))
    metadata = {
        "inputs": [_port(p, placement) for p in lowered.inputs],
        "outputs": trimmed_ports([_port(p, placement) for p in lowered.outputs], lowered,
                                 placement),
        "arena_bytes": plan.size,
        "kernels": [{"name": k.name, "source": k.source, "parallel": _is_parallel(k)}
                    for k in lowered.kernels],
        "compile_seconds": round(time.perf_counter() - started, 3),
        "graph_name": getattr(graph, "name", ""),
    }
    header = {"vinify_version": vinify.__version__, "device": "CPU",
              "target_cpu": target.cpu_name,
              "required_features": required_features(list(target.features))}
    sections = {"metadata": json.dumps(metadata).encode(),
                "weights": weights_section(lowered, placement), "code": code}
    return write_blob(header, sections)


def _is_parallel(kernel) -> bool:
    from vinify.codegen import kernel_ir as K

    first = kernel.body[0] if kernel.body else None
    return isinstance(first, K.Loop) and first.parallel


def trimmed_ports(ports: list[dict], lowered: LoweredGraph, placement: dict) -> list[dict]:
    """Output ports cut to a data count (NonZero, NMS) say so: "trim" names the axis and the
    arena offset of the i64 count; readers without it see the upper-bound shape."""
    for output, axis, element in getattr(lowered, "trims", []):
        offset = placement[lowered.counts_buffer].offset + 8 * element
        ports[output]["trim"] = {"axis": axis, "count_offset": offset}
    return ports


def _port(port, placement: dict) -> dict:
    return {"name": port.name, "element_type": port.element_type, "shape": list(port.shape),
            "offset": placement[port.buffer].offset}
