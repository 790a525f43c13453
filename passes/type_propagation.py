"""Shape and type propagation: re-infers every node's output types in topological order.

After a rewrite changes a producer (a folded constant, a parameter given a static shape), the
types below it may be stale or less precise. Before / after (the parameter was made static):

    %x = Parameter<1>() {element_type=f32, shape=[2,3]} : f32[2,3]
    %0 = Relu<1>(%x) : f32[?,?]          ->      %0 = Relu<1>(%x) : f32[2,3]
"""

from dataclasses import dataclass

from vinify.ir import Graph
from vinify.passes.pass_manager import Pass, register_pass


@register_pass
@dataclass(frozen=True)
class PropagateTypes(Pass):
    name = "propagate-types"

    def run(self, graph: Graph) -> None:
        for node in graph.nodes():
            inferred = node.infer_types()
            for value, new_type in zip(node.outputs, inferred):
                value.type = new_type
