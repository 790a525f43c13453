"""Finds device plug-ins: Python entry points in group `vinify.devices`, plus the built-ins.

A third-party package adds a device by declaring an entry point that names a `Device` subclass.
Built-ins are listed here too so that a source checkout without installed metadata still works.
"""

from importlib import import_module
from importlib.metadata import entry_points

from vinify.errors import DeviceError
from vinify.runtime.device import Device

BUILTIN_DEVICES = {
    "TEMPLATE": "vinify.runtime.devices.template:TemplateDevice",
}
ENTRY_POINT_GROUP = "vinify.devices"


def _load(target: str) -> type[Device]:
    module, _, attribute = target.partition(":")
    return getattr(import_module(module), attribute)


def device_classes() -> dict[str, str]:
    """Device name → "module:Class" for every known plug-in."""
    found = dict(BUILTIN_DEVICES)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.value)
    return found


class DeviceRegistry:
    """Instantiates each device plug-in once, on first use."""

    def __init__(self):
        self._devices: dict[str, Device] = {}
        self._errors: dict[str, str] = {}

    def names(self) -> list[str]:
        return sorted(device_classes())

    def get(self, name: str) -> Device:
        base = name.split(".", 1)[0]
        known = device_classes()
        if base not in known:
            raise DeviceError(f"unknown device '{name}'; known devices: {sorted(known)}")
        if base not in self._devices:
            try:
                self._devices[base] = _load(known[base])()
            except Exception as error:  # a broken plug-in must not take the runtime down
                raise DeviceError(f"device {base} failed to load: {error}") from error
        device = self._devices[base]
        reason = device.unavailable_reason()
        if reason is not None:
            raise DeviceError(f"device {name} is not available: {reason}")
        return device

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
