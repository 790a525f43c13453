"""Dead code elimination: detaches nodes that no graph result depends on.

A graph is what its results reach, so dead nodes never print; but they would still be listed in
their producers' `Value.uses`, and fusions decide "this value has one user" from those lists.
Before (the Sigmoid is dead) / after: `%x` has one use instead of two.

    %0 = Relu<1>(%x) : f32[4]
    %1 = Sigmoid<1>(%x) : f32[4]
    Result<1>(%0)
"""

from dataclasses import dataclass

from vinify.ir import Graph
from vinify.passes.graph_edit import detach_dead_users
from vinify.passes.pass_manager import Pass, register_pass


@register_pass
@dataclass(frozen=True)
class EliminateDeadCode(Pass):
    name = "eliminate-dead-code"

    def run(self, graph: Graph) -> None:
        detach_dead_users(graph)
