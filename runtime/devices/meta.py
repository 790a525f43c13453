"""What HETERO, MULTI and AUTO share: built per name around the registry and their targets.

Each target compiles with its own settings — the Core's properties for that device — overridden
by the settings given to the meta device (its Core properties and the compile's config), so
`set_property("CPU", {"INFERENCE_NUM_THREADS": 2})` still holds inside `HETERO:CPU,GPU`.
"""

from typing import Any, Callable

from vinify.runtime.device import Device


class MetaDevice(Device):
    def __init__(self, registry: Any, targets: list[str]):
        self.registry = registry
        self.targets = targets
        # target name → its config; the Core sets this when it compiles through a meta device
        self.target_config: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None

    def config_for(self, target: str, config: dict[str, Any]) -> dict[str, Any]:
        if self.target_config is None:
            return config
        return self.target_config(target, config)
