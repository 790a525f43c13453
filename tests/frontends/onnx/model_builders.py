"""Small ONNX models for the frontend tests, built with onnx.helper."""

import numpy as np
import onnx
from onnx import TensorProto, helper


def single_node_model(op_type: str, inputs: dict[str, tuple], outputs: dict[str, tuple],
                      opset: int = 18, domain: str = "", **attributes) -> onnx.ModelProto:
    """A model of one node; inputs/outputs map names to (ONNX element type, shape)."""
    node = helper.make_node(op_type, list(inputs), list(outputs), domain=domain, **attributes)
    graph = helper.make_graph(
        [node], "single",
        [helper.make_tensor_value_info(n, t, s) for n, (t, s) in inputs.items()],
        [helper.make_tensor_value_info(n, t, s) for n, (t, s) in outputs.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def model_with_external_weight(location: str, offset: int = 0, length: int | None = 16,
                               name: str = "weight") -> onnx.ModelProto:
    """y = x + weight, with the 4-float weight stored externally at `location`."""
    weight = TensorProto()
    weight.name = name
    weight.data_type = TensorProto.FLOAT
    weight.dims.extend([4])
    weight.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": str(offset)}
    if length is not None:
        entries["length"] = str(length)
    for key, value in entries.items():
        entry = weight.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", name], ["y"])], "external",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], initializer=[weight])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def weight_bytes() -> bytes:
    return np.arange(4, dtype=np.float32).tobytes()
