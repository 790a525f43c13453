"""TEMPLATE: the reference device. Runs a graph node by node with the ops' numpy references.

It is the oracle of vinify: every other device is checked against it. It is also the template a
new device copies: a Device that compiles a graph into an Executable.
"""

from typing import Any, Sequence

import numpy as np

from vinify.runtime.device import Device, Executable, Port


def ports_of(values: Sequence[Any]) -> list[Port]:
    """Ports for graph input/output values (named by tensor name, else by producer name)."""
    ports = []
    for index, value in enumerate(values):
        name = value.name or value.node.name or f"{'port'}_{index}"
        ports.append(Port(index, name, value.element_type, value.shape, frozenset([name])))
    return ports


class TemplateExecutable(Executable):
    def __init__(self, graph: Any):
        self.graph = graph
        self.order = [n for n in graph.nodes() if n.op.name != "Parameter"]
        self.inputs = ports_of(graph.inputs)
        self.outputs = ports_of(graph.outputs)

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return evaluate_graph(self.graph, inputs, self.order)


def evaluate_graph(graph: Any, inputs: Sequence[np.ndarray], order: list | None = None
                   ) -> list[np.ndarray]:
    """The graph's outputs for concrete inputs, computed with each op's numpy reference."""
    from vinify.errors import InferenceError, VinifyError

    values: dict[int, np.ndarray] = {}
    for parameter, array in zip(graph.parameters, inputs):
        values[id(parameter.outputs[0])] = array
    order = order if order is not None else [n for n in graph.nodes() if n.op.name != "Parameter"]
    for node in order:
        arguments = [values[id(v)] for v in node.inputs]
        try:
            outputs = node.evaluate(arguments)
        except VinifyError:
            raise
        except Exception as error:  # a reference failing on these inputs names the node
            raise InferenceError(f"{node.describe()} failed: {type(error).__name__}: {error}"
                                 ) from error
        for value, array in zip(node.outputs, outputs):
            values[id(value)] = array
    return [values[id(v)] for v in graph.outputs]


class TemplateDevice(Device):
    name = "TEMPLATE"

    def full_name(self) -> str:
        return "TEMPLATE (numpy reference interpreter)"

    def compile(self, graph: Any, config: dict[str, Any]) -> Executable:
        from vinify.verify import verify

        verify(graph)
        return TemplateExecutable(graph)
