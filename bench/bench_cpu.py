"""vinify CPU vs onnxruntime vs OpenVINO on the light_* models (a script, never a timed test).

    .venv/bin/python bench/bench_cpu.py [--models resnet50 squeezenet] [--threads 2] [--runs 30]

Weights are replaced by seeded random values (the shipped models fill them with one constant).
The three runtimes run interleaved in one process (one inference of each per round), batch 1,
the same thread count; OpenVINO is pinned to f32 (it silently uses bf16 on AVX-512 BF16 CPUs).
Printed: median latency per runtime, vinify/peer ratios, vinify cold compile time (no kernel
cache), blob load time (import_model), and vinify's agreement with onnxruntime. With `--gpu`,
vinify's GPU device (OpenCL: PoCL on this machine) runs in the same rounds: its median and the
GPU/CPU latency ratio are added (above 1: the GPU is slower).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from vinify.tools.light_models import LIGHT_MODELS, light_input, randomized_light_model


def vinify_runner(model_bytes: bytes, threads: int) -> tuple:
    import vinify
    from vinify.codegen import cpu_compiler
    from vinify.runtime import Core

    graph = vinify.read_model(model_bytes)
    cpu_compiler._MEMORY_CACHE.clear()  # a cold compile: no cached kernels
    config = {"INFERENCE_NUM_THREADS": threads}
    started = time.perf_counter()
    compiled = Core().compile_model(graph, "CPU", config)
    compile_seconds = time.perf_counter() - started
    blob = compiled.export_model()
    started = time.perf_counter()
    imported = Core().import_model(blob, "CPU", config)
    load_seconds = time.perf_counter() - started
    request = imported.create_infer_request()
    return (lambda feeds: request.infer(feeds)[0]), compile_seconds, load_seconds


def vinify_gpu_runner(model_bytes: bytes):
    import vinify
    from vinify.runtime import Core

    compiled = Core().compile_model(vinify.read_model(model_bytes), "GPU")
    request = compiled.create_infer_request()
    return lambda feeds: request.infer(feeds)[0]


def onnxruntime_runner(model_bytes: bytes, threads: int, spinning: bool = True):
    import onnxruntime as ort

    options = ort.SessionOptions()
    if not spinning:  # like vinify's default passive waiting; fairer on shared cores
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    return lambda feeds: session.run(None, feeds)[0]


def openvino_runner(model_bytes: bytes, threads: int, folder: Path):
    import openvino as ov

    path = folder / "model.onnx"
    path.write_bytes(model_bytes)
    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(path)), "CPU", {
        "INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads,
        "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1})
    request = compiled.create_infer_request()
    return lambda feeds: request.infer(feeds)[0]


def interleaved_medians(runners: dict, feeds: dict, runs: int, warmup: int = 3) -> dict:
    times = {name: [] for name in runners}
    for round_index in range(warmup + runs):
        for name, run in runners.items():
            started = time.perf_counter()
            run(feeds)
            if round_index >= warmup:
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1e3 for name, values in times.items()}


def bench_model(name: str, threads: int, runs: int, seed: int, spinning: bool,
                gpu: bool = False) -> dict:
    model = randomized_light_model(name, seed)
    model_bytes = model.SerializeToString()
    feeds = light_input(model)
    vinify_run, compile_seconds, load_seconds = vinify_runner(model_bytes, threads)
    with tempfile.TemporaryDirectory() as folder:
        runners = {"vinify": vinify_run,
                   "onnxruntime": onnxruntime_runner(model_bytes, threads, spinning),
                   "openvino": openvino_runner(model_bytes, threads, Path(folder))}
        if gpu:
            runners["gpu"] = vinify_gpu_runner(model_bytes)
        agreement = float(np.max(np.abs(runners["vinify"](feeds) -
                                        runners["onnxruntime"](feeds))))
        medians = interleaved_medians(runners, feeds, runs)
    return {"model": name, **medians, "compile_s": compile_seconds,
            "load_ms": load_seconds * 1e3, "max_diff": agreement}


def print_table(rows: list[dict]) -> None:
    gpu = "gpu" in rows[0]
    header = (f"{'model':<14}{'vinify ms':>10}{'ORT ms':>9}{'OV f32 ms':>10}{'v/ORT':>7}"
              f"{'v/OV':>7}{'compile s':>10}{'load ms':>9}{'|v-ORT|':>10}")
    header += f"{'GPU ms':>9}{'GPU/CPU':>8}" if gpu else ""
    print(header)
    print("-" * len(header))
    for row in rows:
        print(f"{row['model']:<14}{row['vinify']:>10.2f}{row['onnxruntime']:>9.2f}"
              f"{row['openvino']:>10.2f}{row['vinify'] / row['onnxruntime']:>7.2f}"
              f"{row['vinify'] / row['openvino']:>7.2f}{row['compile_s']:>10.2f}"
              f"{row['load_ms']:>9.1f}{row['max_diff']:>10.1e}"
              + (f"{row['gpu']:>9.2f}{row['gpu'] / row['vinify']:>8.2f}" if gpu else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(LIGHT_MODELS))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-peer-spinning", action="store_true",
                        help="onnxruntime threads wait passively, as vinify's do by default")
    parser.add_argument("--gpu", action="store_true",
                        help="add vinify's GPU device to the rounds (a GPU ms column)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    rows = []
    for name in args.models:
        rows.append(bench_model(name, args.threads, args.runs, args.seed,
                                not args.no_peer_spinning, args.gpu))
        print(f"  {name}: done", file=sys.stderr, flush=True)
    print(f"threads={args.threads} runs={args.runs} batch=1 onnxruntime spinning="
          f"{not args.no_peer_spinning} load average {load_before:.1f} -> "
          f"{os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)")
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
