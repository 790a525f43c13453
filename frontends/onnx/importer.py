"""The ONNX importer: a ModelProto becomes a vinify Graph, one converter call per ONNX node.

Order of work: load and check the file (loading.py), list every op that cannot be converted and
refuse them all in one UnsupportedOpError, then convert the main graph node by node in
topological order. Subgraphs (If/Loop/Scan bodies) are converted into self-contained body graphs:
a value a body reads from an enclosing graph becomes one more body parameter, recorded as a
capture so that the control-flow converter can feed it. Model-local functions, and ONNX ops that
the standard defines as a function of other ops, are inlined node by node.
"""

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import onnx.defs
from onnx import AttributeProto, FunctionProto, GraphProto, NodeProto
from vinify.errors import ConversionError, ModelFileError, UnsupportedOpError, VinifyError
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.loading import load_model
from vinify.frontends.onnx.registry import find_converter
from vinify.frontends.onnx.topology import node_label, subgraphs_of, topological_order
from vinify.frontends.onnx.types import sparse_to_array, tensor_to_array, tensor_type_of
from vinify.ir import Graph, Node, Value, constant, make, parameter
from vinify.shapes import PartialShape, TensorType


def _domain(name: str) -> str:
    return "" if name in ("", "ai.onnx") else name


class GraphScope:
    """Names visible while converting one graph; reads from enclosing graphs become captures."""

    def __init__(self, opsets: dict[str, int], outer: "GraphScope | None" = None):
        self.opsets = opsets
        self.outer = outer
        self.values: dict[str, Any] = {}
        self.captures: list[tuple[Any, Node]] = []  # (value in the outer graph, body parameter)

    def lookup(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        if self.outer is None:
            return None
        found = self.outer.lookup(name)
        if not isinstance(found, Value):
            return found  # None, or a conversion-time object (sequence) shared as is
        if found.node.op.name == "Constant":
            local = constant(found.node.attrs["value"], name=found.node.name).outputs[0]
        else:
            node = parameter(name, found.element_type, found.shape)
            self.captures.append((found, node))
            local = node.outputs[0]
        self.values[name] = local
        return local


@dataclass
class Body:
    """A converted subgraph: its graph, formal parameters first, then captured ones."""

    graph: Graph
    formal: list[Node]
    captured_outer: list[Value] = field(default_factory=list)  # outer values feeding captures


class OnnxImporter:
    def __init__(self, proto, source: str, input_shapes: Any = None):
        self.proto = proto
        self.source = source
        self.input_shapes = input_shapes
        self.functions = {(_domain(f.domain), f.name): f for f in proto.functions}
        self.opsets = {_domain(o.domain): o.version for o in proto.opset_import}

    # ---------------------------------------------------------------- whole model
    def convert(self) -> Graph:
        unsupported = sorted(set(self.unsupported_ops(self.proto.graph, self.opsets)))
        if unsupported:
            items = [f"{op} (domain '{dom or 'ai.onnx'}', opset {ver}; nodes {names})"
                     for op, dom, ver, names in _group_unsupported(unsupported)]
            raise UnsupportedOpError(f"{self.source}: {len(items)} op type(s) cannot be "
                                     "converted: " + "; ".join(items))
        scope = GraphScope(self.opsets)
        graph = self.proto.graph
        parameters = self._top_parameters(graph, scope)
        outputs = _named_outputs(graph, self.convert_nodes(graph, scope))
        return Graph(parameters, outputs, name=graph.name or "onnx_model")

    def _top_parameters(self, graph: GraphProto, scope: GraphScope) -> list[Node]:
        self._add_initializers(graph, scope)
        shapes = self._input_shape_overrides(graph)
        parameters = []
        for info in graph.input:
            if info.name in scope.values:
                continue  # an initializer listed as input (IR < 4): a constant
            ttype = tensor_type_of(info, self.source)
            shape = shapes.get(info.name, ttype.shape)
            node = parameter(info.name, ttype.element_type, shape)
            parameters.append(node)
            scope.values[info.name] = node.outputs[0]
        return parameters

    def _input_shape_overrides(self, graph: GraphProto) -> dict[str, PartialShape]:
        if not self.input_shapes:
            return {}
        names = [i.name for i in graph.input
                 if i.name not in {t.name for t in graph.initializer}]
        given = self.input_shapes
        if not isinstance(given, Mapping):
            given = dict(zip(names, given))
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ConversionError(f"{self.source}: input_shapes names unknown input(s) {unknown}; "
                                  f"inputs are {names}")
        return {name: PartialShape.of(shape) for name, shape in given.items()}

    def _add_initializers(self, graph: GraphProto, scope: GraphScope) -> None:
        arrays = [(t.name, tensor_to_array(t, self.source)) for t in graph.initializer]
        arrays += [(s.values.name, sparse_to_array(s, self.source))
                   for s in graph.sparse_initializer]
        for name, array in arrays:
            value = constant(array, name=name).outputs[0]
            value.name = name
            scope.values[name] = value

    # ---------------------------------------------------------------- graphs and bodies
    def convert_nodes(self, graph: GraphProto, scope: GraphScope) -> list[Value]:
        """Converts the nodes of `graph` into `scope`; returns the graph's output values."""
        where = f"{self.source}: graph '{graph.name}'"
        available = set(scope.values) | _outer_names(scope)
        for node in topological_order(graph.node, available, where):
            self.convert_node(node, scope)
        outputs = []
        for info in graph.output:
            value = scope.lookup(info.name)
            if not isinstance(value, Value):
                kind = "undefined" if value is None else f"a {type(value).__name__}, not a value"
                raise ConversionError(f"{where}: output '{info.name}' is {kind}")
            outputs.append(value)
        return outputs

    def convert_body(self, graph: GraphProto, outer: GraphScope,
                     input_types: Sequence[TensorType]) -> Body:
        """A subgraph as a self-contained Graph: formal inputs typed by the caller, captures last.
        """
        scope = GraphScope(outer.opsets, outer)
        self._add_initializers(graph, scope)
        if len(input_types) != len(graph.input):
            raise ConversionError(f"{self.source}: body graph '{graph.name}' declares "
                                  f"{len(graph.input)} inputs, its op feeds {len(input_types)}")
        formal = []
        for info, ttype in zip(graph.input, input_types):
            node = parameter(info.name, ttype.element_type, ttype.shape)
            formal.append(node)
            scope.values[info.name] = node.outputs[0]
        outputs = self.convert_nodes(graph, scope)
        parameters = formal + [param for _, param in scope.captures]
        body = Graph(parameters, outputs, name=graph.name or "body")
        return Body(body, formal, [value for value, _ in scope.captures])

    # ---------------------------------------------------------------- one node
    def convert_node(self, node: NodeProto, scope: GraphScope) -> None:
        domain = _domain(node.domain)
        if (domain, node.op_type) in self.functions:
            self._inline_function(node, self.functions[(domain, node.op_type)], scope)
            return
        opset = scope.opsets.get(domain, 0)
        function = find_converter(node.op_type, domain, opset)
        if function is None:
            self._inline_function(node, standard_function(node.op_type, domain, opset), scope)
            return
        inputs = [scope.lookup(name) if name else None for name in node.input]
        ctx = NodeContext(node, inputs, opset, importer=self)
        ctx.scope = scope
        try:
            result = function(ctx)
        except ConversionError:
            raise
        except VinifyError as error:
            raise ctx.error(str(error)) from None
        except Exception as error:  # a converter bug must not take the process down
            raise ctx.error(f"converter failed: {type(error).__name__}: {error}") from error
        self._bind_outputs(node, result, scope, ctx)

    def _bind_outputs(self, node: NodeProto, result: Any, scope: GraphScope,
                      ctx: NodeContext) -> None:
        if isinstance(result, Node):
            result = list(result.outputs)
        if not isinstance(result, (list, tuple)):
            result = [result]
        if len(result) < len([n for n in node.output if n]):
            raise ctx.error(f"converter gave {len(result)} outputs for {len(node.output)}")
        for name, value in zip(node.output, result):
            if not name:
                continue
            if value is None:
                raise ctx.error(f"output '{name}' is used but the converter does not produce it")
            if isinstance(value, Value) and value.name is None:
                value.name = name
            scope.values[name] = value

    def _inline_function(self, node: NodeProto, function: FunctionProto | None,
                         scope: GraphScope) -> None:
        if function is None:  # unsupported ops were refused up front; keep a clear message
            raise ConversionError(f"{self.source}: node {node_label(node)} has no converter")
        inner = GraphScope({**scope.opsets, **{_domain(o.domain): o.version
                                              for o in function.opset_import}})
        for formal, actual in zip(function.input, node.input):
            if actual:
                inner.values[formal] = scope.lookup(actual)
        attributes = _call_attributes(node, function)
        body_nodes = [_bind_attributes(n, attributes) for n in function.node]
        where = f"{self.source}: function {function.name} called by node {node_label(node)}"
        for inner_node in topological_order(body_nodes, set(inner.values), where):
            self.convert_node(inner_node, inner)
        for formal, actual in zip(function.output, node.output):
            if actual:
                value = inner.lookup(formal)
                if value is None:
                    raise ConversionError(f"{where}: output '{formal}' is not produced")
                scope.values[actual] = value

    # ---------------------------------------------------------------- support check
    def unsupported_ops(self, graph: GraphProto, opsets: dict[str, int]) -> list[tuple]:
        """(op type, domain, opset, node name) for every node no converter or function serves."""
        missing = []
        for node in graph.node:
            domain = _domain(node.domain)
            for body in subgraphs_of(node):
                missing += self.unsupported_ops(body, opsets)
            if (domain, node.op_type) in self.functions:
                function = self.functions[(domain, node.op_type)]
                missing += self._unsupported_in_function(function, opsets)
                continue
            if domain not in opsets:
                missing.append((node.op_type, domain, "not imported", node_label(node)))
                continue
            if find_converter(node.op_type, domain, opsets[domain]) is not None:
                continue
            function = standard_function(node.op_type, domain, opsets[domain])
            if function is None:
                missing.append((node.op_type, domain, opsets[domain], node_label(node)))
                continue
            missing += self._unsupported_in_function(function, opsets)
        return missing

    def _unsupported_in_function(self, function: FunctionProto, opsets: dict) -> list[tuple]:
        inner = {**opsets, **{_domain(o.domain): o.version for o in function.opset_import}}
        body = GraphProto(node=function.node, name=function.name)
        return self.unsupported_ops(body, inner)


def _named_outputs(graph: GraphProto, outputs: list[Value]) -> list[Value]:
    """Each output value carrying its ONNX output name: an output that is a graph input, another
    output or a value named otherwise (Identity) is passed through an Identity node."""
    named, seen = [], set()
    for info, value in zip(graph.output, outputs):
        if value.name != info.name or id(value) in seen:
            value = make("Identity", 16, [value], name=info.name).outputs[0]
            value.name = info.name
        seen.add(id(value))
        named.append(value)
    return named


def _outer_names(scope: GraphScope) -> set[str]:
    names: set[str] = set()
    outer = scope.outer
    while outer is not None:
        names |= set(outer.values)
        outer = outer.outer
    return names


def _group_unsupported(entries: list[tuple]) -> list[tuple]:
    grouped: dict[tuple, list[str]] = {}
    for op, domain, version, name in entries:
        grouped.setdefault((op, domain, str(version)), []).append(name)
    return [(op, dom, ver, ", ".join(names)) for (op, dom, ver), names in grouped.items()]


@functools.lru_cache(maxsize=None)
def standard_function(op_type: str, domain: str, opset: int) -> FunctionProto | None:
    """The function body the ONNX standard gives `op_type` at `opset`, if it defines one, with
    the schema's attribute defaults attached (function bodies refer to them by name)."""
    if opset <= 0:
        return None
    try:
        schema = onnx.defs.get_schema(op_type, opset, domain)
    except onnx.defs.SchemaError:
        return None
    if not schema.has_function or schema.deprecated:
        return None
    try:
        body = schema.function_body
    except Exception:  # schemas without a static body (context dependent)
        return None
    function = FunctionProto()
    function.CopyFrom(body)
    declared = {a.name for a in function.attribute_proto}
    for name, attribute in schema.attributes.items():
        default = attribute.default_value
        if name not in declared and default.type != AttributeProto.UNDEFINED:
            copy = function.attribute_proto.add()
            copy.CopyFrom(default)
            copy.name = name
    return function


def _call_attributes(node: NodeProto, function: FunctionProto) -> dict[str, AttributeProto]:
    """The attributes a function call sees: defaults of the function, overridden by the node."""
    values = {a.name: a for a in function.attribute_proto}
    values.update({a.name: a for a in node.attribute})
    return values


def _bind_attributes(node: NodeProto, attributes: dict[str, AttributeProto]) -> NodeProto:
    """A copy of a function-body node with `ref_attr_name` attributes resolved (or dropped)."""
    if not any(a.ref_attr_name for a in node.attribute):
        return node
    bound = NodeProto()
    bound.CopyFrom(node)
    del bound.attribute[:]
    for attr in node.attribute:
        if not attr.ref_attr_name:
            bound.attribute.append(attr)
            continue
        source = attributes.get(attr.ref_attr_name)
        if source is None:
            continue
        copy = AttributeProto()
        copy.CopyFrom(source)
        copy.name = attr.name
        bound.attribute.append(copy)
    return bound


def read_onnx_model(model: Any, input_shapes: Any = None, base_dir: str | Path | None = None,
                    check: bool = True, **options: Any) -> Graph:
    """A vinify Graph from an ONNX model: a path, the file's bytes, or a ModelProto.

    `input_shapes` overrides input shapes ({name: shape} or a list in input order); `base_dir` is
    the folder external data is read from when the model is given as bytes or a ModelProto.
    """
    if options:
        raise ConversionError(f"unknown ONNX import option(s) {sorted(options)}")
    if isinstance(input_shapes, Path):  # read_model(path, weights): ONNX has no weights file
        if not input_shapes.is_dir():
            raise ModelFileError(f"{input_shapes}: an ONNX model takes no separate weights file; "
                                 "pass the folder of its external data as base_dir")
        input_shapes, base_dir = None, input_shapes
    try:
        loaded = load_model(model, base_dir, check)
    except VinifyError:
        raise
    except Exception as error:  # protobuf content no check above foresaw: still the file's fault
        label = model if isinstance(model, (str, Path)) else f"<{type(model).__name__}>"
        raise ModelFileError(f"{label}: malformed ONNX model ({type(error).__name__}: {error})"
                             ) from None
    importer = OnnxImporter(loaded.proto, loaded.source, input_shapes)
    try:
        return importer.convert()
    except VinifyError:
        raise
    except Exception as error:
        raise ConversionError(f"{loaded.source}: malformed ONNX model "
                              f"({type(error).__name__}: {error})") from None
