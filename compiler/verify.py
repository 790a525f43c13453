"""The IR verifier: acyclic, every use defined in the graph, types agree with inference."""

from vinify.errors import VerificationError, VinifyError
from vinify.ir import Graph, Node


def verify(graph: Graph) -> Graph:
    """Checks every invariant of `graph` and its bodies; a VerificationError names the node."""
    nodes = graph.nodes()  # raises on a cycle
    parameters = {id(p) for p in graph.parameters}
    for param in graph.parameters:
        if param.op.name != "Parameter":
            raise VerificationError(f"graph '{graph.name}': {param.describe()} is listed as a "
                                    "parameter but is not a Parameter")
    for node in nodes:
        if node.op.name == "Parameter" and id(node) not in parameters:
            raise VerificationError(
                f"graph '{graph.name}': {node.describe()} is used but is not one of the graph's "
                "parameters (a dangling value)")
        _verify_node(node)
    return graph


def _verify_node(node: Node) -> None:
    for index, value in enumerate(node.inputs):
        if value.node is None or value not in value.node.outputs:
            raise VerificationError(f"{node.describe()}: input {index} has no producer")
        if (node, index) not in value.uses:
            raise VerificationError(f"{node.describe()}: input {index} is missing from its uses")
    try:
        node.op.complete_attrs(node.attrs, node.describe())
        inferred = node.infer_types()
    except VinifyError as error:
        raise VerificationError(str(error)) from None
    if len(inferred) != len(node.outputs):
        raise VerificationError(f"{node.describe()}: has {len(node.outputs)} outputs but its op "
                                f"infers {len(inferred)}")
    for index, (value, expected) in enumerate(zip(node.outputs, inferred)):
        if not value.type.compatible(expected):
            raise VerificationError(
                f"{node.describe()}: output {index} is typed {value.type} but its op infers "
                f"{expected}")
    for body in node.bodies:
        verify(body)
