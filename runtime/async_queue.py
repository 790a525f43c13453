"""AsyncInferQueue: a pool of infer requests that runs jobs as requests become free.

`start_async` blocks only while every request is busy. The user callback gets
`(request, userdata)`; one that raises is logged and kept in `callback_errors` — unlike
OpenVINO's queue, which aborts the process in that case. Inference failures are kept too and
raised, all together, by the next `wait_all`.
"""

import logging
import queue
import threading
from typing import Any, Callable, Iterator

from vinify.errors import InferenceError
from vinify.runtime.compiled_model import CompiledModel
from vinify.runtime.infer_request import InferRequest
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
        copied unless share_inputs is True."""
        index = self._idle.get()
        with self._all_idle:
            self._busy += 1
        try:
            self._requests[index].start_async(inputs, userdata, share_inputs)
        except BaseException:  # bad inputs: the request never started, give it back
            self._make_on_idle(index)()
            raise

    def wait_all(self) -> None:
        """Waits for every job; raises an InferenceError listing the jobs that failed."""
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
            self._idle.put(index)
            with self._all_idle:
                self._busy -= 1
                self._all_idle.notify_all()

        return on_idle

    def __repr__(self) -> str:
        return f"<AsyncInferQueue of {len(self)} requests on {self.compiled.device}>"
