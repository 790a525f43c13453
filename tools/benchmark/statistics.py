"""Latency statistics as benchmark_app prints them, plus the percentiles it leaves out."""

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np


@dataclass(frozen=True)
class LatencyStatistics:
    """Milliseconds. Percentiles interpolate linearly between the nearest samples."""

    median: float
    average: float
    min: float
    max: float
    p90: float
    p99: float

    @staticmethod
    def of(latencies_ms: Sequence[float]) -> "LatencyStatistics":
        samples = np.asarray(latencies_ms, dtype=np.float64)
        if samples.size == 0:
            return LatencyStatistics(*(float("nan"),) * 6)
        median, p90, p99 = np.percentile(samples, [50, 90, 99])
        return LatencyStatistics(float(median), float(samples.mean()), float(samples.min()),
                                 float(samples.max()), float(p90), float(p99))

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def histogram(latencies_ms: Sequence[float], bins: int = 20) -> dict[str, list]:
    """Counts and bin edges (ms) of the latencies, for the report and the plot."""
    samples = np.asarray(latencies_ms, dtype=np.float64)
    if samples.size == 0:
        return {"counts": [], "edges_ms": []}
    counts, edges = np.histogram(samples, bins=bins)
    return {"counts": counts.tolist(), "edges_ms": edges.tolist()}
