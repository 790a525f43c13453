"""The measurement loop: sync (one request, back to back) or async (a queue of requests).

It stops after `niter` inferences or `seconds` of wall time, whichever comes first (at least one
of them is set). A first inference runs before the clock starts and is reported on its own, as
benchmark_app does: it includes one-time work (lazy compiles, cache warm-up). In async mode every
request runs once before the clock starts, so MULTI has warmed each of its devices.
"""

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from vinify.runtime import AsyncInferQueue, CompiledModel
from vinify.tools.benchmark.progress import ProgressBar


@dataclass
class Measurement:
    count: int = 0
    duration_ms: float = 0.0
    first_inference_ms: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    per_layer: list[dict] = field(default_factory=list)

    @property
    def throughput_fps(self) -> float:
        return self.count / (self.duration_ms / 1000.0) if self.duration_ms > 0 else 0.0


@dataclass(frozen=True)
class Limits:
    niter: int | None
    seconds: float | None

    def done(self, started: int, start_time: float) -> bool:
        if self.niter is not None and started >= self.niter:
            return True
        return self.seconds is not None and time.perf_counter() - start_time >= self.seconds

    def fraction(self, finished: int, start_time: float) -> float:
        by_count = finished / self.niter if self.niter else 0.0
        elapsed = time.perf_counter() - start_time
        by_time = elapsed / self.seconds if self.seconds else 0.0
        return max(by_count, by_time)


def run_sync(compiled: CompiledModel, inputs: dict[str, Any], limits: Limits,
             progress: ProgressBar) -> Measurement:
    request = compiled.create_infer_request()
    measurement = Measurement()
    request.infer(inputs)
    measurement.first_inference_ms = request.latency
    start = time.perf_counter()
    while not limits.done(measurement.count, start):
        began = time.perf_counter()
        request.infer(inputs)
        measurement.latencies_ms.append((time.perf_counter() - began) * 1000.0)
        measurement.count += 1
        progress.update(limits.fraction(measurement.count, start))
    measurement.duration_ms = (time.perf_counter() - start) * 1000.0
    measurement.per_layer = _layers(request)
    return measurement


def run_async(compiled: CompiledModel, inputs: dict[str, Any], limits: Limits, requests: int,
              progress: ProgressBar) -> Measurement:
    queue = AsyncInferQueue(compiled, requests)
    measurement = Measurement()
    lock = threading.Lock()
    for request in queue:  # every request (MULTI: every device) runs once before the clock
        request.infer(inputs)
        if request is queue[0]:
            measurement.first_inference_ms = request.latency
    first = queue[0]

    def on_done(request, userdata) -> None:
        with lock:
            measurement.latencies_ms.append(request.latency)

    queue.set_callback(on_done)
    start = time.perf_counter()
    started = 0
    while not limits.done(started, start):
        queue.start_async(inputs)
        started += 1
        progress.update(limits.fraction(len(measurement.latencies_ms), start))
    queue.wait_all()
    measurement.duration_ms = (time.perf_counter() - start) * 1000.0
    measurement.count = len(measurement.latencies_ms)
    measurement.per_layer = _layers(first)
    return measurement


def _layers(request) -> list[dict]:
    if not request.compiled.config.get("ENABLE_PROFILING", False):
        return []
    return [layer.to_dict() for layer in request.get_profiling_info()]
