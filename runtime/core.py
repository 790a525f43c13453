"""Core: the entry point of the runtime, as in OpenVINO: devices, properties, compile, import.

Properties set on a Core apply to later compiles: global ones (`set_property({...})`) to every
device, per-device ones (`set_property("CPU", {...})`) to that device, and a compile's own
config over both. Every value is checked when it is set, so a typo fails where it is made.
"""

from pathlib import Path
from typing import Any

from vinify.errors import DeviceError, PropertyError
from vinify.runtime import properties as props
from vinify.runtime.compiled_model import CompiledModel
from vinify.runtime.device import Device, Executable
from vinify.runtime.devices.meta import MetaDevice
from vinify.runtime.registry import META_DEVICES, DeviceRegistry, split_meta_name

GLOBAL = ""  # the key of properties that apply to every device


class Core:
    def __init__(self):
        self.registry = DeviceRegistry()
        self._properties: dict[str, dict[str, Any]] = {}

    # ---- devices ---------------------------------------------------------------------------

    @property
    def available_devices(self) -> list[str]:
        return [name for name, reason in self.registry.availability().items() if reason is None]

    def unavailable_devices(self) -> dict[str, str]:
        """Each known device that cannot be used, with the reason."""
        return {n: r for n, r in self.registry.availability().items() if r is not None}

    def get_device(self, name: str) -> Device:
        return self.registry.get(name)

    def register_device(self, name: str, device: Device | type[Device]) -> None:
        """Adds a device to this Core only (installed packages use the entry point instead)."""
        self.registry.register(name, device)

    # ---- properties ------------------------------------------------------------------------

    def set_property(self, device_or_properties: str | dict[str, Any],
                     properties: dict[str, Any] | None = None) -> None:
        """set_property({...}) for every device, or set_property("CPU", {...}) for one."""
        if isinstance(device_or_properties, dict) and properties is None:
            device, properties = GLOBAL, device_or_properties
        else:
            device = device_or_properties
        if not isinstance(device, str):
            raise PropertyError("set_property takes (device name, dict) or a dict")
        checked = props.check_config(properties, device or "all devices")
        if device and split_meta_name(device)[0] not in META_DEVICES:
            self.registry.get(device)  # an unknown device is an error here, not at compile
        self._properties.setdefault(device, {}).update(checked)

    def get_property(self, device_or_name: str, name: str | None = None) -> Any:
        """get_property("CPU", "NUM_STREAMS"), or get_property("CACHE_DIR") for a global one."""
        device, name = (GLOBAL, device_or_name) if name is None else (device_or_name, name)
        if name == props.AVAILABLE_DEVICES:
            return self.available_devices
        if name == props.SUPPORTED_PROPERTIES:
            return sorted(set(props.WRITABLE) | set(props.READ_ONLY))
        if device and name in props.READ_ONLY:
            return self._device_property(self.registry.get(device), name)
        if name not in props.WRITABLE:
            raise PropertyError(f"unknown property {name!r}"
                                + (f" for {device}" if device else ""))
        return props.with_defaults(self._config_for(device))[name]

    def _device_property(self, device: Device, name: str) -> Any:
        if name == props.FULL_DEVICE_NAME:
            return device.full_name()
        if name == props.OPTIMIZATION_CAPABILITIES:
            return list(getattr(device, "optimization_capabilities", ("FP32",)))
        if name == props.RANGE_FOR_ASYNC_INFER_REQUESTS:
            return (1, 64, 1)
        raise PropertyError(f"property {name} belongs to a compiled model, not to {device.name}")

    def _target_config(self, meta_name: str, explicit: dict[str, Any]):
        """How a meta device's target gets its config: its own, then the meta device's."""
        base, _ = split_meta_name(meta_name)
        meta_settings = {**self._properties.get(base, {}), **self._properties.get(meta_name, {}),
                         **explicit}

        def config_for(target: str, _meta_config: dict[str, Any]) -> dict[str, Any]:
            return {**self._config_for(target), **meta_settings}

        return config_for

    def _config_for(self, device_name: str, config: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
        base, _ = split_meta_name(device_name)
        merged = dict(self._properties.get(GLOBAL, {}))
        for key in dict.fromkeys((base.split(".", 1)[0], base, device_name)):  # general first
            merged.update(self._properties.get(key, {}))
        merged.update(props.check_config(config, device_name))
        return merged

    # ---- models ----------------------------------------------------------------------------

    def read_model(self, path: Any, weights: str | Path | None = None):
        from vinify.api import read_model  # the compiler side, imported only when asked for

        return read_model(path, weights)

    def compile_model(self, model: Any, device_name: str = "CPU",
                      config: dict[str, Any] | None = None) -> CompiledModel:
        if isinstance(model, (str, Path, bytes, bytearray)):
            model = self.read_model(model)
        explicit = props.check_config(config, device_name)
        config = self._config_for(device_name, explicit)
        device = self.registry.get(device_name)
        if isinstance(device, MetaDevice):
            device.target_config = self._target_config(device_name, explicit)
        executable = self._compile(device, device_name, model, config)
        return CompiledModel(executable, device_name, config, getattr(model, "name", ""))

    def _compile(self, device: Device, device_name: str, graph: Any,
                 config: dict[str, Any]) -> Executable:
        from vinify.runtime.dynamic_shapes import compile_for_device, compiles_per_shape

        per_shape = compiles_per_shape(device, graph)
        if not config.get(props.CACHE_DIR) or per_shape:
            return compile_for_device(device, graph, config)
        from vinify.runtime.model_cache import cache_key, compile_with_cache

        executable, _ = compile_with_cache(
            config[props.CACHE_DIR], cache_key(graph, device_name, config),
            lambda: device.compile(graph, config),
            lambda blob: device.import_model(blob, config))
        return executable

    def import_model(self, model_stream: Any, device_name: str,
                     config: dict[str, Any] | None = None) -> CompiledModel:
        """A CompiledModel from an exported blob: bytes, a binary file object, or a path."""
        blob = _read_blob(model_stream)
        config = self._config_for(device_name, config)
        device = self.registry.get(device_name)
        return CompiledModel(device.import_model(blob, config), device_name, config)

    def query_model(self, model: Any, device_name: str) -> dict[str, str]:
        """Node name → the device that would run it (HETERO splits this way)."""
        from vinify.runtime.devices.hetero import assign_devices

        if isinstance(model, (str, Path)):
            model = self.read_model(model)
        base, targets = split_meta_name(device_name)
        names = targets if base == "HETERO" else [device_name]
        devices = [(name, self.registry.get(name)) for name in names]
        assignment = assign_devices(model, devices)
        return {node.name or node.op.key(): assignment[id(node)]
                for node in model.nodes() if id(node) in assignment}

    def __repr__(self) -> str:
        return f"<Core devices={self.available_devices}>"


def _read_blob(model_stream: Any) -> bytes:
    if isinstance(model_stream, (bytes, bytearray, memoryview)):
        return bytes(model_stream)
    if hasattr(model_stream, "read"):
        return model_stream.read()
    if isinstance(model_stream, (str, Path)):
        return Path(model_stream).read_bytes()
    raise DeviceError(f"import_model takes bytes, a binary file or a path, "
                      f"got {type(model_stream).__name__}")


__all__ = ["Core", "DeviceError"]
