"""Transpose sinking: moves Transposes below elementwise ops, where pairs of them cancel.

    Relu(Transpose(x, p))                    ->  Transpose(Relu(x), p)
    Add(Transpose(x, p), Transpose(y, p))    ->  Transpose(Add(x, y), p)
    Add(Transpose(x, p), c)                  ->  Transpose(Add(x, c'), p)   c' = c permuted back
    Transpose(Transpose(x, p), q)            ->  Transpose(x, p[q])  (x when that is identity)

so NCHW -> NHWC -> op -> NCHW layouts exported by converters collapse to the op alone:

    %t = Transpose<1>(%x, %to_nhwc) : f32[1,4,4,8]
    %r = Relu<1>(%t) : f32[1,4,4,8]
    %y = Transpose<1>(%r, %to_nchw) : f32[1,8,4,4]         ->   %y = Relu<1>(%x) : f32[1,8,4,4]

Only a Transpose with a single user moves (moving a shared one would duplicate it).
"""

from dataclasses import dataclass

import numpy as np
from vinify.ir import Graph, Node, Value, constant, make
from vinify.passes.algebraic_simplification import _merge_transposes, _transpose_identity
from vinify.passes.elementwise_ops import is_binary_elementwise, is_unary_elementwise
from vinify.passes.pass_manager import Pass, register_pass
from vinify.passes.pattern import Match, any_value, op
from vinify.passes.pattern import constant as constant_pattern
from vinify.passes.rewriter import Rewrite, apply_rewrites


def _perm(node: Node) -> np.ndarray | None:
    order = node.inputs[1]
    if order.node.op.name != "Constant":
        return None
    perm = np.asarray(order.node.attrs["value"], dtype=np.int64).reshape(-1)
    return perm if perm.size and node.outputs[0].shape.rank_is_static else None


def _rebuild(root: Node, inputs: list[Value], perm: np.ndarray) -> Value | None:
    inner = make(root.op.name, root.op.version, inputs, **root.attrs)
    outer = make("Transpose", 1, [inner, constant(perm)]).outputs[0]
    return outer if outer.type == root.outputs[0].type else None


def _sink_through_unary(match: Match) -> Value | None:
    root, transpose = match.root, match.node("t")
    perm = _perm(transpose)
    if not is_unary_elementwise(root) or perm is None:
        return None
    return _rebuild(root, [transpose.inputs[0]], perm)


def _sink_through_pair(match: Match) -> Value | None:
    root, left, right = match.root, match.node("t"), match.node("u")
    perm, other = _perm(left), _perm(right)
    if not is_binary_elementwise(root) or perm is None or other is None:
        return None
    if not np.array_equal(perm, other):
        return None
    x, y = left.inputs[0], right.inputs[0]
    if x.shape.rank != y.shape.rank:
        return None
    return _rebuild(root, [x, y], perm)


def _sink_past_constant(match: Match) -> Value | None:
    root, transpose = match.root, match.node("t")
    perm = _perm(transpose)
    if not is_binary_elementwise(root) or perm is None:
        return None
    array = match.const("c")
    if array.ndim > perm.size:
        return None
    padded = array.reshape((1,) * (perm.size - array.ndim) + array.shape)
    permuted = np.ascontiguousarray(np.transpose(padded, np.argsort(perm)))
    x = transpose.inputs[0]
    inputs = [x, constant(permuted).outputs[0]]
    if root.inputs[0] is not match["t"]:
        inputs.reverse()
    return _rebuild(root, inputs, perm)


def transpose_sinking_rewrites() -> list[Rewrite]:
    t = op("Transpose", any_value(), constant_pattern(), single_use=True, capture="t")
    u = op("Transpose", any_value(), constant_pattern(), single_use=True, capture="u")
    x = any_value("x")
    inner = op("Transpose", x, constant_pattern("inner"), single_use=True)
    return [
        Rewrite("transpose-transpose", op("Transpose", inner, constant_pattern("outer")),
                _merge_transposes),
        Rewrite("transpose-identity", op("Transpose", x, constant_pattern("perm")),
                _transpose_identity),
        Rewrite("sink-unary", op(None, t), _sink_through_unary),
        Rewrite("sink-pair", op(None, t, u), _sink_through_pair),
        Rewrite("sink-constant", op(None, t, constant_pattern("c"), commutative=True),
                _sink_past_constant),
    ]


@register_pass
@dataclass(frozen=True)
class SinkTransposes(Pass):
    name = "sink-transposes"

    def run(self, graph: Graph) -> None:
        apply_rewrites(graph, transpose_sinking_rewrites())
