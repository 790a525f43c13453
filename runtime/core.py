"""Core: the entry point of the runtime, as in OpenVINO: devices, properties, compile, import."""

from pathlib import Path
from typing import Any

from vinify.errors import DeviceError, PropertyError
from vinify.runtime.compiled_model import CompiledModel
from vinify.runtime.registry import DeviceRegistry


class Core:
    def __init__(self):
        self.registry = DeviceRegistry()
        self._properties: dict[str, dict[str, Any]] = {}

    @property
    def available_devices(self) -> list[str]:
        return [name for name, reason in self.registry.availability().items() if reason is None]

    def unavailable_devices(self) -> dict[str, str]:
        """Each known device that cannot be used, with the reason."""
        return {n: r for n, r in self.registry.availability().items() if r is not None}

    def get_device(self, name: str):
        return self.registry.get(name)

    def read_model(self, path: str | Path, weights: str | Path | None = None):
        from vinify.api import read_model  # the compiler side, imported only when asked for

        return read_model(path, weights)

    def compile_model(self, model: Any, device_name: str = "CPU",
                      config: dict[str, Any] | None = None) -> CompiledModel:
        if isinstance(model, (str, Path)):
            model = self.read_model(model)
        config = {**self._properties.get(device_name, {}), **(config or {})}
        device = self.registry.get(device_name)
        executable = device.compile(model, config)
        return CompiledModel(executable, device_name, config)

    def import_model(self, blob: bytes, device_name: str,
                     config: dict[str, Any] | None = None) -> CompiledModel:
        device = self.registry.get(device_name)
        config = dict(config or {})
        return CompiledModel(device.import_model(blob, config), device_name, config)

    def set_property(self, device_name: str, properties: dict[str, Any]) -> None:
        if not isinstance(properties, dict):
            raise PropertyError("set_property takes a dict of properties")
        self._properties.setdefault(device_name, {}).update(properties)

    def get_property(self, device_name: str, name: str) -> Any:
        if name == "FULL_DEVICE_NAME":
            return self.registry.get(device_name).full_name()
        try:
            return self._properties[device_name][name]
        except KeyError:
            raise PropertyError(f"property {name} is not set for {device_name}") from None

    def __repr__(self) -> str:
        return f"<Core devices={self.available_devices}>"


__all__ = ["Core", "DeviceError"]
