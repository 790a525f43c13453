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


def convert_model(model: Any, input: Any = None, output: Any = None, mean_values: Any = None,
                  scale_values: Any = None, reverse_input_channels: bool = False,
                  layout: Any = None, compress_to_fp16: bool = False, **options: Any) -> Graph:
    """Reads a model into the IR and applies the conversion options (vinify.conversion): input
    shapes or cuts, output cut, layout, channel reversal, mean/scale values, FP16 weights."""
    from vinify.conversion import apply_conversion_options

    graph = read_model(model, **options)
    return apply_conversion_options(
        graph, input=input, output=output, mean_values=mean_values, scale_values=scale_values,
        reverse_input_channels=reverse_input_channels, layout=layout,
        compress_to_fp16=compress_to_fp16)


def save_model(graph: Graph, path: str | Path, compress_to_fp16: bool = True,
               **options: Any) -> None:
    """Writes `graph` by the path's suffix; IR files (.xml) store f32 weights as f16 unless
    `compress_to_fp16=False`, as openvino.save_model does."""
    path = Path(path)
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise ModelFileError(f"{path}: cannot write format '{path.suffix}'; "
                             f"known: {sorted(WRITERS)}")
    _resolve(writer)(graph, path, compress_to_fp16=compress_to_fp16, **options)


def compile_model(model: Any, device: str = "CPU", config: dict[str, Any] | None = None):
    """A CompiledModel of `model` (a Graph or a path) on `device`."""
    from vinify.runtime import Core

    return Core().compile_model(read_model(model), device, config)
