"""Where a CPU-compiled light model spends its time: every kernel timed alone (a script).

    .venv/bin/python bench/profile_cpu_layers.py resnet50 [--threads 2] [--runs 10] [--top 25]

Each kernel of the blob is called on its own (parallel ones through GOMP_parallel, as the entry
point calls them); the median over runs is reported per kernel with GFLOP/s for convolutions
and matrix products, then totals per kernel kind and the sum beside the whole-graph latency
(the difference is the per-call overhead of calling kernels one by one from Python).
On a shared machine, `--threads 1 --cpu-time` measures kernel efficiency without the noise of
other processes (the calling thread's CPU time).
"""

import argparse
import re
import statistics
import sys
import time

import numpy as np
from vinify.tools.light_models import light_input, randomized_light_model


def node_flops(graph) -> dict[str, tuple[float, str]]:
    """(multiply-adds x 2, "MxNxK") of every Convolution/GroupConvolution/MatMul node, by name."""
    flops: dict[str, tuple[float, str]] = {}
    for node in graph.nodes():
        name = node.op.name
        if name not in ("Convolution", "GroupConvolution", "MatMul"):
            continue
        out = node.outputs[0].shape.to_tuple()
        weights = node.inputs[1].shape.to_tuple()
        if name == "MatMul":
            a = node.inputs[0].shape.to_tuple()
            k = a[-2] if node.attrs["transpose_a"] else a[-1]
            flops[node.name] = (2.0 * float(np.prod(out)) * k,
                                f"{np.prod(out) // out[-1]}x{out[-1]}x{k}")
            continue
        per_output = int(np.prod(weights[1:] if name == "Convolution" else weights[2:]))
        shape = f"{out[1]}x{np.prod(out[2:])}x{per_output}" + \
            (f" {weights[-2]}x{weights[-1]}" if len(weights) > 2 else "")
        flops[node.name] = (2.0 * float(np.prod(out)) * per_output, shape)
    return flops


def kernel_flops(kernel: dict, flops: dict) -> tuple[float, str]:
    """(FLOPs, MxNxK) of the GEMM kernel's head node ((0, "") for kernels not products)."""
    if kernel["name"].split("_")[1:2] not in (["conv"], ["matmul"]):
        return 0.0, ""
    names = re.findall(r"node '([^']*)'", kernel["source"])
    return flops.get(names[0], (0.0, "")) if names else (0.0, "")


def profile(name: str, threads: int, runs: int, seed: int, cpu_time: bool = False
            ) -> tuple[list[dict], float]:
    import vinify
    from vinify.runtime import Core

    model = randomized_light_model(name, seed)
    feeds = light_input(model)
    graph = vinify.read_model(model.SerializeToString())
    compiled = Core().compile_model(graph, "CPU", {"INFERENCE_NUM_THREADS": threads})
    executable = compiled.executable
    inputs = [np.asarray(a) for a in feeds.values()]
    per_kernel: list[list[float]] = [[] for _ in executable.metadata["kernels"]]
    whole = []
    for _ in range(runs + 2):
        _, records = executable.run_profiled(inputs)
        for times, record in zip(per_kernel, records):
            spent = record.cpu_time if cpu_time else record.real_time
            times.append(spent.total_seconds())
        started = time.perf_counter()
        executable.run(inputs)
        whole.append(time.perf_counter() - started)
    flops = node_flops(graph)
    rows = []
    for kernel, times in zip(executable.metadata["kernels"], per_kernel):
        seconds = statistics.median(times[2:])
        work, shape = kernel_flops(kernel, flops)
        rows.append({"name": kernel["name"], "source": kernel["source"], "ms": seconds * 1e3,
                     "gflops": work / seconds / 1e9, "shape": shape})
    return rows, statistics.median(whole[2:]) * 1e3


def print_report(rows: list[dict], whole_ms: float, top: int) -> None:
    total = sum(r["ms"] for r in rows)
    print(f"{'kernel':<20}{'ms':>8}{'%':>6}{'GFLOP/s':>9}  {'M x N x K':<22}source")
    for row in sorted(rows, key=lambda r: -r["ms"])[:top]:
        source = row["source"][:60]
        print(f"{row['name'][:19]:<20}{row['ms']:>8.3f}{100 * row['ms'] / total:>6.1f}"
              f"{row['gflops']:>9.1f}  {row['shape']:<22}{source}")
    kinds: dict[str, list[float]] = {}
    for row in rows:
        kind = row["name"].split("_")[1] if "_" in row["name"] else row["name"]
        kinds.setdefault(kind, []).append(row["ms"])
    print("\nper kind: " + ", ".join(f"{k} {sum(v):.2f} ms ({len(v)})" for k, v in
                                     sorted(kinds.items(), key=lambda kv: -sum(kv[1]))))
    print(f"sum of kernels {total:.2f} ms over {len(rows)} kernels; whole graph {whole_ms:.2f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--cpu-time", action="store_true",
                        help="the calling thread's CPU time, not wall time: with --threads 1, "
                             "kernel speed undisturbed by other processes on shared cores")
    args = parser.parse_args(argv)
    rows, whole_ms = profile(args.model, args.threads, args.runs, args.seed, args.cpu_time)
    print_report(rows, whole_ms, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
