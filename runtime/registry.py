"""Finds device plug-ins: Python entry points in group `vinify.devices`, plus the built-ins.

A third-party package adds a device by declaring an entry point that names a `Device` subclass.
Built-ins are listed here too so that a source checkout without installed metadata still works.
Meta devices (HETERO, MULTI, AUTO) are named with their targets, `HETERO:GPU,CPU`; they are
built per name, around this registry, so they can compile on the devices they name.
"""

import inspect
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from vinify.errors import DeviceError
from vinify.runtime.device import Device

BUILTIN_DEVICES = {
    "TEMPLATE": "vinify.runtime.devices.template:TemplateDevice",
    "CPU": "vinify.runtime.devices.cpu:CpuDevice",
    "GPU": "vinify.runtime.devices.gpu:GpuDevice",
}
META_DEVICES = {
    "HETERO": "vinify.runtime.devices.hetero:HeteroDevice",
    "MULTI": "vinify.runtime.devices.multi:MultiDevice",
    "AUTO": "vinify.runtime.devices.auto:AutoDevice",
}
ENTRY_POINT_GROUP = "vinify.devices"


def _load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    return getattr(import_module(module), attribute)


def device_classes() -> dict[str, str]:
    """Device name → "module:Class" for every known plug-in."""
    found = dict(BUILTIN_DEVICES)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.value)
    return found


def split_meta_name(name: str) -> tuple[str, list[str]]:
    """'HETERO:GPU,CPU' → ('HETERO', ['GPU', 'CPU']); a plain name has no targets."""
    base, _, targets = name.partition(":")
    return base.strip(), [t.strip() for t in targets.split(",") if t.strip()]


class DeviceRegistry:
    """Instantiates each device plug-in once, on first use."""

    def __init__(self):
        self._devices: dict[str, Device] = {}
        self._registered: dict[str, Any] = {}

    def register(self, name: str, device: Device | type[Device]) -> None:
        """Adds (or replaces) a device for this registry only: a class or an instance."""
        if not name or any(c in name for c in ":,. "):
            raise DeviceError(f"bad device name {name!r}: no ':', ',', '.' or spaces allowed")
        self._registered[name] = device
        self._devices.pop(name, None)

    def names(self) -> list[str]:
        """Physical devices known (meta devices are not listed, as in OpenVINO)."""
        return sorted(set(device_classes()) | set(self._registered))

    def get(self, name: str) -> Device:
        base, targets = split_meta_name(name)
        if base in META_DEVICES:
            return self._meta(base, targets, name)
        device = self._instance(base, name)
        reason = device.unavailable_reason()
        if reason is not None:
            raise DeviceError(f"device {name} is not available: {reason}")
        return device

    def is_available(self, name: str) -> bool:
        try:
            self.get(name)
        except DeviceError:
            return False
        return True

    def _instance(self, key: str, name: str) -> Device:
        """The device for "GPU" or a numbered "GPU.1": a class taking `index` is built with
        index=1; for one that does not, "X.1" is X itself (properties may still differ)."""
        if key in self._devices:
            return self._devices[key]
        base, _, suffix = key.partition(".")
        if suffix and not suffix.isdigit():
            raise DeviceError(f"bad device name '{name}': the part after '.' must be an index")
        known = {**device_classes(), **self._registered}
        if base not in known:
            raise DeviceError(f"unknown device '{name}'; known devices: {sorted(known)} "
                              f"and the meta devices {sorted(META_DEVICES)}")
        target = known[base]
        try:
            if isinstance(target, Device):
                device = target
            else:
                device_class = _load(target) if isinstance(target, str) else target
                numbered = suffix and "index" in inspect.signature(device_class).parameters
                device = device_class(index=int(suffix)) if numbered else (
                    self._instance(base, name) if suffix else device_class())
        except DeviceError:
            raise
        except Exception as error:  # a broken plug-in must not take the runtime down
            raise DeviceError(f"device {base} failed to load: {error}") from error
        if not isinstance(device, Device):
            raise DeviceError(f"device {base}: {known[base]!r} is not a vinify Device")
        self._devices[key] = device
        return device

    def _meta(self, base: str, targets: list[str], name: str) -> Device:
        if base != "AUTO" and not targets:
            raise DeviceError(f"{base} needs target devices, e.g. '{base}:CPU,TEMPLATE'")
        return _load(META_DEVICES[base])(self, targets)

    def availability(self) -> dict[str, str | None]:
        """Device name → None if usable, else the reason it is not."""
        result = {}
        for name in self.names():
            try:
                self.get(name)
                result[name] = None
            except DeviceError as error:
                result[name] = str(error)
        return result
