"""The optimization pipelines, written as plain lists of pass names.

`COMMON` is device independent and runs for every device; `DEVICE_PIPELINES` is the hook where a
device adds its own passes after it (fusions its code generator wants, precision choices).
A device not listed gets `COMMON` only. The fused ops all have numpy references, so every
pipeline's output still runs on TEMPLATE.
"""

from typing import Any

from vinify.ir import Graph
from vinify.passes.pass_manager import PassManager

COMMON: list[str] = [
    "propagate-types",
    "fold-shape-of",
    "fold-constants",
    "decompose-batch-norm",
    "simplify-algebra",
    "fold-affine-into-weights",
    "recognize-activations",
    "recognize-gelu",
    "recognize-mvn",
    "recognize-attention",
    "sink-transposes",
    "fold-constants",
    "eliminate-common-subexpressions",
    "eliminate-dead-code",
]

DEVICE_PIPELINES: dict[str, list[str]] = {
    "TEMPLATE": [],
    "CPU": ["fuse-conv-bias-activation", "fuse-elementwise", "eliminate-dead-code"],
    "GPU": ["fuse-conv-bias-activation", "fuse-elementwise", "eliminate-dead-code"],
    "VPU": ["fuse-conv-bias-activation", "compress-weights-fp16"],
}


def pipeline_for(device: str | None = None) -> list[str]:
    """COMMON followed by the device's own passes (a device may be named "CPU" or "CPU.0")."""
    if device is None:
        return list(COMMON)
    return list(COMMON) + list(DEVICE_PIPELINES.get(device.split(".")[0].upper(), []))


def optimize(graph: Graph, device: str | None = None, **options: Any) -> Graph:
    """Runs the pipeline for `device` over `graph` in place (options go to PassManager)."""
    return PassManager(pipeline_for(device), **options).run(graph)
