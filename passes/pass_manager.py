"""Passes, their registry, and the PassManager that runs a pipeline written as a list of names.

A pass is a small frozen dataclass: its fields are its options (typed, with defaults), its class
attribute `name` is how pipelines and the `vinify opt` command refer to it, and `run(graph)`
rewrites the graph in place. Registering a pass is one decorator:

    @register_pass
    @dataclass(frozen=True)
    class DropIdentities(Pass):
        name = "drop-identities"
        def run(self, graph: Graph) -> None: ...

The manager runs the named passes in order; instruments observe it (in the spirit of TVM's
PassContext): `verify` checks the IR after every pass, `timing` records seconds per pass,
`print_after` dumps the text form after the named passes, and `disabled` skips passes by name.
"""

import sys
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterable, TextIO

from vinify.errors import IRError, VerificationError, VinifyError
from vinify.ir import Graph


class PassError(VinifyError):
    """A pipeline names an unknown pass, or a pass broke the graph (names the pass)."""


@dataclass(frozen=True)
class Pass:
    """Base of every pass. Subclasses are frozen dataclasses whose fields are their options."""

    name: ClassVar[str] = ""

    def run(self, graph: Graph) -> None:
        raise NotImplementedError(f"pass '{self.name}' has no run()")

    def __call__(self, graph: Graph) -> Graph:
        self.run(graph)
        return graph


_PASSES: dict[str, type[Pass]] = {}


def register_pass(cls: type[Pass]) -> type[Pass]:
    """Class decorator: makes a pass available by its `name` to pipelines and `vinify opt`."""
    if not cls.name:
        raise IRError(f"pass class {cls.__name__} has no name")
    if cls.name in _PASSES and _PASSES[cls.name] is not cls:
        raise IRError(f"pass '{cls.name}' registered twice")
    _PASSES[cls.name] = cls
    return cls


def registered_passes() -> dict[str, type[Pass]]:
    _load_builtin_passes()
    return dict(sorted(_PASSES.items()))


def lookup_pass(name: str) -> type[Pass]:
    _load_builtin_passes()
    if name not in _PASSES:
        raise PassError(f"unknown pass '{name}'; known passes: {', '.join(sorted(_PASSES))}")
    return _PASSES[name]


def make_pass(spec: "str | Pass", **options: Any) -> Pass:
    """A pass instance from a name (with options) or an instance (returned as is).

    A name may carry options as text, `name:option=value:option=value` (how `vinify opt -p`
    spells them); each value is converted to the option's declared type.
    """
    if isinstance(spec, Pass):
        return spec
    name, *texts = spec.split(":")
    cls = lookup_pass(name)
    declared = {f.name: f.type for f in fields(cls)}
    for text in texts:
        key, _, value = text.partition("=")
        options[key] = _option_value(name, key, value, declared.get(key))
    unknown = sorted(set(options) - set(declared))
    if unknown:
        raise PassError(f"pass '{name}' has no option(s) {unknown}; options: {sorted(declared)}")
    return cls(**options)


def _option_value(name: str, key: str, text: str, kind: Any) -> Any:
    if kind is None:
        return text  # reported as unknown by the caller
    try:
        if kind in (bool, "bool"):
            if text not in ("true", "false"):
                raise ValueError("expected true or false")
            return text == "true"
        return {"int": int, "float": float, "str": str}.get(kind, kind)(text)
    except (TypeError, ValueError) as error:
        raise PassError(f"pass '{name}': option '{key}' = {text!r}: {error}") from None


def _load_builtin_passes() -> None:
    import vinify.passes  # noqa: F401  (importing the package registers every built-in pass)


@dataclass
class PassTiming:
    """Seconds spent in each pass run, in pipeline order."""

    entries: list[tuple[str, float]] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(seconds for _, seconds in self.entries)

    def report(self) -> str:
        lines = [f"{seconds * 1000:10.2f} ms  {name}" for name, seconds in self.entries]
        lines.append(f"{self.total * 1000:10.2f} ms  total")
        return "\n".join(lines)


@dataclass
class PassManager:
    """Runs a pipeline (a list of pass names or Pass instances) over a graph, with instruments.

    verify:       run vinify.verify after every pass; a failure names the pass that broke the IR.
    timing:       record each pass's wall time in `self.timing`.
    print_after:  names of passes after which the text form is written to `stream`.
    dump_dir:     a folder that receives the IR (`NN-pass-name.vir`, constants inline) after the
                  passes in print_after, or after every pass when print_after is empty.
    disabled:     names of passes to skip.
    observers:    callables (pass, graph) run after each pass: user instruments.
    """

    pipeline: list["str | Pass"]
    verify: bool = False
    timing_enabled: bool = False
    print_after: Iterable[str] = ()
    disabled: Iterable[str] = ()
    stream: TextIO | None = None
    dump_dir: str | Path | None = None
    observers: list[Callable[[Pass, Graph], None]] = field(default_factory=list)
    timing: PassTiming = field(default_factory=PassTiming)

    def __post_init__(self):
        self.passes = [make_pass(spec) for spec in self.pipeline]
        known = {p.name for p in self.passes}
        for name in list(self.print_after) + list(self.disabled):
            if name not in known:
                lookup_pass(name)  # an unknown name is an error; a known one absent is harmless

    def run(self, graph: Graph) -> Graph:
        from vinify.verify import verify

        disabled = set(self.disabled)
        dump_after = set(self.print_after)
        for position, item in enumerate(self.passes):
            if item.name in disabled:
                continue
            start = time.perf_counter()
            item.run(graph)
            if self.timing_enabled:
                self.timing.entries.append((item.name, time.perf_counter() - start))
            if self.verify:
                try:
                    verify(graph)
                except VerificationError as error:
                    raise PassError(f"after pass '{item.name}': {error}") from None
            if item.name in dump_after:
                self._print(item, graph)
            if self.dump_dir is not None and (not dump_after or item.name in dump_after):
                self._write(position, item, graph)
            for observer in self.observers:
                observer(item, graph)
        return graph

    def _write(self, position: int, item: Pass, graph: Graph) -> None:
        from vinify.api import write_text_model

        folder = Path(self.dump_dir)
        folder.mkdir(parents=True, exist_ok=True)
        write_text_model(graph, folder / f"{position:02d}-{item.name}.vir")

    def _print(self, item: Pass, graph: Graph) -> None:
        from vinify.text import print_graph

        stream = self.stream or sys.stderr
        stream.write(f"// ----- IR after pass '{item.name}' -----\n")
        stream.write(print_graph(graph) + "\n")


def run_pipeline(graph: Graph, pipeline: Iterable["str | Pass"], **options: Any) -> Graph:
    """Convenience: `PassManager(list(pipeline), **options).run(graph)`."""
    return PassManager(list(pipeline), **options).run(graph)
