"""CompiledModel: a model compiled for one device, and the validation of user inputs.

A CompiledModel owns a pool of worker threads, one per stream (NUM_STREAMS, resolved from the
performance hint): asynchronous requests run there, so at most that many run at once.
"""

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from vinify.errors import InferenceError, PropertyError
from vinify.runtime import properties as props
from vinify.runtime.device import Executable, Port
from vinify.runtime.tensor import as_array


class CompiledModel:
    """A model compiled for one device. Call it with a dict (by input name), list, or array."""

    def __init__(self, executable: Executable, device: str, config: dict[str, Any],
                 model_name: str = ""):
        self.executable = executable
        self.device = device
        self.config = dict(config)
        self.model_name = model_name
        self._default_request = None
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    @property
    def inputs(self) -> list[Port]:
        return list(self.executable.inputs)

    @property
    def outputs(self) -> list[Port]:
        return list(self.executable.outputs)

    def input(self, key: int | str = 0) -> Port:
        return find_port(self.inputs, key, "input")

    def output(self, key: int | str = 0) -> Port:
        return find_port(self.outputs, key, "output")

    def create_infer_request(self):
        from vinify.runtime.infer_request import InferRequest

        return InferRequest(self)

    def __call__(self, inputs: Any = None) -> "Results":
        if self._default_request is None:
            self._default_request = self.create_infer_request()
        return self._default_request.infer(inputs)

    def export_model(self) -> bytes:
        return self.executable.export()

    @property
    def num_streams(self) -> int:
        """Streams from the config; AUTO also gives a multi-device executable one per device."""
        streams = props.effective_streams(self.config)
        if self.config.get(props.NUM_STREAMS, "AUTO") == "AUTO":
            streams = max(streams, getattr(self.executable, "min_streams", 1))
        return streams

    def get_property(self, name: str) -> Any:
        if name in (props.OPTIMAL_NUMBER_OF_INFER_REQUESTS, props.NUM_STREAMS):
            return self.num_streams
        if name == props.EXECUTION_DEVICES:
            return self.executable.execution_devices() or [self.device]
        if name == props.MODEL_NAME:
            return self.model_name
        if name == props.SUPPORTED_PROPERTIES:
            return sorted(set(props.WRITABLE) | {props.OPTIMAL_NUMBER_OF_INFER_REQUESTS,
                                                  props.EXECUTION_DEVICES, props.MODEL_NAME})
        if name in props.WRITABLE:
            return props.with_defaults(self.config)[name]
        raise PropertyError(f"compiled model on {self.device} has no property {name!r}")

    def submit(self, job: Callable[[], None]) -> Future:
        """Runs `job` on one of this model's stream threads."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=max(1, self.num_streams),
                                                thread_name_prefix=f"vinify-{self.device}")
            return self._pool.submit(job)

    def __repr__(self) -> str:
        return f"<CompiledModel '{self.model_name}' on {self.device}>"


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


def find_port(ports: Sequence[Port], key: int | str | Port, kind: str) -> Port:
    if isinstance(key, Port):
        key = key.index if key in ports else key.name
    for port in ports:
        if port.index == key or (isinstance(key, str) and key in port.names | {port.name}):
            return port
    raise InferenceError(f"model has no {kind} {key!r}; {kind}s: {[p.name for p in ports]}")


_find_port = find_port  # the name the first runtime version used


def validate_inputs(ports: Sequence[Port], inputs: Any) -> list[np.ndarray]:
    """User inputs as arrays in port order; every missing, extra or ill-typed one is an error."""
    if isinstance(inputs, Mapping):
        by_index: dict[int, Any] = {}
        for key, array in inputs.items():
            port = find_port(ports, key, "input")
            if port.index in by_index:
                raise InferenceError(f"input '{port.name}' is given twice")
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
    return [check_input(port, array) for port, array in zip(ports, ordered)]


def check_input(port: Port, array: Any) -> np.ndarray:
    """The array for `port`; an InferenceError naming the port if its type or shape is wrong."""
    try:
        array = as_array(array)
    except (TypeError, ValueError) as error:
        raise InferenceError(f"input '{port.name}' is not an array: {error}") from None
    expected = port.element_type.dtype
    if expected is not None and array.dtype != expected:
        raise InferenceError(f"input '{port.name}' expects element type {port.element_type}, "
                             f"got numpy {array.dtype}")
    if not port.shape.accepts(array.shape):
        raise InferenceError(f"input '{port.name}' expects shape {port.shape}, "
                             f"got {list(array.shape)}")
    return array
