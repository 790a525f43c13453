"""InferRequest: sync/async inference, callbacks, the busy contract, tensors, bad inputs."""

import logging
import threading

import numpy as np
import pytest
from vinify.errors import InferenceError, RequestBusyError
from vinify.runtime import Core, Tensor
from vinify.runtime.devices.template import TemplateDevice, TemplateExecutable

from tests.runtime.toy_devices import FailingDevice, SlowDevice, expected_two_input, two_input_model

A = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
B = np.linspace(2, -2, 6, dtype=np.float32).reshape(2, 3)


def compile_on(device="TEMPLATE", config=None, **devices):
    core = Core()
    for name, device_class in devices.items():
        core.register_device(name, device_class)
    return core.compile_model(two_input_model(), device, config)


def assert_two_input_results(results, a, b):
    expected_y, expected_z = expected_two_input(a, b)
    np.testing.assert_allclose(results["y"], expected_y, rtol=1e-6)
    np.testing.assert_allclose(results[1], expected_z, rtol=1e-6)


def test_inputs_by_name_index_port_list_and_tensor():
    compiled = compile_on()
    request = compiled.create_infer_request()
    assert_two_input_results(request.infer({"a": A, "b": B}), A, B)
    assert_two_input_results(request.infer({0: A, 1: B}), A, B)
    assert_two_input_results(request.infer({compiled.input("b"): B, compiled.input(0): A}), A, B)
    assert_two_input_results(request.infer([Tensor(A), B]), A, B)
    assert_two_input_results(compiled((A, B)), A, B)
    assert request.latency > 0


def test_ports_describe_names_types_and_shapes():
    compiled = compile_on()
    assert [(p.name, str(p.element_type), str(p.partial_shape)) for p in compiled.inputs] == [
        ("a", "f32", "[2,3]"), ("b", "f32", "[2,3]")]
    assert [p.get_any_name() for p in compiled.outputs] == ["y", "z"]
    with pytest.raises(InferenceError, match=r"model has no output 'w'; outputs: \['y', 'z'\]"):
        compiled.output("w")


def test_tensors_by_name_and_index():
    compiled = compile_on()
    request = compiled.create_infer_request()
    request.set_tensor("a", Tensor(A))
    request.set_input_tensor(1, B)
    results = request.infer()
    assert_two_input_results(results, A, B)
    np.testing.assert_array_equal(request.get_tensor("a").data, A)
    np.testing.assert_array_equal(request.get_input_tensor(1).data, B)
    np.testing.assert_array_equal(request.get_tensor("z").data, results["z"])
    np.testing.assert_array_equal(request.get_output_tensor(0).data, results[0])
    assert request.get_output_tensor(1).shape == (2, 3)
    assert str(request.get_output_tensor(1).element_type) == "f32"
    assert [t.shape for t in request.output_tensors] == [(2, 3), (2, 3)]
    with pytest.raises(InferenceError, match="only inputs can be set"):
        request.set_tensor("y", A)


def test_unset_tensors_and_missing_results_are_errors():
    request = compile_on().create_infer_request()
    with pytest.raises(InferenceError, match="no inference has run"):
        request.get_output_tensor(0)
    request.set_tensor("a", A)
    with pytest.raises(InferenceError, match=r"missing input\(s\) \['b'\]"):
        request.infer()
    with pytest.raises(InferenceError, match="input 'b' has not been set"):
        request.get_input_tensor(1)


@pytest.mark.parametrize("inputs, message", [
    ({"a": A}, r"missing input\(s\) \['b'\]"),
    ({"a": A, "b": B, "c": A}, r"model has no input 'c'; inputs: \['a', 'b'\]"),
    ([A, B, A], r"model takes 2 input\(s\) \['a', 'b'\], got 3"),
    ([A], r"model takes 2 input\(s\)"),
    ({"a": A, "b": B.reshape(3, 2)}, r"input 'b' expects shape \[2,3\], got \[3, 2\]"),
    ({"a": A.astype(np.float64), "b": B}, "input 'a' expects element type f32, got numpy float64"),
    ({"a": A, 1: B, "b": B}, "input 'b' is given twice"),
    ({"a": "hello", "b": B}, "input 'a' expects element type f32"),
])
def test_bad_inputs_fail_before_any_compute(inputs, message):
    counter = {"runs": 0}

    class CountingDevice(SlowDevice):
        def compile(self, graph, config):
            executable = super().compile(graph, config)
            executable.delay = 0
            original = executable.run

            def run(arrays):
                counter["runs"] += 1
                return original(arrays)

            executable.run = run
            return executable

    request = compile_on("COUNTING", COUNTING=CountingDevice).create_infer_request()
    with pytest.raises(InferenceError, match=message):
        request.infer(inputs)
    with pytest.raises(InferenceError, match=message):
        request.start_async(inputs)
    assert counter["runs"] == 0
    assert not request.is_busy  # a rejected start leaves the request usable
    assert_two_input_results(request.infer({"a": A, "b": B}), A, B)


def test_set_tensor_checks_at_once():
    request = compile_on().create_infer_request()
    with pytest.raises(InferenceError, match=r"input 'a' expects shape \[2,3\], got \[6\]"):
        request.set_tensor("a", A.ravel())


def test_four_async_requests_with_callbacks_checking_results():
    compiled = compile_on(config={"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": 4})
    requests = [compiled.create_infer_request() for _ in range(4)]
    checked, lock = [], threading.Lock()

    def on_done(userdata):
        index, a, b = userdata
        y, z = requests[index].results.to_tuple()
        expected_y, expected_z = expected_two_input(a, b)
        with lock:
            checked.append(np.allclose(y, expected_y) and np.allclose(z, expected_z))

    for round_number in range(3):
        for index, request in enumerate(requests):
            a = A * (index + 1) + round_number
            b = B - index
            request.set_callback(on_done)
            request.start_async({"a": a, "b": b}, userdata=(index, a, b))
        for request in requests:
            request.wait()
    assert checked == [True] * 12


def test_wait_for_times_out_then_succeeds():
    request = compile_on("SLOW", SLOW=SlowDevice).create_infer_request()
    request.start_async({"a": A, "b": B})
    assert request.wait_for(0.01) is False
    assert request.is_busy
    assert request.wait_for(30) is True
    assert_two_input_results(request.results, A, B)


def test_a_busy_request_refuses_a_second_inference():
    request = compile_on("SLOW", SLOW=SlowDevice).create_infer_request()
    request.start_async({"a": A, "b": B})
    with pytest.raises(RequestBusyError, match="busy"):
        request.infer({"a": B, "b": A})
    with pytest.raises(RequestBusyError):
        request.start_async({"a": B, "b": A})
    with pytest.raises(RequestBusyError):
        request.set_tensor("a", B)
    request.wait()
    assert_two_input_results(request.results, A, B)  # the first caller's inference, untouched


def test_two_threads_on_one_request_never_get_wrong_results():
    request = compile_on("SLOW", SLOW=SlowDevice).create_infer_request()
    outcomes = {}

    def call(name, a, b):
        try:
            outcomes[name] = ("ok", request.infer({"a": a, "b": b}), a, b)
        except RequestBusyError as error:
            outcomes[name] = ("busy", error, a, b)

    threads = [threading.Thread(target=call, args=(n, A * n, B + n)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kinds = sorted(outcome[0] for outcome in outcomes.values())
    assert kinds == ["busy", "ok"]
    for kind, results, a, b in outcomes.values():
        if kind == "ok":
            assert_two_input_results(results, a, b)


def test_a_raising_callback_is_logged_and_kept(caplog):
    request = compile_on().create_infer_request()
    request.set_callback(lambda userdata: 1 / 0)
    with caplog.at_level(logging.ERROR, logger="vinify.runtime"):
        request.start_async({"a": A, "b": B})
        request.wait()  # the inference itself succeeded
    assert isinstance(request.callback_error, ZeroDivisionError)
    assert "callback of an infer request on TEMPLATE raised" in caplog.text
    assert_two_input_results(request.results, A, B)
    request.set_callback(None)
    request.start_async({"a": B, "b": A})
    request.wait()
    assert request.callback_error is None
    assert_two_input_results(request.results, B, A)


def test_a_failed_async_inference_is_raised_by_wait():
    request = compile_on("FAILING", FAILING=FailingDevice).create_infer_request()
    seen = []
    request.set_callback(seen.append, userdata="job-1")
    request.start_async({"a": A, "b": B})
    with pytest.raises(InferenceError, match="fell off the bus"):
        request.wait()
    with pytest.raises(InferenceError, match="fell off the bus"):
        request.results
    assert seen == ["job-1"] and not request.is_busy


def test_profiling_reports_each_layer():
    compiled = compile_on(config={"ENABLE_PROFILING": True})
    request = compiled.create_infer_request()
    request.infer({"a": A, "b": B})
    layers = request.get_profiling_info()
    by_name = {layer.node_name: layer for layer in layers}
    assert {"mul", "add", "relu", "sub", "sigmoid"} <= set(by_name)
    assert by_name["relu"].node_type == "Relu" and by_name["relu"].exec_type == "ref_Relu<1>"
    assert all(layer.status == "EXECUTED" and layer.real_time.total_seconds() >= 0
               for layer in layers)
    assert by_name["mul"].to_dict()["node_type"] == "Multiply"


def test_profiling_off_is_an_error():
    request = compile_on().create_infer_request()
    request.infer({"a": A, "b": B})
    with pytest.raises(InferenceError, match="profiling is off"):
        request.get_profiling_info()


def test_waiting_inside_the_own_callback_is_refused_not_a_deadlock():
    request = compile_on().create_infer_request()
    request.set_callback(lambda userdata: request.wait())
    request.start_async({"a": A, "b": B})
    assert request.wait_for(30) is True
    assert "would wait forever" in str(request.callback_error)


def test_a_failed_sync_inference_leaves_no_stale_results():
    class PickyExecutable(TemplateExecutable):
        def run(self, inputs):
            if inputs[0].max() > 100:
                raise InferenceError("PICKY device: input out of range")
            return super().run(inputs)

    class PickyDevice(TemplateDevice):
        def compile(self, graph, config):
            return PickyExecutable(graph, config)

    request = compile_on("PICKY", PICKY=PickyDevice).create_infer_request()
    assert_two_input_results(request.infer({"a": A, "b": B}), A, B)
    with pytest.raises(InferenceError, match="out of range"):
        request.infer({"a": A + 200, "b": B})
    with pytest.raises(InferenceError, match="out of range"):
        request.get_output_tensor(0)
    assert_two_input_results(request.infer({"a": A, "b": B}), A, B)
