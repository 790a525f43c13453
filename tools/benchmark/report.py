"""What `vinify benchmark` prints and the JSON report it writes."""

import json
from pathlib import Path
from typing import Any, TextIO

from vinify.tools.benchmark.runner import Measurement
from vinify.tools.benchmark.statistics import LatencyStatistics, histogram


def build_report(settings: dict[str, Any], measurement: Measurement) -> dict[str, Any]:
    statistics = LatencyStatistics.of(measurement.latencies_ms)
    return {
        "settings": settings,
        "count": measurement.count,
        "duration_ms": measurement.duration_ms,
        "first_inference_ms": measurement.first_inference_ms,
        "latency_ms": statistics.to_dict(),
        "throughput_fps": measurement.throughput_fps,
        "histogram": histogram(measurement.latencies_ms),
        "per_layer": measurement.per_layer,
    }


LATENCY_LABELS = (("Median", "median"), ("Average", "average"), ("Min", "min"), ("Max", "max"),
                  ("P90", "p90"), ("P99", "p99"))


def print_figures(report: dict[str, Any], out: TextIO) -> None:
    latency = report["latency_ms"]
    lines = [
        f"First inference took {report['first_inference_ms']:.2f} ms",
        f"Count:          {report['count']} iterations",
        f"Duration:       {report['duration_ms']:.2f} ms",
        "Latency:",
        *(f"   {label + ':':<12}{latency[key]:.3f} ms" for label, key in LATENCY_LABELS),
        f"Throughput:     {report['throughput_fps']:.2f} FPS",
    ]
    for line in lines:
        print(f"[ INFO ] {line}", file=out)


def print_layers(layers: list[dict], out: TextIO) -> None:
    print(f"{'layer':<32}{'type':<16}{'kernel':<28}{'status':<10}{'real time (us)':>15}",
          file=out)
    for layer in layers:
        print(f"{layer['node_name'][:31]:<32}{layer['node_type'][:15]:<16}"
              f"{layer['exec_type'][:27]:<28}{layer['status']:<10}"
              f"{layer['real_time_us']:>15.1f}", file=out)
    total = sum(layer["real_time_us"] for layer in layers)
    print(f"{'total':<86}{total:>15.1f}", file=out)


def write_report(path: str | Path, report: dict[str, Any]) -> None:
    from vinify.runtime.model_cache import write_atomically

    write_atomically(Path(path), json.dumps(report, indent=2).encode() + b"\n")
