"""Graph -> GPU blob: the shared lowering, the shared memory plan, OpenCL C, packaged.

The lowering and the arena plan are the CPU target's own (`vinify.codegen.lowering`,
`cpu_compiler.plan_memory`); only rendering differs. The blob holds the OpenCL C source; program
binaries are added by the runtime when it has built them (it alone talks to the driver).
"""

import json
import time
from typing import Any

import vinify
from vinify.codegen.cpu_compiler import plan_memory, weights_section
from vinify.codegen.lowering.context import LoweringContext
from vinify.codegen.lowering.graph import LoweredGraph, lower_graph, unsupported_nodes
from vinify.codegen.opencl.renderer import render_program
from vinify.codegen.opencl.target import OpenClDeviceProfile, opencl_target
from vinify.errors import DeviceError
from vinify.runtime.blob import write_blob

GPU_BLOB_DEVICE = "GPU"


def lower_for_device(graph: Any, profile: OpenClDeviceProfile,
                     schedule: str | None = None) -> LoweredGraph:
    """The graph lowered to kernel IR for this device; DeviceError names what cannot be."""
    target = opencl_target(profile, schedule)
    missing = unsupported_nodes(graph, LoweringContext(target))
    if missing:
        raise DeviceError(f"GPU cannot compile {len(missing)} node(s): " + ", ".join(missing)
                          + " (HETERO:GPU,CPU runs them elsewhere)")
    try:
        return lower_graph(graph, target)
    except DeviceError as error:
        text = str(error)
        raise DeviceError("GPU" + text[3:] if text.startswith("CPU") else f"GPU: {text}"
                          ) from None


def compile_to_gpu_blob(graph: Any, profile: OpenClDeviceProfile,
                        config: dict[str, Any] | None = None,
                        schedule: str | None = None) -> bytes:
    """The GPU blob for `graph` (verified, static shapes) on the device `profile` describes."""
    config = config or {}
    started = time.perf_counter()
    schedule = schedule or profile.schedule()
    lowered = lower_for_device(graph, profile, schedule)
    plan, placement = plan_memory(lowered)
    source, launches = render_program(lowered.kernels, placement)
    metadata = {
        "inputs": [_port(p, placement) for p in lowered.inputs],
        "outputs": [_port(p, placement) for p in lowered.outputs],
        "arena_bytes": plan.size,
        "kernels": [{"name": launch.name, "global_size": launch.global_size,
                     "source": launch.source} for launch in launches],
        "schedule": schedule,
        "precision": "f32",
        "compile_seconds": round(time.perf_counter() - started, 3),
        "graph_name": getattr(graph, "name", ""),
        "binaries": {},
    }
    header = {"vinify_version": vinify.__version__, "device": GPU_BLOB_DEVICE,
              "opencl_device": profile.name}
    sections = {"metadata": json.dumps(metadata).encode(),
                "weights": weights_section(lowered, placement), "source": source.encode()}
    return write_blob(header, sections)


def _port(port, placement: dict) -> dict:
    return {"name": port.name, "element_type": port.element_type, "shape": list(port.shape),
            "offset": placement[port.buffer].offset}
