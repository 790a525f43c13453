"""Devices and models the runtime tests use: each toy device changes one thing about TEMPLATE."""

import threading
import time

import numpy as np
from vinify.errors import DeviceError, InferenceError
from vinify.ir import Graph, constant, make, parameter
from vinify.runtime.devices.template import TemplateDevice, TemplateExecutable


def two_input_model(dims=(2, 3)) -> Graph:
    """y = relu(a * b + 1) - a, z = sigmoid(b): elementwise ops with two outputs."""
    a = parameter("a", "f32", dims)
    b = parameter("b", "f32", dims)
    product = make("Multiply", 1, [a, b], name="mul")
    shifted = make("Add", 1, [product, constant(np.float32(1.0))], name="add")
    rectified = make("Relu", 1, [shifted], name="relu")
    y = make("Subtract", 1, [rectified, a], name="sub")
    z = make("Sigmoid", 1, [b], name="sigmoid")
    y.outputs[0].name, z.outputs[0].name = "y", "z"
    return Graph([a, b], [y, z], name="two_inputs")


def expected_two_input(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.maximum(a * b + 1, 0) - a, 1 / (1 + np.exp(-b))


class AddOnlyDevice(TemplateDevice):
    """Runs only Add and Subtract (HETERO must put the other ops elsewhere)."""

    name = "ADDONLY"
    OPS = {"Add", "Subtract"}

    def supported_nodes(self, graph):
        return {id(n) for n in graph.nodes()
                if n.op.name in self.OPS | {"Parameter", "Constant", "Result"}}

    def compile(self, graph, config):
        foreign = [n.describe() for n in graph.nodes() if id(n) not in self.supported_nodes(graph)]
        if foreign:
            raise DeviceError(f"ADDONLY cannot run {foreign}")
        return super().compile(graph, config)


class StaticShapeDevice(TemplateDevice):
    """Compiles static shapes only and counts its compiles."""

    name = "STATIC"
    needs_static_shapes = True

    def __init__(self):
        self.compiled_shapes = []

    def compile(self, graph, config):
        shapes = [value.shape for value in graph.inputs]
        if not all(shape.is_static for shape in shapes):
            raise DeviceError(f"STATIC got dynamic shapes {shapes}")
        self.compiled_shapes.append(tuple(s.to_tuple() for s in shapes))
        return super().compile(graph, config)


class SlowExecutable(TemplateExecutable):
    """Sleeps before each inference (time for a second thread to collide with it)."""

    delay = 0.2

    def run(self, inputs):
        time.sleep(self.delay)
        return super().run(inputs)


class SlowDevice(TemplateDevice):
    """Slow to compile (AUTO's start-up fallback) and slow to run (busy, wait_for)."""

    name = "SLOW"
    compiles_fast = False

    def __init__(self, compile_delay: float = 0.0):
        self.compile_delay = compile_delay
        self.compile_started = threading.Event()
        self.release_compile = threading.Event()

    def compile(self, graph, config):
        self.compile_started.set()
        if self.compile_delay:
            self.release_compile.wait(self.compile_delay)
        return SlowExecutable(graph, config)


class FailingExecutable(TemplateExecutable):
    def run(self, inputs):
        raise InferenceError("FAILING device: the accelerator fell off the bus")


class FailingDevice(TemplateDevice):
    name = "FAILING"

    def compile(self, graph, config):
        return FailingExecutable(graph, config)


class UnpluggedDevice(TemplateDevice):
    name = "UNPLUGGED"

    def unavailable_reason(self):
        return "no UNPLUGGED stick found on USB"
