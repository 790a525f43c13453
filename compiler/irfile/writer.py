"""Writes a Graph as OpenVINO IR v11: an .xml topology and a .bin of constant data.

The layout follows what `openvino.save_model` produces, so OpenVINO reads vinify's files and a
file written by vinify reads back and writes again byte for byte:
- layers in topological order (Results last), ids counting from 0, `version="opsetN"` where N is
  the op version (vinify numbers op versions by the opset that introduced them), internal ops
  `version="vinify"`;
- input ports numbered first, output ports after them, each with its precision and dims;
- constants in the .bin at 64-bit offsets, identical bytes stored once;
- with `compress_to_fp16`, every f32 Constant is stored as an f16 Const followed by a Convert
  to f32 marked with the `decompression` rt_info, as OpenVINO does.
Both files are built in memory first and renamed into place, so a failed save leaves nothing.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
from vinify.errors import IRError, ModelFileError
from vinify.ir import Graph, Node, Value
from vinify.irfile.xml_values import (
    LAYER_TYPE_OF_OP,
    escape_tensor_names,
    format_attribute,
    format_port_dim,
    precision_name,
)
from vinify.shapes import PartialShape
from vinify.types import f16, f32

DECOMPRESSION = "decompression"
LAYOUT = "layout"
FP16_LIMIT = float(np.finfo(np.float16).max)


@dataclass
class Port:
    precision: str
    shape: PartialShape
    names: list[str] = field(default_factory=list)
    layout: str | None = None  # OpenVINO keeps an input's layout in its port's rt_info


@dataclass
class Layer:
    """One <layer> element, ready to print."""

    id: int
    name: str
    type: str
    version: str
    data: list[tuple[str, str]] = field(default_factory=list)
    rt_info: list[tuple[str, str | None]] = field(default_factory=list)
    inputs: list[Port] = field(default_factory=list)
    outputs: list[Port] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)  # attributes of <layer> itself
    # body-graph ops: port maps (before the ports) and bodies (after them), rendered at an indent
    port_maps: Callable[[str], list[str]] | None = None
    bodies: Callable[[str], list[str]] | None = None


class Weights:
    """The .bin being built: constant bytes at 64-bit offsets, identical bytes stored once."""

    def __init__(self):
        self.blob = bytearray()
        self.offsets: dict[tuple[int, bytes], int] = {}  # (size, SHA-256) -> offset

    def store(self, data: bytes) -> int:
        key = (len(data), hashlib.sha256(data).digest())
        offset = self.offsets.get(key)
        if offset is None:
            offset = len(self.blob)
            self.offsets[key] = offset
            self.blob += data
        return offset


def write_ir(graph: Graph, path: str | Path, weights: str | Path | None = None,
             compress_to_fp16: bool = True, **options: Any) -> None:
    """Saves `graph` as `path` (.xml) and its weights beside it (.bin, or `weights`)."""
    path = Path(path)
    weights_path = Path(weights) if weights is not None else path.with_suffix(".bin")
    xml_text, blob = serialize(graph, compress_to_fp16)
    _write_pair(path, xml_text.encode("utf-8"), weights_path, blob)


def serialize(graph: Graph, compress_to_fp16: bool = True) -> tuple[str, bytes]:
    """The XML text and the weights of `graph`, which is verified first; nothing touches the
    disk."""
    from vinify.verify import verify

    verify(graph)
    weights = Weights()
    builder = NetBuilder(compress_to_fp16, weights)
    builder.add_graph(graph)
    lines = ['<?xml version="1.0"?>', f'<net name={quote(graph.name)} version="11">']
    lines += builder.render("\t")
    lines += _render_rt_info(graph.rt_info, "\t")
    lines.append("</net>")
    return "\n".join(lines) + "\n", bytes(weights.blob)


class NetBuilder:
    """Turns one graph's nodes into layers and edges; constants go to the shared Weights."""

    def __init__(self, compress_to_fp16: bool, weights: Weights):
        self.compress = compress_to_fp16
        self.weights = weights
        self.layers: list[Layer] = []
        self.edges: list[tuple[int, int, int, int]] = []
        self.source: dict[int, tuple[int, int]] = {}  # id(Value) -> (layer id, port id)
        self.layer_ids: dict[int, int] = {}  # id(Node) -> layer id
        self.names: set[str] = set()

    def add_graph(self, graph: Graph) -> None:
        nodes = graph.nodes()
        ordered = [n for n in nodes if n.op.name != "Result"] + list(graph.results)
        for node in ordered:
            if node.bodies:
                from vinify.irfile.body_writer import write_body_node

                write_body_node(self, node)
            elif node.op.name == "Constant":
                self.add_constant(node)
            else:
                self.add_node(node)

    def add_node(self, node: Node, with_data: bool = True) -> Layer:
        layer = self.new_layer(node, self.layer_name(node), _layer_type(node), _version(node))
        for attr in _attributes_in_file_order(node) if with_data else ():
            value = node.attrs[attr.name]
            if value is not None:
                layer.data.append((attr.name, format_attribute(attr, value)))
        layer.rt_info = _node_rt_info(node)
        for index, value in enumerate(node.inputs):
            layer.inputs.append(Port(precision_name(value.element_type), value.shape))
            if id(value) not in self.source:
                raise IRError(f"{node.describe()}: input {index} comes from "
                              f"{value.node.describe()}, which is not part of the graph")
            producer_layer, producer_port = self.source[id(value)]
            self.edges.append((producer_layer, producer_port, layer.id, index))
        if node.op.name == "Result" and node.inputs[0].name:
            layer.extra.append(("output_names", escape_tensor_names([node.inputs[0].name])))
        if node.op.name != "Result":  # a Result layer has no output ports in a file
            self.add_outputs(layer, node.outputs)
        if node.op.name == "Parameter" and isinstance(node.rt_info.get(LAYOUT), str):
            layer.outputs[0].layout = node.rt_info[LAYOUT]
        return layer

    def add_constant(self, node: Node) -> None:
        array: np.ndarray = node.attrs["value"]
        name = self.layer_name(node)
        if not (self.compress and array.dtype == np.float32):
            layer = self.new_layer(node, name, "Const", "opset1")
            layer.data = self.constant_data(array, node)
            self.add_outputs(layer, node.outputs)
            return
        finite = np.isfinite(array)
        half = np.where(finite, np.clip(array, -FP16_LIMIT, FP16_LIMIT), array).astype(np.float16)
        const = self.new_layer(node, name + "_compressed", "Const", "opset1")
        const.data = self.constant_data(half, node)
        const.outputs.append(Port(precision_name(f16), node.outputs[0].shape))
        convert = self.new_layer(node, name, "Convert", "opset1")
        convert.data = [("destination_type", str(f32))]
        convert.rt_info = [(DECOMPRESSION, None)]
        convert.inputs.append(Port(precision_name(f16), node.outputs[0].shape))
        self.edges.append((const.id, 0, convert.id, 0))
        self.add_outputs(convert, node.outputs)

    def constant_data(self, array: np.ndarray, node: Node) -> list[tuple[str, str]]:
        data = _constant_bytes(array, node)
        offset = self.weights.store(data)
        value = node.outputs[0]
        elem = value.element_type if array.dtype == value.element_type.dtype else f16
        shape = ", ".join(str(n) for n in array.shape)
        return [("element_type", str(elem)), ("shape", shape), ("offset", str(offset)),
                ("size", str(len(data)))]

    def new_layer(self, node: Node, name: str, layer_type: str, version: str) -> Layer:
        layer = Layer(len(self.layers), name, layer_type, version)
        self.layers.append(layer)
        self.names.add(name)
        self.layer_ids[id(node)] = layer.id
        return layer

    def layer_name(self, node: Node) -> str:
        """The node's name; a Result sharing its name with a layer gets OpenVINO's sink suffix."""
        name = node.name or f"{node.op.name}_{len(self.layers)}"
        if node.op.name == "Result" and name in self.names:
            name = f"{name}/sink_port_0"
        return name

    def add_outputs(self, layer: Layer, values: list[Value]) -> None:
        for index, value in enumerate(values):
            names = [value.name] if value.name else []
            layer.outputs.append(Port(precision_name(value.element_type), value.shape, names))
            self.source[id(value)] = (layer.id, len(layer.inputs) + index)

    def render(self, indent: str) -> list[str]:
        lines = [f"{indent}<layers>"]
        for layer in self.layers:
            lines += _render_layer(layer, indent + "\t")
        lines.append(f"{indent}</layers>")
        lines.append(f"{indent}<edges>")
        for edge in sorted(self.edges):
            lines.append(f'{indent}\t<edge from-layer="{edge[0]}" from-port="{edge[1]}" '
                         f'to-layer="{edge[2]}" to-port="{edge[3]}" />')
        lines.append(f"{indent}</edges>")
        return lines


def _attributes_in_file_order(node: Node) -> list:
    """Declaration order, except where OpenVINO writes a different one."""
    attributes = list(node.op.attributes)
    if node.op.name == "Parameter":
        attributes.sort(key=lambda attr: attr.name != "shape")
    return attributes


def _layer_type(node: Node) -> str:
    return LAYER_TYPE_OF_OP.get(node.op.name, node.op.name)


def _version(node: Node) -> str:
    if node.op.domain:
        return node.op.domain
    return f"opset{node.op.version}"


def _node_rt_info(node: Node) -> list[tuple[str, str | None]]:
    """Node rt_info entries that have a file form: a flag (True) or a string."""
    entries = []
    for key in sorted(node.rt_info):
        value = node.rt_info[key]
        if key == LAYOUT and node.op.name == "Parameter":
            continue
        if value is True:
            entries.append((key, None))
        elif isinstance(value, str):
            entries.append((key, value))
    return entries


def _constant_bytes(array: np.ndarray, node: Node) -> bytes:
    """The little-endian bytes OpenVINO keeps for a constant; 4-bit types packed two a byte."""
    if array.dtype.kind in "OUS":
        raise IRError(f"{node.describe()}: string constants cannot be saved to IR files yet")
    name = node.outputs[0].element_type.name if array.dtype != np.float16 else "f16"
    if name in ("i4", "u4"):
        nibbles = (array.reshape(-1).astype(np.int8).view(np.uint8) & 0x0F)
        if nibbles.size % 2:
            nibbles = np.append(nibbles, np.uint8(0))
        return (nibbles[0::2] | (nibbles[1::2] << 4)).astype(np.uint8).tobytes()
    contiguous = np.ascontiguousarray(array)
    if contiguous.dtype.byteorder == ">":
        contiguous = contiguous.astype(contiguous.dtype.newbyteorder("<"))
    return contiguous.tobytes()


def _render_layer(layer: Layer, indent: str) -> list[str]:
    head = (f'{indent}<layer id="{layer.id}" name={quote(layer.name)} type={quote(layer.type)} '
            f'version={quote(layer.version)}')
    head += "".join(f" {key}={quote(value)}" for key, value in layer.extra) + ">"
    lines = [head]
    inner = indent + "\t"
    if layer.data:
        attributes = " ".join(f"{key}={quote(value)}" for key, value in layer.data)
        lines.append(f"{inner}<data {attributes} />")
    if layer.rt_info:
        lines.append(f"{inner}<rt_info>")
        for key, value in layer.rt_info:
            text = "" if value is None else f" value={quote(value)}"
            lines.append(f'{inner}\t<attribute name={quote(key)} version="0"{text} />')
        lines.append(f"{inner}</rt_info>")
    if layer.port_maps is not None:
        lines += layer.port_maps(inner)
    for tag, ports, first in (("input", layer.inputs, 0),
                              ("output", layer.outputs, len(layer.inputs))):
        if ports:
            lines.append(f"{inner}<{tag}>")
            for offset, port in enumerate(ports):
                lines += _render_port(port, first + offset, inner + "\t")
            lines.append(f"{inner}</{tag}>")
    if layer.bodies is not None:
        lines += layer.bodies(inner)
    lines.append(f"{indent}</layer>")
    return lines


def _render_port(port: Port, port_id: int, indent: str) -> list[str]:
    head = f'{indent}<port id="{port_id}" precision="{port.precision}"'
    if port.names:
        head += f" names={quote(escape_tensor_names(port.names))}"
    dims = port.shape.dims or ()
    if not dims and port.layout is None:
        return [head + " />"]
    lines = [head + ">"]
    lines += [f"{indent}\t<dim>{format_port_dim(dim)}</dim>" for dim in dims]
    if port.layout is not None:
        layout = quote(port.layout)
        lines += [f"{indent}\t<rt_info>",
                  f'{indent}\t\t<attribute name="layout" version="0" layout={layout} />',
                  f"{indent}\t</rt_info>"]
    lines.append(f"{indent}</port>")
    return lines


def _render_rt_info(rt_info: dict[str, Any], indent: str) -> list[str]:
    if not rt_info:
        return []
    return [f"{indent}<rt_info>"] + _render_rt_entries(rt_info, indent + "\t") + \
        [f"{indent}</rt_info>"]


def _render_rt_entries(entries: dict[str, Any], indent: str) -> list[str]:
    """Model rt_info: `<key value=.../>`, nested dicts as elements, other keys as <info name=>."""
    lines = []
    for key, value in entries.items():
        if isinstance(value, dict):
            if not _is_tag_name(key):
                continue
            lines.append(f"{indent}<{key}>")
            lines += _render_rt_entries(value, indent + "\t")
            lines.append(f"{indent}</{key}>")
        elif _is_tag_name(key):
            lines.append(f"{indent}<{key} value={quote(str(value))} />")
        else:
            lines.append(f"{indent}<info name={quote(key)} value={quote(str(value))} />")
    return lines


def _is_tag_name(text: str) -> bool:
    return bool(text) and (text[0].isalpha() or text[0] == "_") and all(
        c.isalnum() or c in "_-." for c in text) and text != "info"


def quote(text: str) -> str:
    escaped = (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
               .replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;")
               .replace("\t", "&#9;"))
    return f'"{escaped}"'


def _write_pair(xml_path: Path, xml_bytes: bytes, bin_path: Path, blob: bytes) -> None:
    """Both files under temporary names first, then renamed; on any failure neither remains."""
    temporaries = [(xml_path.with_name(f".{xml_path.name}.partial"), xml_path, xml_bytes),
                   (bin_path.with_name(f".{bin_path.name}.partial"), bin_path, blob)]
    renamed: list[Path] = []
    try:
        for temporary, _, data in temporaries:
            temporary.write_bytes(data)
        for temporary, final, _ in reversed(temporaries):
            temporary.replace(final)
            renamed.append(final)
    except OSError as error:
        for final in renamed:
            final.unlink(missing_ok=True)
        raise ModelFileError(f"{xml_path}: cannot save the model: {error}") from None
    finally:
        for temporary, _, _ in temporaries:
            temporary.unlink(missing_ok=True)
