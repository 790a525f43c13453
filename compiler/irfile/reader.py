"""Reads OpenVINO IR v10/v11 (.xml + .bin) into a Graph.

Each layer's `type` and `version="opsetN"` name a registered op: the op version used is the
newest one declared at or below opset N (opset N contains every op version of earlier opsets
that it did not replace). Constants are read from the .bin after checking their offset, size and
shape against the file. An f16 Const followed by a Convert marked `decompression` (OpenVINO's
FP16 weight compression) is read as one f32 Constant, which saving with `compress_to_fp16`
writes back the same way. Types are inferred by vinify's ops and checked against the port
precisions and dims the file states.
"""

from pathlib import Path
from typing import Any

import numpy as np
from vinify.errors import ModelFileError, VinifyError
from vinify.ir import Graph, Node, Value
from vinify.irfile.body_ports import has_bodies, read_body_node
from vinify.irfile.document import LayerSpec, Network, parse_xml, read_network
from vinify.irfile.xml_values import (
    OP_OF_LAYER_TYPE,
    parse_attribute,
    parse_shape_attribute,
    split_tensor_names,
)
from vinify.op import Op, registered_ops
from vinify.shapes import PartialShape
from vinify.types import ElementType, element_type

SUPPORTED_VERSIONS = ("10", "11")
DECOMPRESSION = "decompression"


def read_ir(path: str | Path, weights: str | Path | None = None, **options: Any) -> Graph:
    """The graph in the IR file `path`; its weights from `weights` or the .bin beside it."""
    path = Path(path)
    root = parse_xml(_read_bytes(path), path)
    if root.tag != "net":
        raise ModelFileError(f"{path}: the root element is <{root.tag}>, not <net>")
    version = root.get("version")
    if version not in SUPPORTED_VERSIONS:
        raise ModelFileError(f"{path}: IR version {version!r} is not supported "
                             f"(supported: {', '.join(SUPPORTED_VERSIONS)})")
    weights_path = Path(weights) if weights is not None else path.with_suffix(".bin")
    blob = _read_bytes(weights_path) if weights_path.is_file() else None
    network = read_network(root, path, name_outputs_by_layer=version == "10")
    graph = GraphReader(path, blob).read(network, root.get("name", "graph"))
    graph.rt_info = _read_model_rt_info(root.find("rt_info"))
    return graph


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ModelFileError(f"{path}: cannot read: {error.strerror or error}") from None


class GraphReader:
    """Builds one graph (the model, or a body graph) from its checked network."""

    def __init__(self, path: Path, blob: bytes | None, depth: int = 0):
        self.path = path
        self.blob = blob
        self.depth = depth  # how many bodies deep this graph is
        self.values: dict[tuple[int, int], Value] = {}
        self.nodes: dict[int, Node] = {}  # layer id -> node

    def read(self, network: Network, name: str) -> Graph:
        for layer in network.order:
            inputs = [self.values[network.sources[(layer.id, port.id)]] for port in layer.inputs]
            node, port_values = self.build(layer, inputs)
            self.nodes[layer.id] = node
            for port, value in zip(layer.outputs, port_values):
                self.values[(layer.id, port.id)] = value
        in_file_order = [self.nodes[layer.id] for layer in network.layers]
        return Graph([n for n in in_file_order if n.op.name == "Parameter"],
                     [n for n in in_file_order if n.op.name == "Result"], name=name)

    def read_body(self, element, name: str) -> tuple[Graph, dict[int, Node]]:
        """A body graph (its own layer ids and edges, the same weights) and its layers' nodes."""
        reader = GraphReader(self.path, self.blob, self.depth + 1)
        graph = reader.read(read_network(element, self.path), name)
        return graph, reader.nodes

    def build(self, layer: LayerSpec, inputs: list[Value]) -> tuple[Node, list[Value]]:
        """The layer's node and the value behind each of its output ports."""
        where = layer.where(self.path)
        port_values = None
        try:
            if layer.type == "Const":
                node = self.constant(layer, where)
            elif _is_decompression(layer, inputs):
                node = _decompressed_constant(layer, inputs[0])
            elif has_bodies(layer):
                node, port_values = read_body_node(self, layer, inputs, where)
            else:
                node = self.operation(layer, inputs, where)
        except ModelFileError:
            raise
        except VinifyError as error:
            raise ModelFileError(f"{where}: {error}") from None
        port_values = node.outputs if port_values is None else port_values
        _check_ports(layer, port_values, where)
        node.rt_info.update({k: v for k, v in layer.rt_info.items() if k != DECOMPRESSION})
        if node.op.name == "Result" and node.inputs[0].name is None:
            names = split_tensor_names(layer.element.get("output_names", ""))
            node.inputs[0].name = names[0] if names else None  # IR v11: the Result names it
        if node.op.name == "Parameter" and layer.outputs and layer.outputs[0].layout:
            node.rt_info["layout"] = layer.outputs[0].layout
        return node, port_values

    def operation(self, layer: LayerSpec, inputs: list[Value], where: str) -> Node:
        op = resolve_op(layer.type, layer.version, where)
        attrs = _read_attributes(op, layer, where)
        count = op.num_outputs(op.complete_attrs(attrs, where), len(inputs))
        if op.name == "Result":  # a Result layer has no output ports in a file
            count = 0
        if count is not None and count != len(layer.outputs):
            raise ModelFileError(f"{where}: {op.key()} has {count} outputs but the layer lists "
                                 f"{len(layer.outputs)} output ports")
        return Node(op, inputs, attrs, name=layer.name, output_names=_output_names(layer) or None)

    def constant(self, layer: LayerSpec, where: str) -> Node:
        data = layer.data
        missing = [k for k in ("element_type", "shape", "offset", "size") if k not in data]
        if missing:
            raise ModelFileError(f"{where}: Const lacks {', '.join(missing)}")
        try:
            elem = element_type(data["element_type"])
            shape = parse_shape_attribute(data["shape"])
            offset, size = int(data["offset"]), int(data["size"])
        except (ValueError, VinifyError) as error:
            raise ModelFileError(f"{where}: bad Const attributes: {error}") from None
        array = self.constant_array(elem, shape, offset, size, where)
        op = resolve_op("Constant", "opset1", where)
        return Node(op, [], {"value": array}, name=layer.name, output_names=_output_names(layer))

    def constant_array(self, elem: ElementType, shape: PartialShape, offset: int, size: int,
                       where: str) -> np.ndarray:
        if not shape.is_static:
            raise ModelFileError(f"{where}: a Const needs a static shape, got {shape}")
        dims = shape.to_tuple()
        count = int(np.prod(dims, dtype=object)) if dims else 1
        if elem.dtype is None or elem.dtype.kind in "OUS":
            raise ModelFileError(f"{where}: Const of element type {elem} cannot be read yet")
        expected = (count + 1) // 2 if elem.bitwidth == 4 else count * elem.dtype.itemsize
        if offset < 0 or size < 0:
            raise ModelFileError(f"{where}: negative Const offset {offset} or size {size}")
        if size != expected:
            raise ModelFileError(f"{where}: Const of {elem}{shape} needs {expected} bytes, "
                                 f"the layer says size={size}")
        if self.blob is None:
            raise ModelFileError(f"{where}: the weights file ({self.path.with_suffix('.bin')}) "
                                 "is missing")
        if offset + size > len(self.blob):
            raise ModelFileError(f"{where}: Const bytes {offset}..{offset + size} lie past the "
                                 f"end of the weights file ({len(self.blob)} bytes)")
        raw = memoryview(self.blob)[offset:offset + size]  # no copy: arrays view the file
        if elem.bitwidth == 4:
            return _unpack_nibbles(raw, elem, count).reshape(dims)
        return np.frombuffer(raw, dtype=elem.dtype.newbyteorder("<"), count=count).reshape(dims)


def resolve_op(layer_type: str, version: str, where: str) -> type[Op]:
    """The op for a layer: its type (OpenVINO's spellings mapped back) at or below the opset."""
    name = OP_OF_LAYER_TYPE.get(layer_type, layer_type)
    ops = registered_ops()
    if version.startswith("opset") and version[5:].isdigit():
        limit = int(version[5:])
        candidates = [v for (d, n, v) in ops if d == "" and n == name and v <= limit]
        domain = ""
    else:
        candidates = [v for (d, n, v) in ops if d == version and n == name]
        domain = version
    if not candidates:
        known = sorted(f"opset{v}" if d == "" else d for (d, n, v) in ops if n == name)
        hint = f" (known: {', '.join(known)})" if known else ""
        raise ModelFileError(f"{where}: unknown layer type {layer_type} version "
                             f"'{version}'{hint}")
    return ops[(domain, name, max(candidates))]


def _read_attributes(op: type[Op], layer: LayerSpec, where: str) -> dict[str, Any]:
    attrs = {}
    for key, text in layer.data.items():
        try:
            attr = op.attribute(key)
        except KeyError:
            raise ModelFileError(f"{where}: {op.key()} has no attribute '{key}'") from None
        try:
            attrs[key] = parse_attribute(attr, text)
        except (ValueError, VinifyError) as error:
            raise ModelFileError(f"{where}: attribute {key}={text!r}: {error}") from None
    return attrs


def _is_decompression(layer: LayerSpec, inputs: list[Value]) -> bool:
    """OpenVINO's FP16 weight compression: Const(f16) -> Convert(f32) marked `decompression`."""
    if layer.type != "Convert" or DECOMPRESSION not in layer.rt_info or len(inputs) != 1:
        return False
    source = inputs[0]
    return (source.node.op.name == "Constant" and source.element_type.name == "f16"
            and layer.data.get("destination_type") == "f32")


def _decompressed_constant(layer: LayerSpec, source: Value) -> Node:
    array = source.node.attrs["value"].astype(np.float32)
    op = resolve_op("Constant", "opset1", layer.name)
    return Node(op, [], {"value": array}, name=layer.name, output_names=_output_names(layer))


def _output_names(layer: LayerSpec) -> list[str | None]:
    """Each output's tensor name: the first of its port's names (vinify keeps one)."""
    return [port.names[0] if port.names else None for port in layer.outputs]


def _check_ports(layer: LayerSpec, values: list[Value], where: str) -> None:
    """The file's port precisions and dims must agree with what vinify infers."""
    for port, value in zip(layer.outputs, values):
        if port.element_type is not None and port.element_type != value.element_type:
            raise ModelFileError(f"{where}: output port {port.id} says {port.element_type} but "
                                 f"the op produces {value.element_type}")
        if port.shape is None:  # a scalar, or a dynamic rank: files do not tell them apart
            continue
        if not port.shape.compatible(value.shape):
            raise ModelFileError(f"{where}: output port {port.id} has dims {port.shape} but "
                                 f"the op produces {value.shape}")


def _unpack_nibbles(raw: bytes, elem: ElementType, count: int) -> np.ndarray:
    packed = np.frombuffer(raw, dtype=np.uint8)
    nibbles = np.empty(packed.size * 2, dtype=np.uint8)
    nibbles[0::2] = packed & 0x0F
    nibbles[1::2] = packed >> 4
    values = nibbles[:count].astype(np.int8)
    if elem.kind == "int":
        values = np.where(values > 7, values - 16, values).astype(np.int8)
    return values.astype(elem.dtype)


def _read_model_rt_info(element) -> dict[str, Any]:
    """Model rt_info: `<info name= value=>`, `<key value=>`, and nested elements as dicts."""
    if element is None:
        return {}
    info: dict[str, Any] = {}
    for child in element:
        if child.tag == "info" and "name" in child.attrib:
            info[child.attrib["name"]] = child.attrib.get("value", "")
        elif "value" in child.attrib:
            info[child.tag] = child.attrib["value"]
        else:
            info[child.tag] = _read_model_rt_info(child)
    return info
