"""AsyncInferQueue: jobs over a pool of requests, callbacks, failures kept, never a crash."""

import logging
import threading

import numpy as np
import pytest
from vinify.errors import InferenceError
from vinify.runtime import AsyncInferQueue, Core

from tests.runtime.toy_devices import FailingDevice, SlowDevice, expected_two_input, two_input_model

A = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
B = np.linspace(2, -2, 6, dtype=np.float32).reshape(2, 3)


def compile_on(device="TEMPLATE", config=None, **devices):
    core = Core()
    for name, device_class in devices.items():
        core.register_device(name, device_class)
    return core.compile_model(two_input_model(), device, config)


def test_jobs_run_on_four_requests_and_callbacks_see_their_own_results():
    compiled = compile_on(config={"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": 4})
    queue = AsyncInferQueue(compiled, 4)
    assert len(queue) == 4 and len(list(queue)) == 4
    seen, lock = {}, threading.Lock()

    def on_done(request, userdata):
        a, b = userdata
        expected_y, expected_z = expected_two_input(a, b)
        good = np.allclose(request.results["y"], expected_y)
        good = good and np.allclose(request.get_output_tensor(1).data, expected_z)
        with lock:
            seen[float(a[0, 0])] = good

    queue.set_callback(on_done)
    for job in range(20):
        a, b = A + job, B * job
        queue.start_async({"a": a, "b": b}, userdata=(a, b))
    queue.wait_all()
    assert len(seen) == 20 and all(seen.values())
    assert queue.is_ready()


def test_default_size_is_the_optimal_number_of_requests():
    compiled = compile_on(config={"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": 3})
    assert len(AsyncInferQueue(compiled)) == 3


def test_is_ready_is_false_while_every_request_is_busy():
    compiled = compile_on("SLOW", {"NUM_STREAMS": 2}, SLOW=SlowDevice)
    queue = AsyncInferQueue(compiled, 2)
    queue.start_async({"a": A, "b": B})
    queue.start_async({"a": A, "b": B})
    assert not queue.is_ready()
    queue.wait_all()
    assert queue.is_ready() and queue.get_idle_request_id() in (0, 1)


def test_a_raising_callback_is_kept_and_the_queue_goes_on(caplog):
    queue = AsyncInferQueue(compile_on(), 2)

    def on_done(request, userdata):
        if userdata % 3 == 0:
            raise ValueError(f"job {userdata} does not like its results")

    queue.set_callback(on_done)
    with caplog.at_level(logging.ERROR, logger="vinify.runtime"):
        for job in range(7):
            queue.start_async({"a": A, "b": B}, userdata=job)
        queue.wait_all()
    assert sorted(userdata for userdata, _ in queue.callback_errors) == [0, 3, 6]
    assert all(isinstance(error, ValueError) for _, error in queue.callback_errors)
    assert "AsyncInferQueue callback raised" in caplog.text


def test_a_failed_job_is_raised_by_wait_all_once():
    queue = AsyncInferQueue(compile_on("FAILING", FAILING=FailingDevice), 2)
    queue.start_async({"a": A, "b": B}, userdata="first")
    with pytest.raises(InferenceError, match=r"1 job\(s\) failed: userdata 'first': FAILING"):
        queue.wait_all()
    queue.wait_all()  # reported once


def test_bad_inputs_are_refused_and_the_request_comes_back():
    queue = AsyncInferQueue(compile_on(), 1)
    with pytest.raises(InferenceError, match=r"missing input\(s\) \['b'\]"):
        queue.start_async({"a": A})
    assert queue.is_ready()
    results = []
    queue.set_callback(lambda request, userdata: results.append(request.results["y"]))
    queue.start_async({"a": A, "b": B})
    queue.wait_all()
    np.testing.assert_allclose(results[0], expected_two_input(A, B)[0], rtol=1e-6)


def test_negative_jobs_is_an_error():
    with pytest.raises(InferenceError, match="jobs >= 0"):
        AsyncInferQueue(compile_on(), -1)


def test_a_buffer_refilled_after_start_does_not_change_the_job():
    compiled = compile_on("SLOW", {"NUM_STREAMS": 2}, SLOW=SlowDevice)
    queue = AsyncInferQueue(compiled, 2)
    buffer = {"a": A.copy(), "b": B.copy()}
    outputs = {}
    queue.set_callback(lambda request, userdata: outputs.update({userdata: request.results["y"]}))
    queue.start_async(buffer, userdata="first")
    buffer["a"][:] = 100.0  # the next frame arrives while the first job still runs
    queue.start_async(buffer, userdata="second")
    queue.wait_all()
    np.testing.assert_allclose(outputs["first"], expected_two_input(A, B)[0], rtol=1e-6)
    np.testing.assert_allclose(outputs["second"], expected_two_input(A * 0 + 100, B)[0],
                               rtol=1e-6)


def test_chaining_jobs_from_callbacks_never_deadlocks():
    queue = AsyncInferQueue(compile_on(config={"NUM_STREAMS": 1}), 1)
    chained, outputs = [], []

    def on_done(request, userdata):
        chained.append(userdata)
        outputs.append(request.results["y"])
        if userdata < 3:  # the queue's only request is this busy one: the job must wait
            queue.start_async({"a": A * userdata, "b": B}, userdata=userdata + 1)

    queue.set_callback(on_done)
    queue.start_async({"a": A, "b": B}, userdata=0)
    queue.wait_all()
    assert chained == [0, 1, 2, 3] and queue.callback_errors == []
    np.testing.assert_allclose(outputs[3], expected_two_input(A * 2, B)[0], rtol=1e-6)


def test_wait_all_inside_a_callback_is_refused():
    queue = AsyncInferQueue(compile_on(), 1)
    queue.set_callback(lambda request, userdata: queue.wait_all())
    queue.start_async({"a": A, "b": B})
    queue.wait_all()
    assert "would wait for itself" in str(queue.callback_errors[0][1])


def test_chaining_with_a_free_request_works():
    queue = AsyncInferQueue(compile_on(config={"NUM_STREAMS": 2}), 2)
    chained, done = [], threading.Event()

    def on_done(request, userdata):
        chained.append(userdata)
        if userdata < 3:
            queue.start_async({"a": A, "b": B}, userdata=userdata + 1)
        else:
            done.set()

    queue.set_callback(on_done)
    queue.start_async({"a": A, "b": B}, userdata=0)
    assert done.wait(30)
    queue.wait_all()
    assert chained == [0, 1, 2, 3] and queue.callback_errors == []
