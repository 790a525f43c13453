"""MULTI:A,B — every target compiles the whole model; requests are spread across them.

Each inference goes to the target with the fewest inferences in flight (ties: round-robin), so
two requests running at once land on two devices and back-to-back ones alternate. `runs`
counts the inferences per target.
"""

import threading
from typing import Any, Sequence

import numpy as np
from vinify.errors import DeviceError
from vinify.runtime.device import Executable
from vinify.runtime.devices.meta import MetaDevice
from vinify.runtime.dynamic_shapes import compile_for_device


class MultiExecutable(Executable):
    def __init__(self, executables: list[tuple[str, Executable]]):
        self.executables = executables
        self.inputs = executables[0][1].inputs
        self.outputs = executables[0][1].outputs
        self.runs = {name: 0 for name, _ in executables}
        self.min_streams = len(executables)  # one request per device can run at once
        self._in_flight = [0] * len(executables)
        self._next = 0  # ties go round-robin, so back-to-back requests alternate too
        self._lock = threading.Lock()

    def _take(self) -> int:
        with self._lock:
            count = len(self._in_flight)
            rotation = [(self._next + i) % count for i in range(count)]
            index = min(rotation, key=lambda i: self._in_flight[i])
            self._next = (index + 1) % count
            self._in_flight[index] += 1
            self.runs[self.executables[index][0]] += 1
            return index

    def _give_back(self, index: int) -> None:
        with self._lock:
            self._in_flight[index] -= 1

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        index = self._take()
        try:
            return self.executables[index][1].run(inputs)
        finally:
            self._give_back(index)

    def run_profiled(self, inputs: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list]:
        index = self._take()
        try:
            return self.executables[index][1].run_profiled(inputs)
        finally:
            self._give_back(index)

    def execution_devices(self) -> list[str]:
        return [name for name, _ in self.executables]


class MultiDevice(MetaDevice):
    """Built per name (`MULTI:CPU,TEMPLATE`) by the registry, around the target devices."""

    name = "MULTI"

    def full_name(self) -> str:
        return f"MULTI ({', '.join(self.targets)})"

    def supported_nodes(self, graph: Any) -> set[int]:
        sets = [self.registry.get(target).supported_nodes(graph) for target in self.targets]
        return set.intersection(*sets) if sets else set()

    def compile(self, graph: Any, config: dict[str, Any]) -> Executable:
        if len(set(self.targets)) != len(self.targets):
            raise DeviceError(f"MULTI lists a device twice: {self.targets}")
        executables = [(name, compile_for_device(self.registry.get(name), graph,
                                                self.config_for(name, config)))
                       for name in self.targets]
        return MultiExecutable(executables)
