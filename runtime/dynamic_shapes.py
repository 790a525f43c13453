"""Dynamic shapes on devices that compile only static shapes: one compile per input shape, and
per value of the small inputs that decide shapes.

`PerShapeExecutable` keeps the dynamic model and, for each new combination of input shapes,
compiles a static copy (vinify.reshape) on the device, keeping the most recently used
`capacity` of them (an LRU). When shapes inside the graph depend on input VALUES (ReduceSum with
`axes` given as an input, Slice starts, a Reshape target, Range bounds), those inputs are
treated as compile-time constants, as XLA does: the copy reads them as constants
(vinify.specialize) and the cache key holds their values too. The inputs stay inputs; the
compiled copy ignores them. TEMPLATE does not need this: it runs dynamic shapes directly.
"""

import threading
from collections import OrderedDict
from typing import Any, Sequence

import numpy as np
from vinify.runtime.device import Device, Executable, Port


class PerShapeExecutable(Executable):
    def __init__(self, device: Device, graph: Any, config: dict[str, Any], capacity: int,
                 inputs: Sequence[Port], outputs: Sequence[Port]):
        self.device = device
        self.graph = graph
        self.config = dict(config)
        self.capacity = max(1, capacity)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.compiles = 0  # how many static copies were compiled (tests and benchmarks read it)
        # key: (input shapes, (bytes of each value-specialized input, ...))
        self._cache: OrderedDict[tuple, Executable] = OrderedDict()
        # input shapes -> indices of the inputs whose values decide shapes at those shapes
        self._plans: OrderedDict[tuple, tuple[int, ...]] = OrderedDict()
        self._fresh_copy: tuple | None = None  # (shapes, reshaped graph) the plan was made on
        self._lock = threading.Lock()

    def for_inputs(self, inputs: Sequence[np.ndarray]) -> Executable:
        """The executable compiled for these inputs' shapes (and deciding values), compiling it
        on first use."""
        shapes = tuple(tuple(a.shape) for a in inputs)
        with self._lock:
            by_value = self._value_inputs(shapes)
            key = (shapes, tuple(np.ascontiguousarray(inputs[i]).tobytes() for i in by_value))
            executable = self._cache.get(key)
            if executable is not None:
                self._cache.move_to_end(key)
                self._fresh_copy = None
                return executable
            executable = self._compile(shapes, {i: np.array(inputs[i]) for i in by_value})
            self.compiles += 1
            self._cache[key] = executable
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)
            return executable

    def _value_inputs(self, shapes: tuple) -> tuple[int, ...]:
        """Indices of the inputs compiled by value at these shapes (found once per shapes)."""
        found = self._plans.get(shapes)
        if found is None:
            from vinify.reshape import reshaped  # compiling needs the compiler side anyway
            from vinify.specialize import plan_specialization

            copy = reshaped(self.graph, list(shapes))
            found = tuple(plan_specialization(copy).parameters)
            self._plans[shapes] = found
            self._fresh_copy = (shapes, copy)  # the compile that follows starts from it
        self._plans.move_to_end(shapes)
        while len(self._plans) > self.capacity:
            self._plans.popitem(last=False)
        return found

    def _static_copy(self, shapes: tuple) -> Any:
        """A copy of the graph reshaped to `shapes` that nobody else holds."""
        fresh, self._fresh_copy = self._fresh_copy, None
        if fresh is not None and fresh[0] == shapes:
            return fresh[1]
        from vinify.reshape import reshaped

        return reshaped(self.graph, list(shapes))

    def _compile(self, shapes: tuple, values: dict[int, np.ndarray]) -> Executable:
        from vinify.errors import InferenceError, TypeInferenceError
        from vinify.specialize import substitute_values

        copy = self._static_copy(shapes)
        if not values:
            return self.device.compile(copy, self.config)
        try:
            static = substitute_values(copy, values)
        except TypeInferenceError as error:
            names = ", ".join(f"'{self.inputs[i].name}'={values[i].tolist()}" for i in values)
            raise InferenceError(f"{self.device.name}: the input values {names} give no valid "
                                 f"shapes: {error}") from None
        return self.device.compile(static, self.config)

    @property
    def cached_shapes(self) -> list[tuple]:
        """The input shapes of the cached copies, least recently used first."""
        with self._lock:
            return [shapes for shapes, _ in self._cache]

    @property
    def cached_keys(self) -> list[tuple]:
        """(input shapes, values of the value-specialized inputs) of the cached copies."""
        with self._lock:
            return list(self._cache)

    def run(self, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self.for_inputs(inputs).run(inputs)

    def run_profiled(self, inputs: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list]:
        return self.for_inputs(inputs).run_profiled(inputs)

    def execution_devices(self) -> list[str]:
        return [self.device.name]

    def export(self) -> bytes:
        from vinify.errors import DeviceError

        raise DeviceError(f"{self.device.name} compiles this model once per input shape (and "
                          "per value of the inputs that decide shapes), so there is no single "
                          "blob: reshape it to static shapes first")


def has_dynamic_inputs(graph: Any) -> bool:
    return any(not value.shape.is_static for value in graph.inputs)


def has_dynamic_shapes(graph: Any) -> bool:
    """Whether any value of the graph (inputs included) has a shape that is not static."""
    return any(not value.shape.is_static for node in graph.nodes() for value in node.outputs)


def compiles_per_shape(device: Device, graph: Any) -> bool:
    """Whether `device` compiles `graph` on demand (per input shape and deciding values)
    rather than once: it needs static shapes and the graph's inputs are dynamic, or its inner
    shapes depend on small input values. A graph whose shapes depend on computed data
    (NonZero, NMS counts) is compiled once, so the device refuses it at compile time."""
    if not device.needs_static_shapes:
        return False
    from vinify.runtime.sequence_values import has_containers

    if has_containers(graph):  # compiled per structure of its sequence/optional inputs
        return True
    if not has_dynamic_shapes(graph):
        return False
    if has_dynamic_inputs(graph):
        return True
    from vinify.specialize import plan_specialization  # graph shapes depend on values: compiler

    plan = plan_specialization(graph)
    return bool(plan.parameters) and not plan.blockers


def fails_for_any_values(device: Device, graph: Any) -> bool:
    """Whether `device` cannot compile a node that no input value changes (an op it lacks on a
    static branch): compiling per value would only defer that error to the first inference."""
    from vinify.specialize import plan_specialization, value_independent_nodes

    supported = device.supported_nodes(graph)
    parameters = plan_specialization(graph).parameters
    return any(id(node) not in supported for node in value_independent_nodes(graph, parameters))


def compile_for_device(device: Device, graph: Any, config: dict[str, Any]) -> Executable:
    """device.compile, or a per-shape executable when the device needs static shapes."""
    if not compiles_per_shape(device, graph):
        return device.compile(graph, config)
    from vinify.runtime.sequence_values import compile_with_sequences, has_containers

    if has_containers(graph):
        return compile_with_sequences(device, graph, config)
    if not has_dynamic_inputs(graph) and fails_for_any_values(device, graph):
        return device.compile(graph, config)  # refuses now, naming every node it cannot compile
    from vinify.runtime.devices.template import ports_of

    capacity = int(config.get("DYNAMIC_SHAPE_CACHE_SIZE", 8))
    return PerShapeExecutable(device, graph, config, capacity, ports_of(graph.inputs),
                              ports_of(graph.outputs))
