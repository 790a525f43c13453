"""TEMPLATE: the reference device. Runs a graph node by node with the ops' numpy references.

It is the oracle of vinify: every other device is checked against it. It is also the template a
new device copies: a Device that compiles a graph into an Executable. It runs dynamic shapes
directly, times each node when ENABLE_PROFILING is set, and exports its "blob" as the model's
text form (importing one therefore needs the compiler side).
"""

from typing import Any, Sequence

import numpy as np
from vinify.runtime.device import Device, Executable, Port
from vinify.runtime.profiling import LayerTimer, ProfilingInfo

BLOB_MAGIC = b"VINIFY-TEMPLATE-TEXT 1\n"


def ports_of(values: Sequence[Any]) -> list[Port]:
    """Ports for graph input/output values (named by tensor name, else by producer name)."""
    ports = []
    for index, value in enumerate(values):
        name = value.name or value.node.name or f"{'port'}_{index}"
        ports.append(Port(index, name, value.element_type, value.shape, frozenset([name])))
    return ports


class TemplateExecutable(Executable):
    def __init__(self, graph: Any, config: dict[str, Any] | None = None):
        self.graph = graph
        self.config = dict(config or {})
        self.order = [n for n in graph.nodes() if n.op.name != "Parameter"]
        self.inputs = ports_of(graph.inputs)
        self.outputs = ports_of(graph.outputs)

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return evaluate_graph(self.graph, inputs, self.order)

    def run_profiled(self, inputs: Sequence[np.ndarray]
                     ) -> tuple[list[np.ndarray], list[ProfilingInfo]]:
        if not self.config.get("ENABLE_PROFILING", False):
            return Executable.run_profiled(self, inputs)
        records: list[ProfilingInfo] = []
        outputs = _evaluate(self.graph, inputs, self.order, records)
        return outputs, records

    def export(self) -> bytes:
        from vinify.text import print_graph

        return BLOB_MAGIC + print_graph(self.graph, inline_limit=None).encode()

    def execution_devices(self) -> list[str]:
        return ["TEMPLATE"]


def evaluate_graph(graph: Any, inputs: Sequence[np.ndarray], order: list | None = None
                   ) -> list[np.ndarray]:
    """The graph's outputs for concrete inputs, computed with each op's numpy reference."""
    order = order if order is not None else [n for n in graph.nodes() if n.op.name != "Parameter"]
    return _evaluate(graph, inputs, order, None)


def _evaluate(graph: Any, inputs: Sequence[np.ndarray], order: list,
              records: list[ProfilingInfo] | None) -> list[np.ndarray]:
    """The interpreter loop; appends one ProfilingInfo per node when `records` is a list."""
    values: dict[int, np.ndarray] = {}
    for parameter, array in zip(graph.parameters, inputs):
        values[id(parameter.outputs[0])] = array
    for node in order:
        timer = LayerTimer() if records is not None else None
        outputs = _evaluate_node(node, [values[id(v)] for v in node.inputs])
        for value, array in zip(node.outputs, outputs):
            values[id(value)] = array
        if timer is not None:
            name = node.name or node.outputs[0].name or node.op.key()
            records.append(timer.record(name, node.op.name, f"ref_{node.op.key()}"))
    return [values[id(v)] for v in graph.outputs]


def _evaluate_node(node: Any, arguments: list[np.ndarray]) -> list[np.ndarray]:
    from vinify.errors import InferenceError, VinifyError

    try:
        return node.evaluate(arguments)
    except VinifyError:
        raise
    except Exception as error:  # a reference failing on these inputs names the node
        raise InferenceError(f"{node.describe()} failed: {type(error).__name__}: {error}"
                             ) from error


class TemplateDevice(Device):
    name = "TEMPLATE"
    compiles_fast = True

    def full_name(self) -> str:
        return "TEMPLATE (numpy reference interpreter)"

    def compile(self, graph: Any, config: dict[str, Any]) -> Executable:
        from vinify.verify import verify

        verify(graph)
        return TemplateExecutable(graph, config)

    def import_model(self, blob: bytes, config: dict[str, Any]) -> Executable:
        from vinify.errors import BlobError, VinifyError

        if not blob.startswith(BLOB_MAGIC):
            raise BlobError(f"not a TEMPLATE blob: the first {len(BLOB_MAGIC)} bytes are "
                            f"{bytes(blob[:len(BLOB_MAGIC)])!r}, expected {BLOB_MAGIC!r}")
        try:
            text = bytes(blob[len(BLOB_MAGIC):]).decode()
            from vinify.text import parse

            graph = parse(text)
        except (UnicodeDecodeError, VinifyError) as error:
            raise BlobError(f"TEMPLATE blob at offset {len(BLOB_MAGIC)}: {error}") from error
        return self.compile(graph, config)
