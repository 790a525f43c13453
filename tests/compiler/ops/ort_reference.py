"""Reference outputs for op tests: one ONNX node run by onnxruntime, and one vinify node run by
its numpy reference, so each test compares the two on the same inputs."""

import numpy as np
import onnx
import onnxruntime
import vinify.types
from onnx import helper
from vinify import ir


def run_onnx_node(op_type: str, inputs: dict[str, np.ndarray], num_outputs: int = 1,
                  opset: int = 18, initializers: dict[str, np.ndarray] | None = None,
                  **attributes) -> list[np.ndarray]:
    """Outputs of a single-node ONNX model; `initializers` become constant inputs."""
    initializers = initializers or {}
    names = list(inputs) + list(initializers)
    outputs = [f"y{i}" for i in range(num_outputs)]
    node = helper.make_node(op_type, names, outputs, **attributes)
    graph_inputs = [helper.make_tensor_value_info(
        name, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape) for name, a in inputs.items()]
    graph_outputs = [onnx.ValueInfoProto(name=name) for name in outputs]
    constants = [onnx.numpy_helper.from_array(a, name) for name, a in initializers.items()]
    graph = helper.make_graph([node], "single", graph_inputs, graph_outputs, constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return session.run(None, inputs)


def run_vinify_node(op_name: str, version: int, inputs: list[np.ndarray],
                    constant_inputs: tuple[int, ...] = (), **attrs) -> list[np.ndarray]:
    """Outputs of one vinify node's reference (what the TEMPLATE device runs per node), with its
    output types inferred from parameters, or Constants for the inputs at `constant_inputs`.
    The node is evaluated directly so these tests do not depend on the runtime's plumbing."""
    values = [ir.constant(array) if index in constant_inputs else
              ir.parameter(f"in{index}", vinify.types.element_type(array.dtype), list(array.shape))
              for index, array in enumerate(inputs)]
    node = ir.make(op_name, version, values, name="op", **attrs)
    outputs = node.evaluate(inputs)
    for value, array in zip(node.outputs, outputs):
        assert value.shape.accepts(array.shape), f"{array.shape} does not fit {value.type}"
    return outputs


def output_type(op_name: str, version: int, shapes: list, elements: list | None = None,
                constants: dict[int, np.ndarray] | None = None, index: int = 0, **attrs) -> str:
    """The inferred type of one output, as text, for parameters of the given partial shapes."""
    constants = constants or {}
    elements = elements or ["f32"] * len(shapes)
    values = [ir.constant(constants[i]) if i in constants else
              ir.parameter(f"in{i}", elements[i], shape) for i, shape in enumerate(shapes)]
    return str(ir.make(op_name, version, values, name="op", **attrs).outputs[index].type)


def run_openvino(build, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Outputs of OpenVINO's CPU plugin for `build(*parameters)` (an openvino node), used where
    the OpenVINO opset semantics differ from ONNX's."""
    import openvino
    import openvino.opset14 as ops

    parameters = [ops.parameter(list(a.shape), a.dtype) for a in inputs]
    node = build(*parameters)
    model = openvino.Model(node.outputs(), parameters)
    results = openvino.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})(inputs)
    return [results[i] for i in range(len(node.outputs()))]
