"""MVN recognition: a decomposed mean-variance normalization (LayerNorm's core) becomes MVN<6>.

    d = x - ReduceMean(x, axes)                         (keep_dims=true)
    y = d / Sqrt(ReduceMean(d * d, axes) + eps)         ->  MVN<6>(x, axes) eps_mode=inside_sqrt
    y = d / (Sqrt(ReduceMean(d * d, axes)) + eps)       ->  MVN<6>(x, axes) eps_mode=outside_sqrt

with d * d also written Power(d, 2) or SquaredDifference(x, mean), and the division also written
d * Power(var + eps, -0.5). LayerNorm's scale and shift
stay as the Multiply / Add after it. E.g.

    %m = ReduceMean<1>(%x, %axes) {keep_dims=true} : f32[2,8]   ...   %y = Divide<1>(%d, %s)
  becomes
    %y = MVN<6>(%x, %axes) {normalize_variance=true, eps=1e-05, eps_mode="inside_sqrt"}
"""

from dataclasses import dataclass

import numpy as np
from vinify.ir import Graph, Value, constant, make
from vinify.passes.graph_edit import float_attribute
from vinify.passes.pass_manager import Pass, register_pass
from vinify.passes.pattern import Match, all_close_to, any_value, either, op
from vinify.passes.pattern import constant as constant_pattern
from vinify.passes.rewriter import Rewrite, apply_rewrites


def _scalar(array: np.ndarray) -> bool:
    return array.size == 1 and array.dtype.kind == "f"


def mvn_pattern():
    x = any_value("x")
    mean = op("ReduceMean", x, constant_pattern("axes"), keep_dims=True, capture="mean")
    centered = op("Subtract", x, mean, capture="d")
    square = either(op("Power", centered, constant_pattern(where=all_close_to(2.0, 0.0))),
                    op("Multiply", centered, centered),
                    op("SquaredDifference", x, mean, commutative=True))
    variance = op("ReduceMean", square, constant_pattern("var_axes"), keep_dims=True)
    inside = op("Sqrt", op("Add", variance, constant_pattern("eps_inside", _scalar),
                           commutative=True))
    outside = op("Add", op("Sqrt", variance), constant_pattern("eps_outside", _scalar),
                 commutative=True)
    inverse = op("Power", op("Add", variance, constant_pattern("eps_inside", _scalar),
                             commutative=True), constant_pattern(where=all_close_to(-0.5, 0.0)))
    return either(op("Divide", centered, either(inside, outside)),
                  op("Multiply", centered, inverse, commutative=True))


def _axes(array: np.ndarray, rank: int) -> list[int]:
    return sorted(int(a) % rank for a in np.asarray(array).reshape(-1))


def _mvn(match: Match) -> Value | None:
    x = match["x"]
    if not x.shape.rank_is_static or not x.element_type.is_float:
        return None
    axes = _axes(match.const("axes"), x.shape.rank)
    if axes != _axes(match.const("var_axes"), x.shape.rank):
        return None
    inside = "eps_inside" in match.constants
    eps = match.const("eps_inside" if inside else "eps_outside")
    new = make("MVN", 6, [x, constant(np.array(axes, dtype=np.int64))], normalize_variance=True,
               eps=float_attribute(eps),
               eps_mode="inside_sqrt" if inside else "outside_sqrt")
    return new.outputs[0] if new.outputs[0].type == match.root.outputs[0].type else None


@register_pass
@dataclass(frozen=True)
class RecognizeMvn(Pass):
    name = "recognize-mvn"

    def run(self, graph: Graph) -> None:
        apply_rewrites(graph, [Rewrite("mvn", mvn_pattern(), _mvn)])
