"""The generic text form of graphs: `print_graph` and `parse` (a lark grammar)."""

from vinify.text.parser import parse
from vinify.text.printer import print_graph, tensor_digest

__all__ = ["parse", "print_graph", "tensor_digest"]
