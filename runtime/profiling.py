"""Per-layer performance counters, shaped like OpenVINO's ProfilingInfo."""

import time
from dataclasses import dataclass
from datetime import timedelta

EXECUTED = "EXECUTED"
NOT_RUN = "NOT_RUN"
OPTIMIZED_OUT = "OPTIMIZED_OUT"


@dataclass(frozen=True)
class ProfilingInfo:
    """One layer of one inference: which node, what kernel ran it, and how long it took."""

    node_name: str
    node_type: str
    exec_type: str
    status: str
    real_time: timedelta
    cpu_time: timedelta

    def to_dict(self) -> dict:
        return {"node_name": self.node_name, "node_type": self.node_type,
                "exec_type": self.exec_type, "status": self.status,
                "real_time_us": self.real_time / timedelta(microseconds=1),
                "cpu_time_us": self.cpu_time / timedelta(microseconds=1)}


class LayerTimer:
    """Measures one layer: wall time and this thread's CPU time."""

    def __init__(self):
        self.wall = time.perf_counter()
        self.cpu = time.thread_time()

    def record(self, node_name: str, node_type: str, exec_type: str,
               status: str = EXECUTED) -> ProfilingInfo:
        wall = time.perf_counter() - self.wall
        cpu = time.thread_time() - self.cpu
        return ProfilingInfo(node_name, node_type, exec_type, status,
                             timedelta(seconds=wall), timedelta(seconds=cpu))
