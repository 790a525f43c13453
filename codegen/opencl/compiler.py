"""Graph -> GPU blob: the shared lowering, the shared memory plan, OpenCL C, packaged.

The lowering and the arena plan are the CPU target's own (`vinify.codegen.lowering`,
`cpu_compiler.plan_memory`); only rendering differs. The blob holds the OpenCL C source; program
binaries are added by the runtime when it has built them (it alone talks to the driver).
"""

import json
import time
from typing import Any

import numpy as np
import vinify
from vinify.codegen import kernel_ir as K
from vinify.codegen.cpu_compiler import plan_memory, trimmed_ports, weights_section
from vinify.codegen.lowering.graph import LoweredGraph
from vinify.codegen.opencl import direct_convolution, gemm_kernels
from vinify.codegen.opencl.lowering import ACTIVATION_INPUT, Offset, ScheduledKernel, lower_graph
from vinify.codegen.opencl.parallelize import parallelize_kernels
from vinify.codegen.opencl.renderer import OpenClRenderer, work_items
from vinify.codegen.opencl.target import REGISTER_BLOCKED, OpenClDeviceProfile, opencl_target
from vinify.errors import DeviceError
from vinify.runtime.blob import write_blob

GPU_BLOB_DEVICE = "GPU"


def lower_for_device(graph: Any, profile: OpenClDeviceProfile,
                     schedule: str | None = None) -> LoweredGraph:
    """The graph lowered to kernel IR for this device; DeviceError names what cannot be."""
    target = opencl_target(profile, schedule)
    try:
        return lower_graph(graph, target)
    except DeviceError as error:
        text = str(error).replace("no CPU lowering", "no GPU lowering")
        if text.startswith("CPU"):
            text = "GPU" + text[3:]
        if text.startswith("GPU cannot compile"):
            text += " (HETERO:GPU,CPU runs them elsewhere)"
        raise DeviceError(text if text.startswith("GPU") else f"GPU: {text}") from None


def compile_to_gpu_blob(graph: Any, profile: OpenClDeviceProfile,
                        config: dict[str, Any] | None = None,
                        schedule: str | None = None) -> bytes:
    """The GPU blob for `graph` (verified, static shapes) on the device `profile` describes."""
    config = config or {}
    started = time.perf_counter()
    schedule = schedule or profile.schedule()
    precision = compute_precision(config, profile)
    lowered = lower_for_device(graph, profile, schedule)
    lowered.kernels = parallelize_kernels(lowered.kernels, parallel_items(profile, schedule))
    plan, placement = plan_memory(lowered, kernel_buffers)
    source, launches = render_program(lowered.kernels, placement, precision)
    if precision == "f16":
        lowered.weights = {name: array.astype(np.float16) if array.dtype == np.float32
                           else array for name, array in lowered.weights.items()}
    metadata = {
        "inputs": [_port(p, placement, precision) for p in lowered.inputs],
        "outputs": trimmed_ports([_port(p, placement, precision) for p in lowered.outputs],
                                 lowered, placement),
        "arena_bytes": plan.size,
        "kernels": launches,
        "schedule": schedule,
        "precision": precision,
        "compile_seconds": round(time.perf_counter() - started, 3),
        "graph_name": getattr(graph, "name", ""),
        "binaries": {},
    }
    header = {"vinify_version": vinify.__version__, "device": GPU_BLOB_DEVICE,
              "opencl_device": profile.name}
    sections = {"metadata": json.dumps(metadata).encode(),
                "weights": weights_section(lowered, placement), "source": source.encode()}
    return write_blob(header, sections)


def parallel_items(profile: OpenClDeviceProfile, schedule: str) -> int:
    """Work-items a splittable serial kernel is split into: a few per core on CPU-type
    devices, many per compute unit on GPUs."""
    per_unit = 4 if schedule == REGISTER_BLOCKED else 64
    return max(profile.compute_units, 1) * per_unit


def kernel_buffers(kernel: K.Kernel) -> set[str]:
    """Names of the buffers a kernel touches (a scheduled kernel lists them)."""
    if isinstance(kernel, ScheduledKernel):
        return {buffer.name for buffer in kernel.buffers}
    return K.buffers_used(kernel.body)


def compute_precision(config: dict[str, Any], profile: OpenClDeviceProfile) -> str:
    """f16 where the user asks for it (INFERENCE_PRECISION_HINT) and the device has
    cl_khr_fp16; f32 otherwise."""
    wanted = config.get("INFERENCE_PRECISION_HINT", "f32")
    return "f16" if wanted == "f16" and profile.has_fp16 else "f32"


def render_program(kernels: list[K.Kernel], placement: dict, precision: str = "f32"
                   ) -> tuple[str, list[dict]]:
    """The OpenCL C program (each scheduled kernel variant once) and the launches in order."""
    renderer = OpenClRenderer(placement, precision)
    item_size = 2 if precision == "f16" else 4
    rendered: set[str] = set()
    launches = []
    for kernel in kernels:
        if not isinstance(kernel, ScheduledKernel):
            renderer.add_kernel(kernel)
            launches.append({"name": kernel.name, "global": [work_items(kernel)], "args": [],
                             "source": kernel.source})
            continue
        if kernel.name not in rendered:
            renderer.add_source(kernel.name, scheduled_source(renderer, kernel.variant))
            rendered.add(kernel.name)
        order = parameters_of(kernel.variant)
        arguments = [_resolve(kernel.arguments[name], placement, item_size) for name in order]
        launches.append({"name": kernel.name, "global": list(kernel.global_size),
                         "args": arguments, "source": kernel.source})
        if kernel.local_size is not None:
            launches[-1]["local"] = list(kernel.local_size)
    return renderer.program(), launches


def _resolve(value, placement: dict, item_size: int) -> int:
    """An argument's value: a buffer's element offset (of the compute type unless the Offset
    names its own element size), or a size."""
    if isinstance(value, Offset):
        return placement[value.buffer].offset // (value.item_size or item_size) + value.shift
    return int(value)


def parameters_of(variant) -> tuple[str, ...]:
    """The argument names of a scheduled kernel, in its signature's order."""
    if variant == "im2col":
        return gemm_kernels.IM2COL_PARAMETERS
    if variant == direct_convolution.PAD_KERNEL:
        return direct_convolution.PAD_PARAMETERS
    if isinstance(variant, direct_convolution.EpilogueVariant):
        return direct_convolution.EPILOGUE_PARAMETERS
    return gemm_kernels.GEMM_PARAMETERS


def scheduled_source(renderer: OpenClRenderer, variant) -> str:
    """The OpenCL C of a scheduled kernel, its helpers registered with `renderer`."""
    scalar = renderer.scalars["f32"]
    if variant == "im2col":
        return gemm_kernels.im2col_source().replace("float", scalar)
    if variant == direct_convolution.PAD_KERNEL:
        return direct_convolution.pad_source().replace("float", scalar)
    lanes = variant.activation.lanes
    activation = f"act_{variant.name}"
    kind = renderer.ctype("f32", lanes)
    argument = renderer.var_name(ACTIVATION_INPUT)
    renderer.helper(activation, f"{renderer.helper_prefix} {kind} {activation}({kind} "
                                f"{argument}) {{ return {renderer.expr(variant.activation)}; }}")
    if isinstance(variant, direct_convolution.EpilogueVariant):
        return direct_convolution.epilogue_source(variant, activation).replace("float", scalar)
    if variant.schedule != REGISTER_BLOCKED:
        return gemm_kernels.local_tiled_source(variant, activation).replace("float", scalar)
    renderer.expr(K.LaneMask(K.Const(0), lanes))
    return gemm_kernels.register_blocked_source(
        variant, renderer.load_helper(scalar, lanes, False),
        renderer.load_helper(scalar, lanes, True), renderer.store_helper(scalar, lanes, True),
        activation).replace("float", scalar)


def _port(port, placement: dict, precision: str) -> dict:
    """A model input/output: its place in the arena and the element type stored there."""
    stored = "f16" if precision == "f16" and port.element_type == "f32" else port.element_type
    return {"name": port.name, "element_type": port.element_type, "shape": list(port.shape),
            "offset": placement[port.buffer].offset, "stored_as": stored}
