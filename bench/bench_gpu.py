"""GPU vs CPU latency on the light_* models (seeded random weights), with TEMPLATE as the judge.

Prints one row per model: compile times, median latencies (GPU and CPU runs interleaved), CPU
time per inference, the GPU/CPU ratios of both (above 1: GPU slower; on a shared machine the
CPU-time ratio is the steadier one) and the largest GPU-TEMPLATE difference (NaN outputs,
which the random batch-norm variances of some models produce, must be NaN on both). Never a
timed test: run it by hand,
`python bench/bench_gpu.py [-m squeezenet resnet50] [-n 10]`.
"""

import argparse
import time

import numpy as np


def median_latencies(models: dict, image: np.ndarray, runs: int
                     ) -> tuple[dict[str, float], dict[str, float]]:
    """Median seconds per device, the devices' runs interleaved so that both see the same load
    (on a shared machine the load changes within seconds), and the mean process CPU time per
    inference (every thread of both devices runs in this process): the work done, which
    other processes' load does not change."""
    for compiled in models.values():
        compiled(image)  # warm-up: first enqueues, caches
    timings: dict[str, list[float]] = {device: [] for device in models}
    cpu_times = {device: 0.0 for device in models}
    for _ in range(runs):
        for device, compiled in models.items():
            begin, begin_cpu = time.perf_counter(), time.process_time()
            compiled(image)
            timings[device].append(time.perf_counter() - begin)
            cpu_times[device] += (time.process_time() - begin_cpu) / runs
    return ({device: float(np.median(values)) for device, values in timings.items()},
            cpu_times)


def largest_difference(actual: np.ndarray, expected: np.ndarray) -> float | str:
    """The largest difference over finite outputs; NaNs must sit at the same places."""
    if not np.array_equal(np.isnan(actual), np.isnan(expected)):
        return "NaN mismatch"
    finite = np.isfinite(expected)
    if not finite.any():
        return "all NaN (both)"
    return float(np.abs(actual[finite] - expected[finite]).max())


def measure(name: str, runs: int, devices: list[str]) -> dict:
    import vinify
    from vinify.tools.light_models import light_model_path, randomized

    graph = vinify.convert_model(randomized(light_model_path(name)))
    shape = graph.inputs[0].shape.to_tuple()
    image = np.random.default_rng(1).random(shape).astype(np.float32)
    row: dict = {"model": name}
    outputs, models = {}, {}
    for device in devices:
        started = time.perf_counter()
        models[device] = vinify.compile_model(graph, device)
        row[f"{device} compile s"] = time.perf_counter() - started
        outputs[device] = models[device](image)[0]
    latencies, cpu_times = median_latencies(models, image, runs)
    for device, seconds in latencies.items():
        row[f"{device} ms"] = seconds * 1e3
    for device, seconds in cpu_times.items():
        row[f"{device} cpu ms"] = seconds * 1e3
    reference = vinify.compile_model(graph, "TEMPLATE")(image)[0]
    row["GPU/CPU"] = row["GPU ms"] / row["CPU ms"] if "CPU ms" in row else float("nan")
    row["GPU/CPU cpu"] = (row["GPU cpu ms"] / row["CPU cpu ms"] if "CPU ms" in row
                          else float("nan"))
    row["max |GPU-TEMPLATE|"] = largest_difference(outputs["GPU"], reference)
    return row


def main(argv: list[str] | None = None) -> int:
    from vinify.tools.light_models import LIGHT_MODELS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--models", nargs="*", default=list(LIGHT_MODELS))
    parser.add_argument("-n", "--runs", type=int, default=10)
    parser.add_argument("--no-cpu", action="store_true", help="GPU only (no ratio)")
    args = parser.parse_args(argv)
    devices = ["GPU"] if args.no_cpu else ["GPU", "CPU"]
    columns = None
    for name in args.models:
        row = measure(name, args.runs, devices)
        if columns is None:
            columns = list(row)
            print("  ".join(f"{c:>18}" for c in columns))
        print("  ".join(f"{row[c]:>18.4g}" if isinstance(row[c], float) else f"{row[c]:>18}"
                        for c in columns), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
