"""Concurrency stress (bounded: ~2 s): many threads, own and shared requests, an async queue.

Every result is checked against numpy; a shared request may refuse (RequestBusyError) but
must never return another caller's outputs. Every thread must finish: no deadlock.
"""

import threading
import time

import numpy as np
from vinify.errors import RequestBusyError
from vinify.runtime import AsyncInferQueue, Core

from tests.runtime.toy_devices import AddOnlyDevice, expected_two_input, two_input_model

DURATION = 2.0


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.good = self.wrong = self.busy = 0
        self.failures: list[BaseException] = []

    def check(self, results, a, b) -> None:
        expected_y, expected_z = expected_two_input(a, b)
        ok = np.allclose(results["y"], expected_y, rtol=1e-5, atol=1e-6)
        ok = ok and np.allclose(results["z"], expected_z, rtol=1e-5, atol=1e-6)
        with self.lock:
            if ok:
                self.good += 1
            else:
                self.wrong += 1


def random_inputs(rng):
    return (rng.standard_normal((2, 3)).astype(np.float32),
            rng.standard_normal((2, 3)).astype(np.float32))


def own_request_loop(compiled, tally, seed, deadline):
    rng = np.random.default_rng(seed)
    request = compiled.create_infer_request()
    while time.monotonic() < deadline:
        a, b = random_inputs(rng)
        tally.check(request.infer({"a": a, "b": b}), a, b)


def shared_request_loop(request, tally, seed, deadline):
    rng = np.random.default_rng(seed)
    while time.monotonic() < deadline:
        a, b = random_inputs(rng)
        try:
            results = request.infer({"a": a, "b": b})
        except RequestBusyError:
            with tally.lock:
                tally.busy += 1
            continue
        tally.check(results, a, b)


def queue_loop(compiled, tally, seed, deadline):
    rng = np.random.default_rng(seed)
    queue = AsyncInferQueue(compiled, 4)
    queue.set_callback(lambda request, userdata: tally.check(request.results, *userdata))
    while time.monotonic() < deadline:
        a, b = random_inputs(rng)
        queue.start_async({"a": a, "b": b}, userdata=(a, b))
    queue.wait_all()
    tally.failures.extend(error for _, error in queue.callback_errors)


def guarded(target, tally, *args):
    def body():
        try:
            target(*args)
        except BaseException as error:  # reported by the test, never lost in a thread
            tally.failures.append(error)

    return threading.Thread(target=body, daemon=True)


def test_concurrent_requests_give_only_right_results_and_never_deadlock():
    core = Core()
    core.register_device("ADDONLY", AddOnlyDevice)
    config = {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": 4}
    compiled = core.compile_model(two_input_model(), "TEMPLATE", config)
    hetero = core.compile_model(two_input_model(), "HETERO:ADDONLY,TEMPLATE", config)
    shared = compiled.create_infer_request()
    tally = Tally()
    deadline = time.monotonic() + DURATION
    threads = [guarded(own_request_loop, tally, compiled, tally, seed, deadline)
               for seed in range(3)]
    threads.append(guarded(own_request_loop, tally, hetero, tally, 10, deadline))
    threads += [guarded(shared_request_loop, tally, shared, tally, 20 + n, deadline)
                for n in range(3)]
    threads.append(guarded(queue_loop, tally, compiled, tally, 30, deadline))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=DURATION + 60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck: deadlock"
    assert tally.failures == []
    assert tally.wrong == 0
    assert tally.good > 100
