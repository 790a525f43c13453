"""Constant folding: a node whose inputs are all constants becomes a Constant.

The value comes from the op's numpy reference (`Node.evaluate`), so folding can never disagree
with the TEMPLATE device. Outputs above `max_elements` stay unfolded (folding would only trade
compute for memory), except a Broadcast of a single value (ONNX ConstantOfShape weight
generators), which folds to a zero-stride view that costs no memory. Weight decompression
Converts (rt_info "decompression", see compress-weights-fp16) are kept on purpose.

    %0 = Constant<1>() {value=tensor<f32[2]: [1.0, 2.0]>} : f32[2]
    %1 = Constant<1>() {value=tensor<f32[2]: [3.0, 4.0]>} : f32[2]
    %2 = Add<1>(%0, %1) : f32[2]
  becomes
    %2 = Constant<1>() {value=tensor<f32[2]: [4.0, 6.0]>} : f32[2]
"""

from dataclasses import dataclass

import numpy as np
from vinify.ir import Graph, Node, constant
from vinify.passes.graph_edit import replace_value
from vinify.passes.pass_manager import Pass, register_pass

NEVER_FOLDED = frozenset({"Parameter", "Result", "Constant", "RandomUniform", "ReadValue",
                          "Assign"})
DECOMPRESSION = "decompression"


@register_pass
@dataclass(frozen=True)
class FoldConstants(Pass):
    name = "fold-constants"
    max_elements: int = 1 << 22

    def run(self, graph: Graph) -> None:
        for node in graph.nodes():
            if not self._foldable(node):
                continue
            arrays = self._evaluate(node)
            if arrays is None:
                continue
            for value, array in zip(node.outputs, arrays):
                folded = constant(array, name=node.name)
                replace_value(value, folded.outputs[0], [node], existing=set())

    def _foldable(self, node: Node) -> bool:
        if node.op.name in NEVER_FOLDED or node.bodies or node.rt_info.get(DECOMPRESSION):
            return False
        return all(value.node.op.name == "Constant" for value in node.inputs)

    def _evaluate(self, node: Node) -> list[np.ndarray] | None:
        inputs = [value.node.attrs["value"] for value in node.inputs]
        if any(not value.shape.is_static for value in node.outputs):
            return None
        sizes = [int(np.prod(value.shape.to_tuple())) for value in node.outputs]
        if max(sizes, default=0) > self.max_elements:
            return _splat(node, inputs)
        try:
            return node.evaluate(inputs)
        except Exception:  # a reference that rejects these values: leave it to run time
            return None


def _splat(node: Node, inputs: list[np.ndarray]) -> list[np.ndarray] | None:
    """A large Broadcast of one value, as a read-only zero-stride view (no memory used)."""
    if node.op.name != "Broadcast" or inputs[0].size != 1:
        return None
    value = node.outputs[0]
    single = np.asarray(inputs[0], dtype=value.element_type.dtype).reshape(())
    return [np.broadcast_to(single, value.shape.to_tuple())]
