"""What a device plug-in provides, and the port descriptions shared by all devices.

A device turns a graph into an `Executable` (compile) or a blob into one (import). The runtime
wraps executables in CompiledModel/InferRequest; validation of user inputs happens there, once,
for every device.
"""

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from vinify.shapes import PartialShape
from vinify.types import ElementType


@dataclass(frozen=True)
class Port:
    """A model input or output as users see it: names, element type, partial shape."""

    index: int
    name: str
    element_type: ElementType
    shape: PartialShape
    names: frozenset[str] = field(default_factory=frozenset)

    def get_any_name(self) -> str:
        return self.name

    @property
    def partial_shape(self) -> PartialShape:
        return self.shape


class Executable:
    """A compiled model on one device: runs a full inference on validated inputs."""

    inputs: Sequence[Port]
    outputs: Sequence[Port]

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Outputs for validated inputs. Called from several threads at once (one per request
        in flight), so per-inference state (buffers, arenas) must be per call, and returned
        arrays must not be reused by a later call."""
        raise NotImplementedError

    def export(self) -> bytes:
        from vinify.errors import DeviceError

        raise DeviceError(f"{type(self).__name__} cannot export a blob")

    def profiling(self) -> list[dict[str, Any]]:
        return []

    def run_profiled(self, inputs: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list]:
        """Outputs and per-layer ProfilingInfo; devices without layer timers report one entry."""
        from vinify.runtime.profiling import LayerTimer

        timer = LayerTimer()
        outputs = self.run(inputs)
        return outputs, [timer.record("model", "Model", type(self).__name__)]

    def execution_devices(self) -> list[str]:
        """Names of the devices that really run this executable (meta devices list several)."""
        return []


class Device:
    """A device plug-in. `unavailable_reason` is None when the device can be used."""

    name: str = "?"
    # True when the device compiles only static shapes: the runtime then compiles each input
    # shape on demand (bounded cache) for models with dynamic dimensions.
    needs_static_shapes: bool = False
    # True when compiling is cheap: AUTO may start on such a device while a slower one compiles.
    compiles_fast: bool = False

    def unavailable_reason(self) -> str | None:
        return None

    def full_name(self) -> str:
        return self.name

    def compile(self, graph: Any, config: dict[str, Any]) -> Executable:
        raise NotImplementedError

    def import_model(self, blob: bytes, config: dict[str, Any]) -> Executable:
        from vinify.errors import DeviceError

        raise DeviceError(f"device {self.name} cannot import blobs")

    def supported_nodes(self, graph: Any) -> set[int]:
        """ids of the nodes of `graph` this device can run (for HETERO)."""
        return {id(node) for node in graph.nodes()}
