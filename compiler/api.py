"""The driver: read, convert, compile and save models. Mirrors OpenVINO's Python API."""

from importlib import import_module
from pathlib import Path
from typing import Any

from vinify.errors import ModelFileError
from vinify.ir import Graph

# file suffix -> "module:function" reading that format into a Graph (frontends register here)
READERS = {
    ".vir": "vinify.api:read_text_model",
    ".onnx": "vinify.frontends.onnx:read_onnx_model",
    ".xml": "vinify.irfile:read_ir",
}
WRITERS = {
    ".vir": "vinify.api:write_text_model",
    ".xml": "vinify.irfile:write_ir",
}


def _resolve(target: str):
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


def read_text_model(path: Path, weights: Path | None = None) -> Graph:
    from vinify.text import parse
    from vinify.verify import verify

    return verify(parse(path.read_text()))


def write_text_model(graph: Graph, path: Path, **options: Any) -> None:
    from vinify.text import print_graph

    atomic_write(path, print_graph(graph, inline_limit=None).encode() + b"\n")


def atomic_write(path: Path, data: bytes) -> None:
    """Writes to a temporary name beside `path`, then renames: never a half-written file."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.partial")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def read_model(model: Any, weights: str | Path | None = None, **options: Any) -> Graph:
    """A Graph from a path (.onnx, .xml, .vir), bytes of an ONNX model, or a Graph itself."""
    if isinstance(model, Graph):
        return model
    if isinstance(model, (bytes, bytearray)) or type(model).__name__ == "ModelProto":
        return _resolve(READERS[".onnx"])(model, **options)
    path = Path(model)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ModelFileError(f"{path}: unknown model format '{path.suffix}'; "
                             f"known: {sorted(READERS)}")
    if weights is not None:
        return _resolve(reader)(path, Path(weights), **options)
    return _resolve(reader)(path, **options)


def convert_model(model: Any, **options: Any) -> Graph:
    """Reads a model into the IR and applies the conversion options (shapes, layouts, ...)."""
    return read_model(model, **options)


def save_model(graph: Graph, path: str | Path, **options: Any) -> None:
    path = Path(path)
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise ModelFileError(f"{path}: cannot write format '{path.suffix}'; known: {sorted(WRITERS)}")
    _resolve(writer)(graph, path, **options)


def compile_model(model: Any, device: str = "CPU", config: dict[str, Any] | None = None):
    """A CompiledModel of `model` (a Graph or a path) on `device`."""
    from vinify.runtime import Core

    return Core().compile_model(read_model(model), device, config)
