"""Which ops are elementwise: shared knowledge of transpose sinking and elementwise fusion."""

from vinify.ir import Node
from vinify.ops.elementwise import BinaryElementwise, UnaryElementwise

# elementwise ops declared outside the elementwise family (activations, conversions)
UNARY_ELEMENTWISE_NAMES = frozenset({
    "Relu", "Sigmoid", "Tanh", "Clamp", "Elu", "Gelu", "HSwish", "HSigmoid", "Mish", "SoftPlus",
    "SoftSign", "Erf", "Convert", "Exp", "Log", "Sqrt", "Abs", "Negative",
})


def is_unary_elementwise(node: Node) -> bool:
    if len(node.inputs) != 1 or len(node.outputs) != 1:
        return False
    return issubclass(node.op, UnaryElementwise) or node.op.name in UNARY_ELEMENTWISE_NAMES


def is_binary_elementwise(node: Node) -> bool:
    """numpy-broadcasting binary elementwise ops (pdpd broadcasting is not elementwise-safe)."""
    if not issubclass(node.op, BinaryElementwise):
        return False
    return node.attrs.get("auto_broadcast", "numpy") in ("numpy", "none")


def is_elementwise(node: Node) -> bool:
    return is_unary_elementwise(node) or is_binary_elementwise(node)
