"""AUTO — picks the best device for the model, and can start before that device has compiled.

Candidates are the targets named (`AUTO:GPU,CPU`), else DEVICE_PRIORITIES, else every available
device in AUTO_PRIORITY order (devices not in that list come last, so an installed toy device
is never picked by surprise). The first candidate that is available and supports every node of
the model is chosen.

Start-up fallback (ENABLE_STARTUP_FALLBACK, on by default): when the chosen device is slow to
compile (`compiles_fast` is False) and another candidate compiles fast, AUTO compiles on the
fast one, returns at once, and compiles on the chosen one in a background thread; inferences
move to the chosen device as soon as it is ready. If that compile fails, AUTO stays on the
fallback and keeps the error in `background_error`.
"""

import logging
import threading
from typing import Any, Sequence

import numpy as np
from vinify.errors import DeviceError
from vinify.runtime.device import Device, Executable
from vinify.runtime.devices.meta import MetaDevice
from vinify.runtime.dynamic_shapes import compile_for_device

AUTO_PRIORITY = ("CPU", "GPU", "VPU", "TEMPLATE")
log = logging.getLogger("vinify.runtime")


class AutoExecutable(Executable):
    def __init__(self, name: str, executable: Executable):
        self.active_name = name
        self.active = executable
        self.inputs = executable.inputs
        self.outputs = executable.outputs
        self.ready = threading.Event()  # set once the chosen device serves inferences
        self.background_error: BaseException | None = None

    def switch_to(self, name: str, executable: Executable) -> None:
        self.active_name, self.active = name, executable  # one assignment each: atomic enough
        self.ready.set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self.ready.wait(timeout)

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self.active.run(inputs)

    def run_profiled(self, inputs: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list]:
        return self.active.run_profiled(inputs)

    def export(self) -> bytes:
        return self.active.export()

    def execution_devices(self) -> list[str]:
        return [self.active_name]


class AutoDevice(MetaDevice):
    """Built per name (`AUTO` or `AUTO:GPU,CPU`) by the registry."""

    name = "AUTO"

    def full_name(self) -> str:
        return "AUTO" + (f" ({', '.join(self.targets)})" if self.targets else "")

    def candidates(self, config: dict[str, Any]) -> list[str]:
        """Device names to try, best first."""
        named = self.targets or [n for n in config.get("DEVICE_PRIORITIES", "").split(",") if n]
        if named:
            return named
        ranked = {name: i for i, name in enumerate(AUTO_PRIORITY)}
        names = self.registry.names()
        return sorted(names, key=lambda n: (ranked.get(n, len(ranked) + 1), n != "TEMPLATE", n))

    def select(self, graph: Any, config: dict[str, Any]) -> list[tuple[str, Device]]:
        """The usable candidates for `graph`, best first; DeviceError naming why each failed."""
        usable, reasons = [], []
        for name in self.candidates(config):
            try:
                device = self.registry.get(name)
            except DeviceError as error:
                reasons.append(str(error))
                continue
            nodes = device.supported_nodes(graph)
            missing = [n for n in graph.nodes() if id(n) not in nodes]
            if missing:
                reasons.append(f"{name} does not support {missing[0].describe()}")
                continue
            usable.append((name, device))
        if not usable:
            raise DeviceError(f"AUTO found no device for model '{graph.name}': {reasons}")
        return usable

    def compile(self, graph: Any, config: dict[str, Any]) -> Executable:
        usable = self.select(graph, config)
        best_name, best = usable[0]
        fast = [(n, d) for n, d in usable[1:] if d.compiles_fast]
        if best.compiles_fast or not fast or not config.get("ENABLE_STARTUP_FALLBACK", True):
            executable = AutoExecutable(best_name, compile_for_device(
                best, graph, self.config_for(best_name, config)))
            executable.ready.set()
            return executable
        fast_name, fast_device = fast[0]
        executable = AutoExecutable(fast_name, compile_for_device(
            fast_device, graph, self.config_for(fast_name, config)))
        thread = threading.Thread(target=_compile_in_background, name=f"vinify-auto-{best_name}",
                                  args=(executable, best_name, best, graph,
                                        self.config_for(best_name, config)), daemon=True)
        thread.start()
        return executable


def _compile_in_background(executable: AutoExecutable, name: str, device: Device, graph: Any,
                           config: dict[str, Any]) -> None:
    try:
        executable.switch_to(name, compile_for_device(device, graph, config))
    except Exception as error:  # the fallback keeps serving; the error stays inspectable
        executable.background_error = error
        log.warning("AUTO: compiling on %s failed, staying on %s: %s", name,
                    executable.active_name, error)
        executable.ready.set()
