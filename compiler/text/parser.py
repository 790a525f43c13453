"""Parses the generic text form (grammar.lark) into a graph.

Types written in the text are kept as written; `vinify.verify` checks them against each op's
inference. Errors carry the line and column and name the offending value, op or attribute.
"""

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedInput, VisitError
from vinify.errors import ParseError, VinifyError
from vinify.ir import Graph, Node, Value
from vinify.op import lookup_op
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType
from vinify.types import ELEMENT_TYPES, element_type


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text()
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


def parse(text: str, constants: dict[str, np.ndarray] | None = None) -> Graph:
    """The graph written in `text`. `constants` resolves digest-form tensors by SHA-256."""
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as error:
        context = error.get_context(text).strip().splitlines()[0]
        raise ParseError(f"unexpected input near '{context}'", error.line, error.column) from None
    try:
        literal_tree = _Literals(constants or {}).transform(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, VinifyError):
            raise error.orig_exc from None
        raise
    return _build_graph(literal_tree.children[0])


class _Element(str):
    """A bare word in attribute position: an element type name, kept until coercion."""


class _Literals(Transformer):
    """Turns attribute values, types and shapes into Python objects; statements stay trees."""

    def __init__(self, constants: dict[str, np.ndarray]):
        super().__init__()
        self.constants = constants

    def number(self, items):
        return _number(items[0])

    def string(self, items):
        return json.loads(items[0])

    def word(self, items):
        word = str(items[0])
        if word in ("true", "false"):
            return word == "true"
        return element_type(word) if word in ELEMENT_TYPES else _Element(word)

    def range(self, items):
        return Dimension.parse(str(items[0]))

    def dynamic_dim(self, items):
        return DYNAMIC

    def list(self, items):
        return [] if items == [None] else list(items)

    def dynamic_rank_value(self, items):
        return DYNAMIC_RANK

    def dim(self, items):
        return DYNAMIC if not items else Dimension.parse(str(items[0]))

    def static_rank(self, items):
        return PartialShape(()) if items == [None] else PartialShape(tuple(items))

    def dynamic_rank(self, items):
        return DYNAMIC_RANK

    def tensor_type(self, items):
        word, shape = items
        if str(word) not in ELEMENT_TYPES:
            raise ParseError(f"unknown element type '{word}'", word.line, word.column)
        return TensorType(ELEMENT_TYPES[str(word)], shape)

    @v_args(meta=True)
    def tensor(self, meta, items):
        ttype, data = items
        if not ttype.shape.is_static:
            raise ParseError(f"tensor type {ttype} must be static", meta.line, meta.column)
        shape = ttype.shape.to_tuple()
        if isinstance(data, tuple):  # digest
            array = self.constants.get(data[1])
            if array is None:
                raise ParseError(f"no constant data for sha256 {data[1]}", meta.line, meta.column)
            return array
        if ttype.element_type.name == "string":
            flat = np.array(data, dtype=object)
        else:
            flat = np.array(data, dtype=ttype.element_type.dtype)
        if flat.size != int(np.prod(shape)):
            raise ParseError(f"tensor {ttype} has {flat.size} elements", meta.line, meta.column)
        return flat.reshape(shape)

    def inline_data(self, items):
        return [] if items == [None] else items

    def scalar(self, items):
        token = items[0]
        if token.type == "WORD":
            if str(token) not in ("true", "false"):
                raise ParseError(f"unexpected word '{token}' in tensor data", token.line,
                                 token.column)
            return str(token) == "true"
        return _number(token)

    def digest_data(self, items):
        return ("sha256", json.loads(items[0]))

    def string_data(self, items):
        return [] if items == [None] else [json.loads(s) for s in items]


def _number(token: Token) -> int | float:
    text = str(token)
    if any(c in text for c in ".ein") and not text.lstrip("-").isdigit():
        return float(text)
    return int(text)


def _value_id(token: Token) -> str:
    body = str(token)[1:]
    return json.loads(body) if body.startswith('"') else body


def _build_graph(tree: Tree) -> Graph:
    name_token, *statements = tree.children
    name = json.loads(name_token) if name_token is not None else "graph"
    scope: dict[str, Value] = {}
    parameters: list[Node] = []
    results: list[Node] = []
    for statement in statements:
        node = _build_node(statement, scope)
        if node.op.name == "Parameter":
            parameters.append(node)
        elif node.op.name == "Result":
            results.append(node)
    return Graph(parameters, results, name)


def _build_node(statement: Tree, scope: dict[str, Value]) -> Node:
    outputs, opname, version, arguments, attrs, types, node_name, bodies = statement.children
    args = arguments.children
    line, column = statement.meta.line, statement.meta.column
    try:
        op = lookup_op(str(opname), int(version))
        inputs = [_lookup(scope, ref) for ref in args if ref is not None]
        attr_values = {}
        for attr in (attrs.children if attrs is not None else []):
            if attr is None:
                continue
            key, value = attr.children
            attr_values[str(key)] = value
        output_types = list(types.children) if types is not None else None
        ids = [_value_id(ref.children[0]) for ref in outputs.children] if outputs else []
        names = [None if i.isdigit() else i for i in ids]
        label = json.loads(node_name.children[0]) if node_name is not None else None
        if label is None and op.name != "Result" and names:
            label = names[0]
        body_graphs = [_build_graph(b) for b in bodies.children] if bodies is not None else []
        node = Node(op, inputs, attr_values, name=label, output_types=output_types,
                    output_names=names or None, bodies=body_graphs)
    except ParseError:
        raise
    except VinifyError as error:
        raise ParseError(str(error), line, column) from None
    if ids and len(ids) != len(node.outputs):
        raise ParseError(f"{node.describe()} has {len(node.outputs)} outputs, "
                         f"{len(ids)} named", line, column)
    for value_id, value in zip(ids, node.outputs):
        if value_id in scope:
            raise ParseError(f"value %{value_id} is defined twice", line, column)
        scope[value_id] = value
    return node


def _lookup(scope: dict[str, Value], ref: Tree) -> Value:
    token = ref.children[0]
    value_id = _value_id(token)
    if value_id not in scope:
        raise ParseError(f"use of undefined value %{value_id}", token.line, token.column)
    return scope[value_id]
