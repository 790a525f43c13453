"""AsyncInferQueue: a pool of infer requests that runs jobs as requests become free.

`start_async` blocks only while every request is busy (and never inside a callback: there the
job waits in a queue of its own). The user callback gets
`(request, userdata)`; one that raises is logged and kept in `callback_errors` — unlike
OpenVINO's queue, which aborts the process in that case. Inference failures are kept too and
raised, all together, by the next `wait_all`.
"""

import logging
import queue
import threading
from collections import deque
from typing import Any, Callable, Iterator

import numpy as np
from vinify.errors import InferenceError
from vinify.runtime.compiled_model import CompiledModel, validate_inputs
from vinify.runtime.infer_request import InferRequest, in_callback
from vinify.runtime.properties import OPTIMAL_NUMBER_OF_INFER_REQUESTS

log = logging.getLogger("vinify.runtime")


class AsyncInferQueue:
    """`jobs` requests over one compiled model (0: the model's optimal number)."""

    def __init__(self, compiled: CompiledModel, jobs: int = 0):
        if jobs < 0:
            raise InferenceError(f"AsyncInferQueue needs jobs >= 0, got {jobs}")
        count = jobs or int(compiled.get_property(OPTIMAL_NUMBER_OF_INFER_REQUESTS))
        self.compiled = compiled
        self._requests = [compiled.create_infer_request() for _ in range(count)]
        self._idle: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._deferred: deque[tuple[list, Any]] = deque()  # jobs started inside callbacks
        self._busy = 0
        self._all_idle = threading.Condition()
        self._callback: Callable[[InferRequest, Any], None] | None = None
        self.callback_errors: list[tuple[Any, BaseException]] = []
        self.inference_errors: list[tuple[Any, BaseException]] = []
        for index, request in enumerate(self._requests):
            request.set_callback(self._make_callback(request))
            request._on_idle = self._make_on_idle(index)
            self._idle.put(index)

    def set_callback(self, callback: Callable[[InferRequest, Any], None] | None) -> None:
        """`callback(request, userdata)` runs after each job, on the stream thread."""
        self._callback = callback

    def start_async(self, inputs: Any = None, userdata: Any = None,
                    share_inputs: bool = False) -> None:
        """Runs a job on the next free request (waits for one if all are busy); the inputs are
        copied unless share_inputs is True.

        Inside a callback it never waits (the wait could be for the very thread it blocks): with
        every request busy, the job is validated now and queued; the next request to become
        free — at the latest the one whose callback this is — runs it.
        """
        if in_callback():
            index = self._idle_or_defer(inputs, userdata)
            if index is None:
                return
        else:
            index = self._idle.get()
            with self._all_idle:
                self._busy += 1
        self._start_on(index, inputs, userdata, share_inputs)

    def _start_on(self, index: int, inputs: Any, userdata: Any, share_inputs: bool) -> None:
        try:
            self._requests[index].start_async(inputs, userdata, share_inputs)
        except BaseException:  # bad inputs: the request never started, give it back
            self._make_on_idle(index)()
            raise

    def _idle_or_defer(self, inputs: Any, userdata: Any) -> int | None:
        """A free request's index (counted busy), or None once the job is queued for later."""
        with self._all_idle:
            try:
                index = self._idle.get_nowait()
            except queue.Empty:
                arrays = validate_inputs(self.compiled.inputs, inputs)
                self._deferred.append(([np.array(a, copy=True) for a in arrays], userdata))
                index = None
            self._busy += 1
            return index

    def wait_all(self) -> None:
        """Waits for every job; raises an InferenceError listing the jobs that failed."""
        if in_callback():
            raise InferenceError("wait_all inside a queue callback would wait for itself")
        with self._all_idle:
            self._all_idle.wait_for(lambda: self._busy == 0)
            failures, self.inference_errors = self.inference_errors, []
        if failures:
            details = "; ".join(f"userdata {u!r}: {e}" for u, e in failures[:5])
            raise InferenceError(f"{len(failures)} job(s) failed: {details}") from failures[0][1]

    def is_ready(self) -> bool:
        """True when a request is free, so start_async will not block."""
        return not self._idle.empty()

    def get_idle_request_id(self) -> int:
        """Waits for a free request and returns its index (it stays free)."""
        index = self._idle.get()
        self._idle.put(index)
        return index

    @property
    def userdata(self) -> list[Any]:
        return [request.userdata for request in self._requests]

    def __len__(self) -> int:
        return len(self._requests)

    def __iter__(self) -> Iterator[InferRequest]:
        return iter(self._requests)

    def __getitem__(self, index: int) -> InferRequest:
        return self._requests[index]

    def _make_callback(self, request: InferRequest) -> Callable[[Any], None]:
        def on_done(userdata: Any) -> None:
            if request._error is not None:
                self.inference_errors.append((userdata, request._error))
                return
            if self._callback is None:
                return
            try:
                self._callback(request, userdata)
            except Exception as error:
                self.callback_errors.append((userdata, error))
                log.exception("AsyncInferQueue callback raised (userdata %r)", userdata)

        return on_done

    def _make_on_idle(self, index: int) -> Callable[[], None]:
        def on_idle() -> None:
            with self._all_idle:
                self._busy -= 1  # a job ended (a deferred job was counted when it was queued)
                if not self._deferred:
                    self._idle.put(index)
                    self._all_idle.notify_all()
                    return
                arrays, userdata = self._deferred.popleft()
            self._start_deferred(index, arrays, userdata)

        return on_idle

    def _start_deferred(self, index: int, arrays: list, userdata: Any) -> None:
        try:
            self._requests[index].start_async(arrays, userdata, share_inputs=True)
        except Exception as error:  # cannot happen for validated inputs; never lose the job
            self.inference_errors.append((userdata, error))
            self._make_on_idle(index)()

    def __repr__(self) -> str:
        return f"<AsyncInferQueue of {len(self)} requests on {self.compiled.device}>"
