"""HETERO:A,B — one model split across devices, each node on the first device that supports it.

Assignment: a node's `rt_info["affinity"]` wins when set (it must name one of the targets);
otherwise the first target, in the order given, whose `supported_nodes` contains the node.
Constants go with the nodes that use them (copied into each part that needs them).

Split: the compute nodes, in a topological order that stays on one device as long as it can,
are cut into stages wherever the device changes; each stage becomes a subgraph whose parameters
are the values it reads from earlier stages (or the model's inputs) and whose results are the
values later stages or the model's outputs read.
Stages run in order, passing arrays between devices.
"""

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from vinify.errors import DeviceError
from vinify.runtime.device import Device, Executable
from vinify.runtime.devices.meta import MetaDevice
from vinify.runtime.devices.template import ports_of
from vinify.runtime.dynamic_shapes import compile_for_device

BOUNDARY_OPS = ("Parameter", "Result", "Constant")


def assign_devices(graph: Any, devices: Sequence[tuple[str, Device]]) -> dict[int, str]:
    """id(node) → device name for every compute node; DeviceError if some node fits none."""
    names = [name for name, _ in devices]
    supported = {name: device.supported_nodes(graph) for name, device in devices}
    assignment: dict[int, str] = {}
    homeless = []
    for node in graph.nodes():
        if node.op.name in BOUNDARY_OPS:
            continue
        affinity = node.rt_info.get("affinity")
        if affinity is not None and affinity not in names:
            raise DeviceError(f"{node.describe()} has affinity '{affinity}', which is not one "
                              f"of the HETERO devices {names}")
        chosen = affinity or next((n for n in names if id(node) in supported[n]), None)
        if chosen is None:
            homeless.append(node.describe())
            continue
        assignment[id(node)] = chosen
    if homeless:
        raise DeviceError(f"no device of {names} supports: {', '.join(homeless)}")
    return assignment


@dataclass
class Stage:
    """A run of consecutive nodes on one device, with the original values it reads and writes."""

    device: str
    nodes: list = field(default_factory=list)
    reads: list = field(default_factory=list)
    writes: list = field(default_factory=list)
    executable: Executable | None = None


def grouped_order(graph: Any, assignment: dict[int, str]) -> list:
    """The compute nodes in a topological order that stays on one device as long as it can
    (fewer device changes, so fewer stages and fewer tensors passed between devices)."""
    nodes = [n for n in graph.nodes() if id(n) in assignment]
    position = {id(n): i for i, n in enumerate(nodes)}
    waiting = {id(n): len({id(v.node) for v in n.inputs if id(v.node) in position})
               for n in nodes}
    users: dict[int, list] = {id(n): [] for n in nodes}
    for node in nodes:
        for producer in {id(v.node) for v in node.inputs if id(v.node) in position}:
            users[producer].append(node)
    ready = [n for n in nodes if waiting[id(n)] == 0]
    order, device = [], None
    while ready:
        same = [n for n in ready if assignment[id(n)] == device]
        node = min(same or ready, key=lambda n: position[id(n)])
        ready.remove(node)
        order.append(node)
        device = assignment[id(node)]
        for user in users[id(node)]:
            waiting[id(user)] -= 1
            if waiting[id(user)] == 0:
                ready.append(user)
    return order


def plan_stages(graph: Any, assignment: dict[int, str]) -> list[Stage]:
    stages: list[Stage] = []
    for node in grouped_order(graph, assignment):
        if not stages or stages[-1].device != assignment[id(node)]:
            stages.append(Stage(assignment[id(node)]))
        stages[-1].nodes.append(node)
    wanted_later = _values_read_outside(graph, stages)
    for stage in stages:
        inside = {id(node) for node in stage.nodes}
        reads = {}
        for node in stage.nodes:
            for value in node.inputs:
                if id(value.node) not in inside and not _known_at_compile_time(value):
                    reads.setdefault(id(value), value)
        stage.reads = list(reads.values())
        stage.writes = [v for node in stage.nodes for v in node.outputs
                        if id(v) in wanted_later[id(stage)]]
    return stages


def _known_at_compile_time(value: Any) -> bool:
    """Constants and small constant subgraphs (shape arithmetic): each stage that reads one gets
    it as a Constant, so shapes stay static inside the stage instead of becoming inputs."""
    from vinify.ir import constant_value

    return value.node.op.name == "Constant" or constant_value(value) is not None


def _values_read_outside(graph: Any, stages: list[Stage]) -> dict[int, set[int]]:
    """For each stage, the ids of its values that another stage or a model output reads."""
    owner = {id(node): id(stage) for stage in stages for node in stage.nodes}
    wanted: dict[int, set[int]] = {id(stage): set() for stage in stages}
    for stage in stages:
        for node in stage.nodes:
            for value in node.inputs:
                producer = owner.get(id(value.node))
                if producer is not None and producer != id(stage):
                    wanted[producer].add(id(value))
    for value in graph.outputs:
        producer = owner.get(id(value.node))
        if producer is not None:
            wanted[producer].add(id(value))
    return wanted


def stage_graph(stage: Stage, index: int) -> Any:
    """The stage as a standalone graph (constants copied in, boundary values as parameters)."""
    from vinify.ir import Graph, Node, constant, constant_value, parameter

    mapping: dict[int, Any] = {}
    parameters = []
    for position, value in enumerate(stage.reads):
        name = value.name or f"hetero_{index}_in{position}"
        node = parameter(name, value.element_type, value.shape)
        parameters.append(node)
        mapping[id(value)] = node.outputs[0]
    for node in stage.nodes:
        for value in node.inputs:
            if id(value) not in mapping:  # known at compile time: a constant in this stage
                mapping[id(value)] = constant(constant_value(value),
                                              name=value.node.name).outputs[0]
        copy = Node(node.op, [mapping[id(v)] for v in node.inputs], dict(node.attrs),
                    name=node.name, output_names=[v.name for v in node.outputs],
                    bodies=node.bodies)
        copy.rt_info.update(node.rt_info)
        for old, new in zip(node.outputs, copy.outputs):
            mapping[id(old)] = new
    return Graph(parameters, [mapping[id(v)] for v in stage.writes],
                 name=f"hetero_stage{index}_{stage.device}")


class HeteroExecutable(Executable):
    def __init__(self, graph: Any, stages: list[Stage]):
        self.graph = graph
        self.stages = stages
        self.inputs = ports_of(graph.inputs)
        self.outputs = ports_of(graph.outputs)
        self._constants = {id(v): v.node.attrs["value"] for v in graph.outputs
                           if v.node.op.name == "Constant"}

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self._run(inputs, None)

    def run_profiled(self, inputs: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list]:
        records: list = []
        return self._run(inputs, records), records

    def _run(self, inputs: Sequence[np.ndarray], records: list | None) -> list[np.ndarray]:
        values: dict[int, np.ndarray] = dict(self._constants)
        for value, array in zip(self.graph.inputs, inputs):
            values[id(value)] = array
        for stage in self.stages:
            arguments = [values[id(v)] for v in stage.reads]
            if records is None:
                outputs = stage.executable.run(arguments)
            else:
                outputs, stage_records = stage.executable.run_profiled(arguments)
                records.extend(_on_device(stage.device, stage_records))
            for value, array in zip(stage.writes, outputs):
                values[id(value)] = array
        return [values[id(v)] for v in self.graph.outputs]

    def execution_devices(self) -> list[str]:
        return list(dict.fromkeys(stage.device for stage in self.stages))


def _on_device(device: str, records: list) -> list:
    from dataclasses import replace

    return [replace(r, exec_type=f"{device}:{r.exec_type}") for r in records]


class HeteroDevice(MetaDevice):
    """Built per name (`HETERO:GPU,CPU`) by the registry, around the target devices."""

    name = "HETERO"

    def full_name(self) -> str:
        return f"HETERO ({', '.join(self.targets)})"

    def supported_nodes(self, graph: Any) -> set[int]:
        found: set[int] = set()
        for target in self.targets:
            found |= self.registry.get(target).supported_nodes(graph)
        return found

    def compile(self, graph: Any, config: dict[str, Any]) -> Executable:
        devices = [(name, self.registry.get(name)) for name in self.targets]
        stages = plan_stages(graph, assign_devices(graph, devices))
        by_name = dict(devices)
        for index, stage in enumerate(stages):
            subgraph = stage_graph(stage, index)
            stage.executable = compile_for_device(by_name[stage.device], subgraph,
                                                  self.config_for(stage.device, config))
        return HeteroExecutable(graph, stages)
