"""Reading an ONNX model (path, bytes or ModelProto) into a checked ModelProto.

Garbage, truncated or hostile files end in a ModelFileError naming the file; structural faults of
the graph (cycles, undefined inputs, duplicate outputs) in a ConversionError naming the node, and
they are looked for before the ONNX checker runs so that the message names the culprit.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import onnx
from google.protobuf.message import DecodeError
from onnx import ModelProto
from vinify.errors import ModelFileError
from vinify.frontends.onnx.external_data import (
    load_external_data,
    tensors_of_model,
    uses_external_data,
)
from vinify.frontends.onnx.topology import check_graph_structure


@dataclass
class LoadedModel:
    proto: ModelProto
    source: str  # the file name, or "<bytes>" / "<ModelProto>", for error messages
    base_dir: Path | None


def load_model(model: Any, base_dir: str | Path | None = None, check: bool = True
               ) -> LoadedModel:
    """The ModelProto of `model` with its external data loaded from inside its folder."""
    loaded = _parse(model, base_dir)
    proto = loaded.proto
    if not proto.HasField("graph") or (not proto.opset_import and not proto.graph.node
                                       and not proto.graph.output):
        raise ModelFileError(f"{loaded.source}: not an ONNX model (no graph, no opset imports)")
    _check_names(proto.graph, loaded.source)
    check_graph_structure(proto.graph, loaded.source)
    if any(uses_external_data(t) for t in tensors_of_model(proto)):
        if isinstance(model, ModelProto):  # never modify the caller's object
            copy = ModelProto()
            copy.CopyFrom(proto)
            loaded.proto = proto = copy
        load_external_data(proto, loaded.base_dir, loaded.source)
    if check:  # after loading: the checker would look for external files itself
        _run_checker(proto, loaded.source)
    return loaded


def _parse(model: Any, base_dir: str | Path | None) -> LoadedModel:
    folder = Path(base_dir) if base_dir is not None else None
    if isinstance(model, ModelProto):
        return LoadedModel(model, "<ModelProto>", folder)
    if isinstance(model, (bytes, bytearray, memoryview)):
        return LoadedModel(_decode(bytes(model), "<bytes>"), "<bytes>", folder)
    path = Path(model)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelFileError(f"{path}: cannot read the model file: {error.strerror}") from None
    return LoadedModel(_decode(data, str(path)), str(path), folder or path.parent)


def _decode(data: bytes, source: str) -> ModelProto:
    if not data:
        raise ModelFileError(f"{source}: the file is empty")
    proto = ModelProto()
    try:
        proto.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as error:
        raise ModelFileError(f"{source}: not a valid ONNX protobuf (truncated or garbage: "
                             f"{error})") from None
    return proto


def _check_names(graph, source: str) -> None:
    """Every name is text: protobuf hands invalid UTF-8 through as bytes."""
    names = [graph.name] + [v.name for v in (*graph.input, *graph.output)]
    names += [t.name for t in graph.initializer]
    for node in graph.node:
        names += [node.name, node.op_type, node.domain, *node.input, *node.output]
        names += [a.name for a in node.attribute]
        for attr in node.attribute:
            for body in ([attr.g] if attr.HasField("g") else []) + list(attr.graphs):
                _check_names(body, source)
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise ModelFileError(f"{source}: name {bad[0]!r} is not valid UTF-8")


def _run_checker(proto: ModelProto, source: str) -> None:
    try:
        onnx.checker.check_model(proto)
    except (onnx.checker.ValidationError, ValueError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "invalid"
        raise ModelFileError(f"{source}: the ONNX checker rejects the model: {first_line}"
                             ) from None
