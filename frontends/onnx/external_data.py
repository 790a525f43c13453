"""Loading ONNX tensors stored in external files, without ever reading outside the model's folder.

The ONNX library's own loader has had repeated path-traversal CVEs (`..`, absolute paths,
symlinks, and lately hard links), so vinify loads external data itself: a location must be a
plain relative path below the model's folder, every component is checked for symlinks, the
final file must be a regular file with a single link, and the byte range must lie inside it.
Every refusal is a ModelFileError naming the tensor and the path.
"""

import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Iterator

from onnx import AttributeProto, GraphProto, ModelProto, TensorProto
from vinify.errors import ModelFileError


def tensors_of_graph(graph: GraphProto) -> Iterator[TensorProto]:
    """Every TensorProto of a graph: initializers, node attribute tensors, nested subgraphs."""
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    for node in graph.node:
        yield from _tensors_of_attributes(node.attribute)


def _tensors_of_attributes(attributes) -> Iterator[TensorProto]:
    for attr in attributes:
        if attr.type == AttributeProto.TENSOR:
            yield attr.t
        elif attr.type == AttributeProto.TENSORS:
            yield from attr.tensors
        elif attr.type == AttributeProto.SPARSE_TENSOR:
            yield from (attr.sparse_tensor.values, attr.sparse_tensor.indices)
        elif attr.type == AttributeProto.SPARSE_TENSORS:
            for sparse in attr.sparse_tensors:
                yield from (sparse.values, sparse.indices)
        elif attr.type == AttributeProto.GRAPH:
            yield from tensors_of_graph(attr.g)
        elif attr.type == AttributeProto.GRAPHS:
            for graph in attr.graphs:
                yield from tensors_of_graph(graph)


def tensors_of_model(model: ModelProto) -> Iterator[TensorProto]:
    yield from tensors_of_graph(model.graph)
    for function in model.functions:
        for node in function.node:
            yield from _tensors_of_attributes(node.attribute)


def uses_external_data(tensor: TensorProto) -> bool:
    return tensor.HasField("data_location") and tensor.data_location == TensorProto.EXTERNAL


def load_external_data(model: ModelProto, base_dir: Path | None, source: str) -> None:
    """Replaces every external reference in `model` by the bytes it points to (in place)."""
    cache: dict[str, tuple[int, bytes | None]] = {}
    for tensor in tensors_of_model(model):
        if not uses_external_data(tensor):
            continue
        if base_dir is None:
            raise ModelFileError(f"{source}: tensor '{tensor.name}' keeps its data in an external "
                                 "file, but the model was not read from a folder (pass base_dir)")
        data = read_tensor_bytes(tensor, base_dir, cache)
        tensor.raw_data = data
        del tensor.external_data[:]
        tensor.data_location = TensorProto.DEFAULT


def _external_fields(tensor: TensorProto) -> dict[str, str]:
    return {entry.key: entry.value for entry in tensor.external_data}


def read_tensor_bytes(tensor: TensorProto, base_dir: Path, cache: dict | None = None) -> bytes:
    """The bytes of an externally stored tensor, read only from inside `base_dir`."""
    fields = _external_fields(tensor)
    location = fields.get("location", "")
    where = f"tensor '{tensor.name}' (external data '{location}')"
    path = safe_location(location, base_dir, where)
    offset = _non_negative(fields.get("offset", "0"), "offset", where)
    length = fields.get("length")
    size, data = _read_checked(path, where, cache if cache is not None else {})
    count = size - offset if length is None else _non_negative(length, "length", where)
    if offset > size or offset + count > size:
        raise ModelFileError(f"{where}: bytes {offset}..{offset + count} lie past the end of "
                             f"{path} ({size} bytes)")
    return data[offset:offset + count]


def _non_negative(text: str, what: str, where: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ModelFileError(f"{where}: {what} '{text}' is not an integer") from None
    if value < 0:
        raise ModelFileError(f"{where}: {what} {value} is negative")
    return value


def safe_location(location: str, base_dir: Path, where: str) -> Path:
    """`base_dir/location` after checking it stays inside base_dir and crosses no symlink."""
    if not location:
        raise ModelFileError(f"{where}: empty location")
    if "\x00" in location:
        raise ModelFileError(f"{where}: location contains a NUL byte")
    posix, windows = PurePosixPath(location), PureWindowsPath(location)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or location.startswith("\\"):
        raise ModelFileError(f"{where}: absolute paths are refused; the data must lie in the "
                             "model's folder")
    parts = [p for p in location.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ModelFileError(f"{where}: '..' is refused; the data must lie in the model's folder")
    base = Path(os.path.realpath(base_dir))
    current = base
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise ModelFileError(f"{where}: {current} is a symbolic link; refused")
    resolved = Path(os.path.realpath(current))
    if resolved != base and base not in resolved.parents:
        raise ModelFileError(f"{where}: {resolved} lies outside the model's folder {base}")
    return resolved


def _read_checked(path: Path, where: str, cache: dict) -> tuple[int, bytes]:
    """Size and contents of a regular, singly linked file opened without following links."""
    key = str(path)
    if key in cache:
        return cache[key]
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        raise ModelFileError(f"{where}: cannot open {path}: {error.strerror}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise ModelFileError(f"{where}: {path} is not a regular file")
        if info.st_nlink > 1:
            raise ModelFileError(f"{where}: {path} has {info.st_nlink} hard links; refused "
                                 "(a hard link can expose a file from outside the model's folder)")
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data = stream.read()
    finally:
        os.close(descriptor)
    cache[key] = (info.st_size, data)
    return cache[key]
