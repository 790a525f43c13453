"""Sequence and optional ports on devices that compile tensors only (CPU, GPU).

A sequence input arrives as a 1-D object array (or a list) of arrays, an optional as one of
zero or one; outputs leave the same way, as TEMPLATE returns them. The device never sees them:
for each new input structure (tensor shapes, and for a container the structures of its items:
its "shape" is the tuple of its items' shapes) the graph is unrolled into a tensor-only graph
(vinify.codegen.lowering.sequences) that is compiled like any other, once, and kept in an LRU.
Positions, trip counts and conditions read from small tensor inputs make those inputs part of
the key (their values are compiled in), as the per-shape cache does for shape-deciding inputs.
"""

import threading
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np
from vinify.runtime.device import Device, Executable

CONTAINER_KINDS = ("sequence", "optional")


def structure_of(array: Any, container: bool) -> tuple:
    """("tensor", shape, dtype) or ("items", (item structures...)): what a compile depends on."""
    if not container or not _is_container(array):
        array = np.asarray(array)
        return ("tensor", tuple(array.shape), array.dtype.str)
    items = [] if array is None else list(array)
    return ("items", tuple(structure_of(x, _is_container(x)) for x in items))


def _is_container(item: Any) -> bool:
    if isinstance(item, (list, tuple)) or item is None:
        return True
    return isinstance(item, np.ndarray) and item.dtype == object and item.ndim == 1 and \
        all(isinstance(x, np.ndarray) or x is None for x in item)


def has_containers(graph: Any) -> bool:
    """Whether a value of the graph or of one of its bodies is a sequence or an optional."""
    for node in graph.nodes():
        if any(v.element_type.kind in CONTAINER_KINDS for v in node.outputs):
            return True
        if any(has_containers(body) for body in node.bodies):
            return True
    return False


def assemble(layout: Any, arrays: Sequence[np.ndarray]) -> Any:
    """An output as TEMPLATE returns it from its layout (an int: flat output `arrays[layout]`;
    (kind, [item layouts]): a 1-D object array of the items)."""
    if isinstance(layout, int):
        return arrays[layout]
    items = layout[1]
    result = np.empty(len(items), dtype=object)
    for index, item in enumerate(items):
        result[index] = assemble(item, arrays)
    return result


def _item_at(inputs: Sequence[Any], path: tuple[int, ...]) -> np.ndarray:
    item = inputs[path[0]]
    for position in path[1:]:
        item = item[position]
    return item


class _Compiled:
    def __init__(self, model: Any, executable: Executable | None):
        self.model = model
        self.executable = executable


class SequenceExecutable(Executable):
    def __init__(self, device: Device, graph: Any, config: dict[str, Any], capacity: int):
        from vinify.runtime.devices.template import ports_of

        self.device = device
        self.graph = graph
        self.config = dict(config)
        self.capacity = max(1, capacity)
        self.inputs = ports_of(graph.inputs)
        self.outputs = ports_of(graph.outputs)
        self.compiles = 0
        self._containers = [p.element_type.kind in CONTAINER_KINDS for p in self.inputs]
        self._cache: OrderedDict[tuple, _Compiled] = OrderedDict()
        self._value_inputs: dict[tuple, frozenset[int]] = {}  # structures -> inputs by value
        self._lock = threading.Lock()
        self._compile_fixed_structure()

    def _compile_fixed_structure(self) -> None:
        """Compiles now when every input is a tensor of static shape (only the graph's inside
        holds containers): there is one structure, and its errors belong to compile time."""
        if any(self._containers) or not all(p.shape.is_static for p in self.inputs):
            return
        if any(p.element_type.dtype is None for p in self.inputs):
            return
        structures = tuple(("tensor", p.shape.to_tuple(), p.element_type.dtype.str)
                           for p in self.inputs)
        compiled = self._compile(structures, {})
        if compiled is not None:  # else it needs input values: compiled at the first run
            self._cache[(structures, ())] = compiled

    def _for_inputs(self, inputs: Sequence[Any]) -> _Compiled:
        structures = tuple(structure_of(x, c) for x, c in zip(inputs, self._containers))
        with self._lock:
            while True:
                by_value = sorted(self._value_inputs.get(structures, ()))
                key = (structures, tuple(np.ascontiguousarray(inputs[i]).tobytes()
                                         for i in by_value))
                found = self._cache.get(key)
                if found is not None:
                    self._cache.move_to_end(key)
                    return found
                compiled = self._compile(structures, {i: np.asarray(inputs[i])
                                                      for i in by_value})
                if compiled is not None:
                    break
            self._cache[key] = compiled
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
            return compiled

    def _compile(self, structures: tuple, values: dict[int, np.ndarray]) -> _Compiled | None:
        """The compiled copy, or None when it needs more inputs' values (now recorded)."""
        from vinify.codegen.lowering.sequences import NeedsValues, unroll_sequences
        from vinify.errors import InferenceError, TypeInferenceError, UnsupportedOpError
        from vinify.runtime.dynamic_shapes import compile_for_device

        try:
            model = unroll_sequences(self.graph, structures, values)
        except NeedsValues as needs:
            wanted = needs.indices | frozenset(values)
            bad = [i for i in needs.indices if self._containers[i]]
            if wanted == frozenset(values) or bad:
                raise UnsupportedOpError(f"{self.device.name}: {needs}") from None
            self._value_inputs[structures] = wanted
            return None
        except TypeInferenceError as error:
            raise InferenceError(f"{self.device.name}: these sequence and optional inputs give "
                                 f"no valid shapes: {error}") from None
        self.compiles += 1
        executable = None
        if model.graph is not None:
            executable = compile_for_device(self.device, model.graph, self.config)
        return _Compiled(model, executable)

    def run(self, inputs: Sequence[Any]) -> list[Any]:
        compiled = self._for_inputs(inputs)
        arrays: list[np.ndarray] = []
        if compiled.executable is not None:
            flat = [np.asarray(_item_at(inputs, path)) for path in compiled.model.inputs]
            arrays = compiled.executable.run(flat)
        return [assemble(layout, arrays) for layout in compiled.model.outputs]

    def execution_devices(self) -> list[str]:
        return [self.device.name]

    def export(self) -> bytes:
        from vinify.errors import DeviceError

        raise DeviceError(f"{self.device.name} compiles this model once per structure of its "
                          "sequence and optional inputs, so there is no single blob")


def compile_with_sequences(device: Device, graph: Any, config: dict[str, Any]) -> Executable:
    capacity = int(config.get("DYNAMIC_SHAPE_CACHE_SIZE", 8))
    return SequenceExecutable(device, graph, config, capacity)
