"""Runtime properties, named as in OpenVINO: each has a checker, a default, and a writability.

Properties are plain strings (`"PERFORMANCE_HINT"`) with plain values, so a config dict written
for OpenVINO reads the same here. An unknown name, a bad value, or a write to a read-only
property is a `PropertyError` that names the property: a silently ignored typo in a config
would be a performance bug that nobody finds.
"""

import os
from dataclasses import dataclass
from typing import Any, Callable

from vinify.errors import PropertyError

PERFORMANCE_HINT = "PERFORMANCE_HINT"
NUM_STREAMS = "NUM_STREAMS"
INFERENCE_NUM_THREADS = "INFERENCE_NUM_THREADS"
INFERENCE_PRECISION_HINT = "INFERENCE_PRECISION_HINT"
ENABLE_PROFILING = "ENABLE_PROFILING"
CACHE_DIR = "CACHE_DIR"
PERFORMANCE_HINT_NUM_REQUESTS = "PERFORMANCE_HINT_NUM_REQUESTS"
DEVICE_PRIORITIES = "DEVICE_PRIORITIES"
ENABLE_STARTUP_FALLBACK = "ENABLE_STARTUP_FALLBACK"
DYNAMIC_SHAPE_CACHE_SIZE = "DYNAMIC_SHAPE_CACHE_SIZE"
OPTIMAL_NUMBER_OF_INFER_REQUESTS = "OPTIMAL_NUMBER_OF_INFER_REQUESTS"
SUPPORTED_PROPERTIES = "SUPPORTED_PROPERTIES"
FULL_DEVICE_NAME = "FULL_DEVICE_NAME"
AVAILABLE_DEVICES = "AVAILABLE_DEVICES"
EXECUTION_DEVICES = "EXECUTION_DEVICES"
MODEL_NAME = "MODEL_NAME"
RANGE_FOR_ASYNC_INFER_REQUESTS = "RANGE_FOR_ASYNC_INFER_REQUESTS"
OPTIMIZATION_CAPABILITIES = "OPTIMIZATION_CAPABILITIES"

HINTS = ("LATENCY", "THROUGHPUT", "CUMULATIVE_THROUGHPUT")
PRECISIONS = ("f32", "f16", "bf16", "i8")


def _choice(options: tuple[str, ...], upper: bool) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        text = str(value).upper() if upper else str(value)
        if not isinstance(value, str) or text not in options:
            raise ValueError(f"expected one of {list(options)}")
        return text

    return check


def _int_at_least(low: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError("expected an integer")
        number = int(value)
        if number < low:
            raise ValueError(f"expected an integer >= {low}")
        return number

    return check


def _streams(value: Any) -> int | str:
    if isinstance(value, str) and value.upper() == "AUTO":
        return "AUTO"
    return _int_at_least(1)(value)


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.upper() in ("YES", "NO", "TRUE", "FALSE"):
        return value.upper() in ("YES", "TRUE")
    raise ValueError("expected a bool (or YES/NO)")


def _path(value: Any) -> str:
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError("expected a folder path")
    return os.fspath(value)


def _device_list(value: Any) -> str:
    names = value.split(",") if isinstance(value, str) else list(value)
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ValueError("expected device names, e.g. 'CPU,TEMPLATE'")
    return ",".join(n.strip() for n in names)


@dataclass(frozen=True)
class PropertySpec:
    """One writable property: how to check a value, and its default."""

    name: str
    check: Callable[[Any], Any]
    default: Any
    meaning: str


WRITABLE = {
    spec.name: spec
    for spec in (
        PropertySpec(PERFORMANCE_HINT, _choice(HINTS, True), "LATENCY",
                     "optimize for one request's latency or for many requests' throughput"),
        PropertySpec(NUM_STREAMS, _streams, "AUTO", "requests run in parallel (AUTO: by hint)"),
        PropertySpec(INFERENCE_NUM_THREADS, _int_at_least(0), 0, "threads per inference (0: all)"),
        PropertySpec(INFERENCE_PRECISION_HINT, _choice(PRECISIONS, False), "f32",
                     "element type the device computes in"),
        PropertySpec(ENABLE_PROFILING, _boolean, False, "collect per-layer counters"),
        PropertySpec(CACHE_DIR, _path, "", "folder of cached compiled blobs ('' disables)"),
        PropertySpec(PERFORMANCE_HINT_NUM_REQUESTS, _int_at_least(0), 0,
                     "requests the application will use (0: unknown)"),
        PropertySpec(DEVICE_PRIORITIES, _device_list, "", "devices of HETERO/MULTI/AUTO, in order"),
        PropertySpec(ENABLE_STARTUP_FALLBACK, _boolean, True,
                     "AUTO: run on a fast-compiling device while the chosen one compiles"),
        PropertySpec(DYNAMIC_SHAPE_CACHE_SIZE, _int_at_least(1), 8,
                     "static-shape devices: compiled shapes kept per model"),
    )
}
READ_ONLY = (OPTIMAL_NUMBER_OF_INFER_REQUESTS, SUPPORTED_PROPERTIES, FULL_DEVICE_NAME,
             AVAILABLE_DEVICES, EXECUTION_DEVICES, MODEL_NAME, RANGE_FOR_ASYNC_INFER_REQUESTS,
             OPTIMIZATION_CAPABILITIES)


def check_property(name: str, value: Any, where: str = "") -> Any:
    """The normalized value of a writable property; PropertyError for anything else."""
    place = f" for {where}" if where else ""
    if name in READ_ONLY:
        raise PropertyError(f"property {name} is read-only{place}")
    spec = WRITABLE.get(name)
    if spec is None:
        raise PropertyError(f"unknown property {name!r}{place}; known: {sorted(WRITABLE)}")
    try:
        return spec.check(value)
    except (ValueError, TypeError) as error:
        raise PropertyError(f"bad value {value!r} for property {name}{place}: {error}") from None


def check_config(config: dict[str, Any] | None, where: str = "") -> dict[str, Any]:
    """A config dict with every entry checked and normalized."""
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise PropertyError(f"a config must be a dict of properties, got {type(config).__name__}")
    return {name: check_property(name, value, where) for name, value in config.items()}


def with_defaults(config: dict[str, Any]) -> dict[str, Any]:
    """Every writable property, the given ones overriding the defaults."""
    return {**{name: spec.default for name, spec in WRITABLE.items()}, **config}


def effective_streams(config: dict[str, Any]) -> int:
    """NUM_STREAMS resolved: AUTO means 1 for LATENCY and several for THROUGHPUT hints."""
    streams = config.get(NUM_STREAMS, "AUTO")
    if streams != "AUTO":
        return int(streams)
    if config.get(PERFORMANCE_HINT, "LATENCY") == "LATENCY":
        return 1
    wanted = int(config.get(PERFORMANCE_HINT_NUM_REQUESTS, 0) or 0)
    streams = max(2, min(4, os.cpu_count() or 1))
    return min(streams, wanted) if wanted else streams
