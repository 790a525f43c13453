"""Dynamic shapes on devices that compile only static shapes: one compile per input shape.

`PerShapeExecutable` keeps the dynamic model and, for each new combination of input shapes,
compiles a static copy (vinify.reshape) on the device, keeping the most recently used
`capacity` of them (an LRU). TEMPLATE does not need this: it runs dynamic shapes directly.
"""

import threading
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np
from vinify.runtime.device import Device, Executable, Port


class PerShapeExecutable(Executable):
    def __init__(self, device: Device, graph: Any, config: dict[str, Any], capacity: int,
                 inputs: Sequence[Port], outputs: Sequence[Port]):
        self.device = device
        self.graph = graph
        self.config = dict(config)
        self.capacity = max(1, capacity)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.compiles = 0  # how many static shapes were compiled (tests and benchmarks read it)
        self._cache: OrderedDict[tuple, Executable] = OrderedDict()
        self._lock = threading.Lock()

    def for_shapes(self, shapes: tuple[tuple[int, ...], ...]) -> Executable:
        """The executable compiled for these input shapes, compiling it on first use."""
        with self._lock:
            executable = self._cache.get(shapes)
            if executable is not None:
                self._cache.move_to_end(shapes)
                return executable
            from vinify.reshape import reshaped  # compiling needs the compiler side anyway

            static = reshaped(self.graph, {p.name: s for p, s in zip(self.inputs, shapes)})
            executable = self.device.compile(static, self.config)
            self.compiles += 1
            self._cache[shapes] = executable
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
            return executable

    @property
    def cached_shapes(self) -> list[tuple]:
        with self._lock:
            return list(self._cache)

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self.for_shapes(tuple(tuple(a.shape) for a in inputs)).run(inputs)

    def run_profiled(self, inputs: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list]:
        return self.for_shapes(tuple(tuple(a.shape) for a in inputs)).run_profiled(inputs)

    def execution_devices(self) -> list[str]:
        return [self.device.name]

    def export(self) -> bytes:
        from vinify.errors import DeviceError

        raise DeviceError(f"{self.device.name} compiles this dynamic-shape model once per input "
                          "shape, so there is no single blob: reshape it to static shapes first")


def has_dynamic_inputs(graph: Any) -> bool:
    return any(not value.shape.is_static for value in graph.inputs)


def compile_for_device(device: Device, graph: Any, config: dict[str, Any]) -> Executable:
    """device.compile, or a per-shape executable when the device needs static shapes."""
    if not (device.needs_static_shapes and has_dynamic_inputs(graph)):
        return device.compile(graph, config)
    from vinify.runtime.devices.template import ports_of

    capacity = int(config.get("DYNAMIC_SHAPE_CACHE_SIZE", 8))
    return PerShapeExecutable(device, graph, config, capacity, ports_of(graph.inputs),
                              ports_of(graph.outputs))
