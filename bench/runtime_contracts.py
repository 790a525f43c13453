"""The runtime's concurrency contracts, measured beside OpenVINO in the same process run.

Two threads share one infer request for SECONDS; every result is checked against numpy.
vinify must answer RequestBusyError or the right outputs; OpenVINO is measured the same way.
Then a raising AsyncInferQueue callback: vinify keeps the error, OpenVINO's exit is shown.

    .venv/bin/python bench/runtime_contracts.py [SECONDS]
"""

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def onnx_model(path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    nodes = [helper.make_node("Mul", ["a", "b"], ["p"]), helper.make_node("Sigmoid", ["p"], ["y"])]
    tensor = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [64, 64]) for n in "aby"]
    graph = helper.make_graph(nodes, "shared", tensor[:2], tensor[2:])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)


def shared_request_run(infer, seconds: float) -> dict[str, int]:
    """Two threads on one request: counts of right, wrong, refused (busy) and failed ones."""
    tally = {"right": 0, "wrong": 0, "busy": 0, "other error": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(seed: int) -> None:
        rng = np.random.default_rng(seed)
        while time.monotonic() < deadline:
            a, b = (rng.standard_normal((64, 64)).astype(np.float32) for _ in range(2))
            try:
                y = infer(a, b)
            except Exception as error:  # vinify: RequestBusyError; OpenVINO: its busy error
                key = "busy" if "busy" in str(error).lower() else "other error"
                with lock:
                    tally[key] += 1
                continue
            key = "right" if np.allclose(y, 1 / (1 + np.exp(-a * b)), atol=1e-5) else "wrong"
            with lock:
                tally[key] += 1

    threads = [threading.Thread(target=loop, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def vinify_infer(path: Path):
    from vinify.runtime import Core

    request = Core().compile_model(str(path), "TEMPLATE").create_infer_request()
    return lambda a, b: request.infer({"a": a, "b": b})["y"]


def openvino_infer(path: Path):
    import openvino as ov

    request = ov.Core().compile_model(str(path), "CPU").create_infer_request()
    return lambda a, b: request.infer({"a": a, "b": b})[0].copy()


RAISING_CALLBACK = """
import numpy as np, sys
{setup}
queue.set_callback(lambda request, userdata: 1 / 0)
for _ in range(4):
    queue.start_async({{"a": np.ones((64, 64), np.float32), "b": np.ones((64, 64), np.float32)}})
queue.wait_all()
print("survived")
"""
VINIFY_QUEUE = ("from vinify.runtime import AsyncInferQueue, Core\n"
                "queue = AsyncInferQueue(Core().compile_model(sys.argv[1], 'TEMPLATE'), 2)")
OPENVINO_QUEUE = ("import openvino as ov\n"
                  "queue = ov.AsyncInferQueue(ov.Core().compile_model(sys.argv[1], 'CPU'), 2)")


def raising_callback(setup: str, path: Path) -> str:
    run = subprocess.run([sys.executable, "-c", RAISING_CALLBACK.format(setup=setup), str(path)],
                         capture_output=True, text=True, timeout=120)
    if "survived" in run.stdout:
        return f"exit code {run.returncode}, the loop survived"
    last = (run.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
    return f"exit code {run.returncode}, the loop stopped: {last}"


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shared.onnx"
        onnx_model(path)
        for name, make in (("vinify TEMPLATE", vinify_infer), ("OpenVINO CPU", openvino_infer)):
            print(f"{name:16} one request, two threads, {seconds:g} s: "
                  f"{shared_request_run(make(path), seconds)}")
        for name, setup in (("vinify", VINIFY_QUEUE), ("OpenVINO", OPENVINO_QUEUE)):
            print(f"{name:16} AsyncInferQueue with a raising callback: "
                  f"{raising_callback(setup, path)}")


if __name__ == "__main__":
    main()
