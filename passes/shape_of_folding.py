"""ShapeOf folding: the shape of a statically shaped value is a constant.

    %0 = ShapeOf<3>(%x) {output_type=i64} : i64[2]          (%x : f32[2,3])
  becomes
    %0 = Constant<1>() {value=tensor<i64[2]: [2, 3]>} : i64[2]

A ShapeOf of a value with any dynamic dimension stays.
"""

from dataclasses import dataclass

import numpy as np
from vinify.ir import Graph, constant
from vinify.passes.graph_edit import replace_value
from vinify.passes.pass_manager import Pass, register_pass


@register_pass
@dataclass(frozen=True)
class FoldShapeOf(Pass):
    name = "fold-shape-of"

    def run(self, graph: Graph) -> None:
        for node in graph.nodes():
            if node.op.name != "ShapeOf" or not node.inputs[0].shape.is_static:
                continue
            value = node.outputs[0]
            dims = np.array(node.inputs[0].shape.to_tuple(), dtype=value.element_type.dtype)
            replace_value(value, constant(dims, name=node.name).outputs[0], [node], set())
