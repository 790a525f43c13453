"""The structure of an IR .xml file, checked before any node is built.

`parse_xml` refuses document type declarations outright, which disables entity expansion
("billion laughs") and external entities: an IR file never needs a DTD. `read_network` turns a
<net> (or a body graph's element) into layers and edges and checks them: unique layer ids,
edges between existing ports, every input port fed exactly once, no cycles. Each problem is a
ModelFileError that names the file, the layer id and the layer name.
"""

import xml.etree.ElementTree as ElementTree
import xml.parsers.expat
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from vinify.errors import ModelFileError
from vinify.irfile.xml_values import element_of_precision, parse_dimension, split_tensor_names
from vinify.shapes import PartialShape
from vinify.types import ElementType

DYNAMIC_PRECISIONS = ("UNSPECIFIED", "DYNAMIC", "UNDEFINED")


class _Forbidden(Exception):
    pass


def parse_xml(data: bytes, path: Path) -> ElementTree.Element:
    """The element tree of `data`; DTDs, entity declarations and external entities are errors."""
    builder = ElementTree.TreeBuilder()
    parser = xml.parsers.expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _forbid("a document type declaration (DTD)")
    parser.EntityDeclHandler = _forbid("an entity declaration")
    parser.ExternalEntityRefHandler = _forbid("an external entity reference")
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
        return builder.close()
    except _Forbidden as error:
        raise ModelFileError(f"{path}: refusing {error}: IR files never need one") from None
    except (xml.parsers.expat.ExpatError, AssertionError, IndexError) as error:
        raise ModelFileError(f"{path}: not well-formed XML: {error}") from None


def _forbid(what: str):
    def handler(*args):
        raise _Forbidden(what)

    return handler


@dataclass
class PortSpec:
    id: int
    element_type: ElementType | None
    shape: PartialShape | None  # None: no <dim> children (a scalar or a dynamic rank)
    names: list[str] = field(default_factory=list)
    layout: str | None = None


@dataclass
class LayerSpec:
    id: int
    name: str
    type: str
    version: str
    element: ElementTree.Element
    inputs: list[PortSpec] = field(default_factory=list)
    outputs: list[PortSpec] = field(default_factory=list)

    def where(self, path: Path) -> str:
        return f"{path}: layer id={self.id} name='{self.name}' type={self.type}"

    @property
    def data(self) -> dict[str, str]:
        data = self.element.find("data")
        return dict(data.attrib) if data is not None else {}

    @property
    def rt_info(self) -> dict[str, str | bool]:
        info = {}
        for entry in self.element.findall("rt_info/attribute"):
            if "name" in entry.attrib:
                info[entry.attrib["name"]] = entry.attrib.get("value", True)
        return info


@dataclass
class Network:
    """Layers in document order, and for each (layer, input port) the (layer, port) feeding it."""

    layers: list[LayerSpec]
    sources: dict[tuple[int, int], tuple[int, int]]
    order: list[LayerSpec]  # topological


def read_network(element: ElementTree.Element, path: Path,
                 name_outputs_by_layer: bool = False) -> Network:
    """The checked layers and edges; `name_outputs_by_layer` gives ports without tensor names
    their layer's name (IR v10 files identify tensors by layer names)."""
    layers = [_read_layer(item, path) for item in element.findall("layers/layer")]
    if name_outputs_by_layer:
        for layer in layers:
            _name_outputs_by_layer(layer)
    by_id: dict[int, LayerSpec] = {}
    for layer in layers:
        if layer.id in by_id:
            raise ModelFileError(f"{layer.where(path)}: layer id {layer.id} is used twice")
        by_id[layer.id] = layer
    sources = _read_edges(element, by_id, path)
    for layer in layers:
        for port in layer.inputs:
            if (layer.id, port.id) not in sources:
                raise ModelFileError(f"{layer.where(path)}: input port {port.id} is not "
                                     "connected (a dangling input)")
    return Network(layers, sources, _topological_order(layers, sources, by_id, path))


def _name_outputs_by_layer(layer: LayerSpec) -> None:
    for port in layer.outputs:
        if not port.names:
            single = len(layer.outputs) == 1
            port.names = [layer.name if single else f"{layer.name}.{port.id}"]


def _read_layer(item: ElementTree.Element, path: Path) -> LayerSpec:
    raw_id = item.get("id")
    name = item.get("name", "")
    layer_type = item.get("type")
    label = f"{path}: layer id={raw_id} name='{name}'"
    if raw_id is None or layer_type is None:
        raise ModelFileError(f"{label}: a layer needs an id and a type")
    layer_id = _integer(raw_id, f"{label}: layer id")
    layer = LayerSpec(layer_id, name, layer_type, item.get("version", ""), item)
    ports = set()
    for tag, target in (("input", layer.inputs), ("output", layer.outputs)):
        for port in item.findall(f"{tag}/port"):
            spec = _read_port(port, layer.where(path))
            if spec.id in ports:
                raise ModelFileError(f"{layer.where(path)}: port id {spec.id} is used twice")
            ports.add(spec.id)
            target.append(spec)
    return layer


def _read_port(port: ElementTree.Element, where: str) -> PortSpec:
    port_id = _integer(port.get("id"), f"{where}: port id")
    elem = None  # unknown: no precision, or a dynamic one ("UNSPECIFIED")
    if port.get("precision") and port.get("precision") not in DYNAMIC_PRECISIONS:
        try:
            elem = element_of_precision(port.get("precision"))
        except Exception:
            raise ModelFileError(f"{where}: port {port_id} has an unknown precision "
                                 f"'{port.get('precision')}'") from None
    dims = []
    for dim in port.findall("dim"):
        try:
            dims.append(parse_dimension(dim.text or ""))
        except ValueError as error:
            raise ModelFileError(f"{where}: port {port_id}: bad dimension: {error}") from None
    shape = PartialShape(tuple(dims)) if dims else None
    layout = None
    for entry in port.findall("rt_info/attribute"):
        if entry.get("name") == "layout":
            layout = entry.get("layout")
    return PortSpec(port_id, elem, shape, split_tensor_names(port.get("names", "")), layout)


def _integer(text: str | None, what: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise ModelFileError(f"{what} must be an integer, got {text!r}") from None


def _read_edges(element: ElementTree.Element, by_id: dict[int, LayerSpec],
                path: Path) -> dict[tuple[int, int], tuple[int, int]]:
    sources: dict[tuple[int, int], tuple[int, int]] = {}
    for edge in element.findall("edges/edge"):
        numbers = [_integer(edge.get(key), f"{path}: edge {key}")
                   for key in ("from-layer", "from-port", "to-layer", "to-port")]
        from_layer, from_port, to_layer, to_port = numbers
        text = f"edge {from_layer}:{from_port} -> {to_layer}:{to_port}"
        for layer_id in (from_layer, to_layer):
            if layer_id not in by_id:
                raise ModelFileError(f"{path}: {text} refers to a missing layer id={layer_id} "
                                     "(a dangling edge)")
        producer, consumer = by_id[from_layer], by_id[to_layer]
        if from_port not in [p.id for p in producer.outputs]:
            raise ModelFileError(f"{producer.where(path)}: {text} leaves from port {from_port}, "
                                 "which is not an output port of the layer")
        if to_port not in [p.id for p in consumer.inputs]:
            raise ModelFileError(f"{consumer.where(path)}: {text} enters port {to_port}, "
                                 "which is not an input port of the layer")
        if (to_layer, to_port) in sources:
            raise ModelFileError(f"{consumer.where(path)}: input port {to_port} has two "
                                 "incoming edges")
        sources[(to_layer, to_port)] = (from_layer, from_port)
    return sources


def _topological_order(layers: list[LayerSpec], sources: dict, by_id: dict[int, LayerSpec],
                       path: Path) -> list[LayerSpec]:
    """Kahn's algorithm in document order; layers left over lie on a cycle."""
    waiting = {layer.id: len(layer.inputs) for layer in layers}
    consumers: dict[int, list[int]] = {layer.id: [] for layer in layers}
    for (to_layer, _), (from_layer, _) in sorted(sources.items()):
        consumers[from_layer].append(to_layer)
    ready = deque(layer.id for layer in layers if waiting[layer.id] == 0)
    order: list[LayerSpec] = []
    while ready:
        layer_id = ready.popleft()
        order.append(by_id[layer_id])
        for consumer in consumers[layer_id]:
            waiting[consumer] -= 1
            if waiting[consumer] == 0:
                ready.append(consumer)
    if len(order) < len(layers):
        stuck = next(layer for layer in layers if waiting[layer.id] > 0)
        raise ModelFileError(f"{stuck.where(path)}: the layer lies on a cycle of edges")
    return order
