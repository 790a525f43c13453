"""ShapeOf folding: the shape of a statically shaped value is a constant, and so are the static
dimensions a Gather picks out of a partly dynamic shape.

    %0 = ShapeOf<3>(%x) {output_type=i64} : i64[2]          (%x : f32[2,3])
  becomes
    %0 = Constant<1>() {value=tensor<i64[2]: [2, 3]>} : i64[2]

    %s = ShapeOf<3>(%z) : i64[3]                            (%z : f32[?,3,4])
    %d = Gather<8>(%s, [1, 2], 0) : i64[2]
  becomes
    %d = Constant<1>() {value=tensor<i64[2]: [3, 4]>} : i64[2]

A ShapeOf whose dynamic dimensions are needed stays.
"""

from dataclasses import dataclass

import numpy as np
from vinify.ir import Graph, Node, constant
from vinify.passes.graph_edit import replace_value
from vinify.passes.pass_manager import Pass, register_pass


@register_pass
@dataclass(frozen=True)
class FoldShapeOf(Pass):
    name = "fold-shape-of"

    def run(self, graph: Graph) -> None:
        for node in graph.nodes():
            if node.op.name == "ShapeOf" and node.inputs[0].shape.is_static:
                value = node.outputs[0]
                dims = np.array(node.inputs[0].shape.to_tuple(), dtype=value.element_type.dtype)
                replace_value(value, constant(dims, name=node.name).outputs[0], [node], set())
            elif node.op.name == "Gather" and node.inputs[0].node.op.name == "ShapeOf":
                _fold_static_dims(node)


def _constant_ints(node: Node, index: int) -> np.ndarray | None:
    producer = node.inputs[index].node
    if producer.op.name != "Constant":
        return None
    return np.asarray(producer.attrs["value"]).astype(np.int64)


def _fold_static_dims(gather: Node) -> None:
    shape_of = gather.inputs[0].node
    shape = shape_of.inputs[0].shape
    indices, axis = _constant_ints(gather, 1), _constant_ints(gather, 2)
    if indices is None or axis is None or not shape.rank_is_static or axis.size != 1:
        return
    if gather.attrs.get("batch_dims", 0) != 0 or int(axis.reshape(-1)[0]) not in (0, -1):
        return
    rank = shape.rank
    if np.any(indices < -rank) or np.any(indices >= rank):
        return
    picked = [shape[int(i) % rank] for i in indices.reshape(-1)]
    if not all(dim.is_static for dim in picked):
        return
    value = gather.outputs[0]
    dims = np.array([dim.get_length() for dim in picked], dtype=value.element_type.dtype)
    folded = constant(dims.reshape(indices.shape), name=gather.name)
    replace_value(value, folded.outputs[0], [gather, shape_of], set())
