"""The ONNX converter registry: one function per ONNX op, registered for an opset range.

    @converter("Relu", since=6)
    def relu(ctx: NodeContext):
        return ctx.make("Relu", 1, ctx.input(0))

A converter returns a Value, a single-output Node, or a list with one entry per ONNX output
(None for an omitted optional output). Users register their own for custom ops the same way
(`vinify.frontends.onnx.register_converter`).
"""

from dataclasses import dataclass
from typing import Callable

Converter = Callable[["NodeContext"], object]  # noqa: F821


@dataclass(frozen=True)
class ConverterEntry:
    op_type: str
    domain: str
    since: int
    until: int | None  # last opset version served, inclusive; None: open-ended
    function: Converter


_CONVERTERS: dict[tuple[str, str], list[ConverterEntry]] = {}


def _normal_domain(domain: str) -> str:
    return "" if domain in ("", "ai.onnx") else domain


def converter(op_type: str, since: int = 1, until: int | None = None, domain: str = ""):
    """Decorator: `function` converts `op_type` for opset versions since..until of `domain`."""

    def register(function: Converter) -> Converter:
        register_converter(op_type, function, since=since, until=until, domain=domain)
        return function

    return register


def register_converter(op_type: str, function: Converter, since: int = 1,
                       until: int | None = None, domain: str = "") -> None:
    """Registers `function` for `op_type`; a later registration for the same range wins."""
    entries = _CONVERTERS.setdefault((_normal_domain(domain), op_type), [])
    entries[:] = [e for e in entries if (e.since, e.until) != (since, until)]
    entries.append(ConverterEntry(op_type, _normal_domain(domain), since, until, function))
    entries.sort(key=lambda e: e.since)


def find_converter(op_type: str, domain: str, opset_version: int) -> Converter | None:
    """The converter serving `op_type` at `opset_version`: the newest entry with since <= it."""
    _load_converters()
    best = None
    for entry in _CONVERTERS.get((_normal_domain(domain), op_type), []):
        if entry.since <= opset_version and (entry.until is None or opset_version <= entry.until):
            best = entry
    return best.function if best else None


def known_op_types() -> dict[tuple[str, str], list[ConverterEntry]]:
    _load_converters()
    return {key: list(entries) for key, entries in _CONVERTERS.items()}


_loaded = False


def _load_converters() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        import vinify.frontends.onnx.converters  # noqa: F401 (registers every family)
