"""CompiledModel and InferRequest: the user-facing side of an executable on a device."""

import threading
from typing import Any, Mapping, Sequence

import numpy as np

from vinify.errors import InferenceError, RequestBusyError
from vinify.runtime.device import Executable, Port


class CompiledModel:
    """A model compiled for one device. Call it with a dict (by input name), list, or array."""

    def __init__(self, executable: Executable, device: str, config: dict[str, Any]):
        self.executable = executable
        self.device = device
        self.config = dict(config)
        self._default_request: InferRequest | None = None

    @property
    def inputs(self) -> list[Port]:
        return list(self.executable.inputs)

    @property
    def outputs(self) -> list[Port]:
        return list(self.executable.outputs)

    def input(self, key: int | str = 0) -> Port:
        return _find_port(self.inputs, key, "input")

    def output(self, key: int | str = 0) -> Port:
        return _find_port(self.outputs, key, "output")

    def create_infer_request(self) -> "InferRequest":
        return InferRequest(self)

    def __call__(self, inputs: Any) -> "Results":
        if self._default_request is None:
            self._default_request = self.create_infer_request()
        return self._default_request.infer(inputs)

    def export_model(self) -> bytes:
        return self.executable.export()

    def get_property(self, name: str) -> Any:
        return self.config[name]


class Results(dict):
    """Outputs of an inference, addressable by output name, index, or Port."""

    def __init__(self, ports: Sequence[Port], arrays: Sequence[np.ndarray]):
        super().__init__((port.name, array) for port, array in zip(ports, arrays))
        self._ports = list(ports)
        self._arrays = list(arrays)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self._arrays[key]
        if isinstance(key, Port):
            return self._arrays[key.index]
        return super().__getitem__(key)

    def to_tuple(self) -> tuple[np.ndarray, ...]:
        return tuple(self._arrays)


class InferRequest:
    """One inference in flight at a time; using it from two threads at once is an error."""

    def __init__(self, compiled: CompiledModel):
        self.compiled = compiled
        self._lock = threading.Lock()
        self._results: Results | None = None

    def infer(self, inputs: Any = None) -> Results:
        if not self._lock.acquire(blocking=False):
            raise RequestBusyError("infer request is busy: it is already running an inference")
        try:
            arrays = validate_inputs(self.compiled.inputs, inputs)
            outputs = self.compiled.executable.run(arrays)
            self._results = Results(self.compiled.outputs, outputs)
            return self._results
        finally:
            self._lock.release()

    @property
    def results(self) -> Results:
        if self._results is None:
            raise InferenceError("no inference has run on this request yet")
        return self._results


def _find_port(ports: Sequence[Port], key: int | str, kind: str) -> Port:
    for port in ports:
        if port.index == key or (isinstance(key, str) and key in port.names | {port.name}):
            return port
    raise InferenceError(f"model has no {kind} {key!r}; {kind}s: {[p.name for p in ports]}")


def validate_inputs(ports: Sequence[Port], inputs: Any) -> list[np.ndarray]:
    """User inputs as arrays in port order; every missing, extra or ill-typed one is an error."""
    if isinstance(inputs, Mapping):
        by_index: dict[int, Any] = {}
        for key, array in inputs.items():
            port = key if isinstance(key, Port) else _find_port(ports, key, "input")
            by_index[port.index] = array
        missing = [p.name for p in ports if p.index not in by_index]
        if missing:
            raise InferenceError(f"missing input(s) {missing}")
        ordered = [by_index[p.index] for p in ports]
    elif isinstance(inputs, (list, tuple)):
        ordered = list(inputs)
    elif inputs is None:
        ordered = []
    else:
        ordered = [inputs]
    if len(ordered) != len(ports):
        raise InferenceError(f"model takes {len(ports)} input(s) {[p.name for p in ports]}, "
                             f"got {len(ordered)}")
    return [_check_input(port, array) for port, array in zip(ports, ordered)]


def _check_input(port: Port, array: Any) -> np.ndarray:
    array = np.asarray(array)
    expected = port.element_type.dtype
    if expected is not None and array.dtype != expected:
        raise InferenceError(f"input '{port.name}' expects element type {port.element_type}, "
                             f"got numpy {array.dtype}")
    if not port.shape.accepts(array.shape):
        raise InferenceError(f"input '{port.name}' expects shape {port.shape}, "
                             f"got {list(array.shape)}")
    return array
