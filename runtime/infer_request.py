"""InferRequest: one inference at a time, synchronous or asynchronous, with callbacks.

Contract (each part is tested):
- A request runs one inference at a time. Starting another while one runs — from any thread —
  raises RequestBusyError at once; a request never mixes two callers' inputs or outputs.
- Inputs are validated (names, count, element types, shapes) before any compute.
- A callback that raises is logged and kept in `callback_error`; it never kills the process and
  never turns a finished inference into a failed one.
- An inference that fails asynchronously is re-raised by `wait`/`wait_for` and by `results`.
"""

import logging
import threading
import time
from typing import Any, Callable

import numpy as np
from vinify.errors import InferenceError, RequestBusyError, VinifyError
from vinify.runtime.compiled_model import (
    CompiledModel,
    Results,
    check_input,
    find_port,
    validate_inputs,
)
from vinify.runtime.device import Port
from vinify.runtime.profiling import ProfilingInfo
from vinify.runtime.tensor import Tensor

log = logging.getLogger("vinify.runtime")
_callback_state = threading.local()  # .running: this thread is inside a request's callback


def in_callback() -> bool:
    """True on a stream thread while it runs a request's callback (blocking there can deadlock:
    the thread that would finish the awaited work may be this one)."""
    return getattr(_callback_state, "running", False)


class InferRequest:
    """One inference in flight at a time; using it from two threads at once is an error."""

    def __init__(self, compiled: CompiledModel):
        self.compiled = compiled
        self._lock = threading.Lock()  # held from start to end of an inference (busy flag)
        self._done = threading.Event()
        self._done.set()
        self._inputs: list[np.ndarray | None] = [None] * len(compiled.inputs)
        self._results: Results | None = None
        self._error: BaseException | None = None
        self._profiling: list[ProfilingInfo] = []
        self._callback: Callable[[Any], None] | None = None
        self._on_idle: Callable[[], None] | None = None  # used by AsyncInferQueue
        self._callback_userdata: Any = None
        self._callback_thread: int | None = None  # set while the callback runs
        self.userdata: Any = None
        self.callback_error: BaseException | None = None
        self.latency: float = 0.0  # milliseconds of the last inference

    # ---- running -------------------------------------------------------------------------

    def infer(self, inputs: Any = None) -> Results:
        """Runs one inference now, in this thread; returns the outputs."""
        self._acquire()
        try:
            arrays = self._prepare(inputs)
            self._error = None
            self._run(arrays)
            return self._results
        except Exception as error:  # `results` must not serve the previous inference's outputs
            self._error = error
            raise
        finally:
            self._lock.release()

    def start_async(self, inputs: Any = None, userdata: Any = None,
                    share_inputs: bool = False) -> None:
        """Validates the inputs now, then runs the inference on a stream thread.

        The inputs are copied unless share_inputs is True: a caller that refills its buffer
        for the next job while this one runs must not change this job's result.
        """
        self._acquire()
        try:
            arrays = self._prepare(inputs)
            if not share_inputs:
                arrays = [np.array(array, copy=True) for array in arrays]
                self._inputs = list(arrays)
        except BaseException:
            self._lock.release()
            raise
        self.userdata = userdata if userdata is not None else self._callback_userdata
        self._error = None
        self.callback_error = None
        self._done.clear()
        try:
            self.compiled.submit(lambda: self._run_async(arrays))
        except BaseException:  # the pool is shut down: leave the request usable
            self._lock.release()
            self._done.set()
            raise

    def wait(self) -> None:
        """Blocks until the running inference (and its callback) ended; re-raises its error."""
        self._refuse_wait_from_callback()
        self._done.wait()
        self._raise_failure()

    def wait_for(self, timeout: float) -> bool:
        """Waits at most `timeout` seconds; True when the inference has ended."""
        self._refuse_wait_from_callback()
        if not self._done.wait(max(0.0, float(timeout))):
            return False
        self._raise_failure()
        return True

    def set_callback(self, callback: Callable[[Any], None] | None, userdata: Any = None) -> None:
        """`callback(userdata)` runs after each asynchronous inference, on the stream thread;
        userdata given to start_async takes precedence over the one given here."""
        self._callback = callback
        self._callback_userdata = userdata

    def _refuse_wait_from_callback(self) -> None:
        if self._callback_thread == threading.get_ident():
            raise InferenceError("wait() inside this request's own callback would wait forever: "
                                 "the request ends after its callback returns")

    @property
    def is_busy(self) -> bool:
        return self._lock.locked()

    def _acquire(self) -> None:
        if not self._lock.acquire(blocking=False):
            raise RequestBusyError("infer request is busy: it is already running an inference "
                                   "(use one request per thread, or an AsyncInferQueue)")

    def _prepare(self, inputs: Any) -> list[np.ndarray]:
        if inputs is None and self._inputs and all(a is not None for a in self._inputs):
            return list(self._inputs)
        if inputs is None and self._inputs:
            missing = [p.name for p, a in zip(self.compiled.inputs, self._inputs) if a is None]
            raise InferenceError(f"missing input(s) {missing}: pass inputs or set_tensor first")
        arrays = validate_inputs(self.compiled.inputs, inputs)
        self._inputs = list(arrays)
        return arrays

    def _run(self, arrays: list[np.ndarray]) -> None:
        executable = self.compiled.executable
        self._results, self._profiling = None, []
        start = time.perf_counter()
        if self.compiled.config.get("ENABLE_PROFILING", False):
            outputs, records = executable.run_profiled(arrays)
        else:
            outputs, records = executable.run(arrays), []
        self.latency = (time.perf_counter() - start) * 1000.0
        if len(outputs) != len(self.compiled.outputs):
            raise InferenceError(f"device {self.compiled.device} returned {len(outputs)} "
                                 f"outputs, the model has {len(self.compiled.outputs)}")
        self._profiling = list(records)
        self._results = Results(self.compiled.outputs, outputs)

    def _run_async(self, arrays: list[np.ndarray]) -> None:
        try:
            self._run(arrays)
        except BaseException as error:  # kept for wait(); a stream thread must not die
            self._error = error
        self._call_back()
        self._finish()

    def _call_back(self) -> None:
        if self._callback is None:
            return
        self._callback_thread = threading.get_ident()
        _callback_state.running = True
        try:
            self._callback(self.userdata)
        except Exception as error:
            self.callback_error = error
            log.exception("callback of an infer request on %s raised", self.compiled.device)
        finally:
            self._callback_thread = None
            _callback_state.running = False

    def _finish(self) -> None:
        self._lock.release()
        self._done.set()
        on_idle = self._on_idle
        if on_idle is not None:
            on_idle()

    def _raise_failure(self) -> None:
        error = self._error
        if error is None:
            return
        if isinstance(error, VinifyError):
            raise error
        raise InferenceError(f"inference on {self.compiled.device} failed: "
                             f"{type(error).__name__}: {error}") from error

    # ---- tensors ---------------------------------------------------------------------------

    @property
    def results(self) -> Results:
        self._raise_failure()
        if self._results is None:
            raise InferenceError("no inference has run on this request yet")
        return self._results

    def get_tensor(self, key: str | Port) -> Tensor:
        """The input or output tensor with this name (or Port)."""
        if self._is_input(key):
            return self.get_input_tensor(find_port(self.compiled.inputs, key, "input").index)
        return self.get_output_tensor(find_port(self.compiled.outputs, key, "output").index)

    def get_input_tensor(self, index: int = 0) -> Tensor:
        port = find_port(self.compiled.inputs, index, "input")
        array = self._inputs[port.index]
        if array is None:
            raise InferenceError(f"input '{port.name}' has not been set on this request")
        return Tensor(array)

    def get_output_tensor(self, index: int = 0) -> Tensor:
        port = find_port(self.compiled.outputs, index, "output")
        return Tensor(self.results[port.index])

    @property
    def input_tensors(self) -> list[Tensor]:
        return [self.get_input_tensor(p.index) for p in self.compiled.inputs]

    @property
    def output_tensors(self) -> list[Tensor]:
        return [self.get_output_tensor(p.index) for p in self.compiled.outputs]

    def set_tensor(self, key: str | Port, tensor: Any) -> None:
        """Sets an input by name or Port; checked against the port at once."""
        if not self._is_input(key):
            raise InferenceError(f"cannot set {key!r}: only inputs can be set on a request; "
                                 f"inputs: {[p.name for p in self.compiled.inputs]}")
        self.set_input_tensor(find_port(self.compiled.inputs, key, "input").index, tensor)

    def set_input_tensor(self, index: Any = 0, tensor: Any = None) -> None:
        """set_input_tensor(tensor) for a one-input model, or set_input_tensor(index, tensor)."""
        if tensor is None:
            index, tensor = 0, index
        port = find_port(self.compiled.inputs, index, "input")
        array = check_input(port, tensor)
        self._acquire()  # never change inputs under a running inference
        try:
            self._inputs[port.index] = array
        finally:
            self._lock.release()

    def set_input_tensors(self, tensors: dict | list) -> None:
        items = tensors.items() if isinstance(tensors, dict) else enumerate(tensors)
        for key, tensor in items:
            if isinstance(key, int):
                self.set_input_tensor(key, tensor)
            else:
                self.set_tensor(key, tensor)

    def _is_input(self, key: Any) -> bool:
        inputs = self.compiled.inputs
        if isinstance(key, Port):
            return any(key is p or key == p for p in inputs)
        return any(key in p.names | {p.name} for p in inputs)

    # ---- profiling ---------------------------------------------------------------------------

    def get_profiling_info(self) -> list[ProfilingInfo]:
        """Per-layer counters of the last inference (ENABLE_PROFILING must be set)."""
        if not self.compiled.config.get("ENABLE_PROFILING", False):
            raise InferenceError("profiling is off: compile with config "
                                 "{'ENABLE_PROFILING': True}")
        return list(self._profiling)

    @property
    def profiling_info(self) -> list[ProfilingInfo]:
        return self.get_profiling_info()

    def __repr__(self) -> str:
        state = "busy" if self.is_busy else "idle"
        return f"<InferRequest on {self.compiled.device}, {state}>"
