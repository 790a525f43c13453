"""The ONNX backend suite's light_* models with their weights replaced by seeded random values.

The shipped models fill every weight with one constant, which hides layout and indexing bugs
(and which a compiler could exploit); random weights scaled like He initialization keep the
activations of deep networks finite and distinct.
"""

from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

LIGHT_MODELS = ("bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50",
                "shufflenet", "squeezenet", "vgg19", "zfnet512")


def light_model_path(name: str) -> Path:
    folder = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
    return folder / f"light_{name}.onnx"


def _roles(graph: onnx.GraphProto) -> dict[str, str]:
    """Initializer name -> role ("weight", "bn_scale", "bn_variance", ...)."""
    roles: dict[str, str] = {}
    for node in graph.node:
        names = list(node.input)
        if node.op_type == "BatchNormalization":
            for name, role in zip(names[1:], ("bn_scale", "bn_bias", "bn_mean", "bn_variance")):
                roles[name] = role
        elif node.op_type in ("Conv", "Gemm", "MatMul") and len(names) > 1:
            roles[names[1]] = "weight" if node.op_type == "Conv" else "classifier"
            if len(names) > 2:
                roles[names[2]] = "bias"
    return roles


def _random_like(array: np.ndarray, role: str, rng: np.random.Generator) -> np.ndarray:
    if role == "weight" and array.ndim >= 2:
        fan_in = int(np.prod(array.shape[1:])) if array.ndim > 2 else array.shape[0]
        fan_in = max(fan_in, min(array.shape))
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), array.shape)
    if role == "classifier":  # small logits keep the softmax away from saturation
        return rng.normal(0.0, 1.0 / np.sqrt(max(array.shape)), array.shape)
    if role == "bn_scale":  # below 1: residual sums stay bounded over deep networks
        return rng.uniform(0.2, 0.6, array.shape)
    if role == "bn_variance":
        return rng.uniform(0.5, 1.5, array.shape)
    return rng.normal(0.0, 0.1, array.shape)


def randomized_light_model(name: str, seed: int = 0) -> onnx.ModelProto:
    """The model with every float weight redrawn from a seeded generator: float initializers,
    and ConstantOfShape fills (how the light models ship their weights) made initializers."""
    model = onnx.load(str(light_model_path(name)))
    rng = np.random.default_rng(seed)
    roles = _roles(model.graph)
    initializers = {t.name: t for t in model.graph.initializer}
    kept, created = [], set()
    for node in model.graph.node:
        if node.op_type != "ConstantOfShape" or node.input[0] not in initializers:
            kept.append(node)
            continue
        shape = numpy_helper.to_array(initializers[node.input[0]]).astype(np.int64)
        fresh = _random_like(np.zeros(shape, np.float32), roles.get(node.output[0], "other"), rng)
        model.graph.initializer.append(numpy_helper.from_array(fresh.astype(np.float32),
                                                               node.output[0]))
        if model.ir_version < 4:  # old models must list every initializer as an input
            model.graph.input.append(onnx.helper.make_tensor_value_info(
                node.output[0], onnx.TensorProto.FLOAT, [int(d) for d in shape]))
        created.add(node.output[0])
    del model.graph.node[:]
    model.graph.node.extend(kept)
    for index, tensor in enumerate(list(model.graph.initializer)):
        array = numpy_helper.to_array(tensor)
        if array.dtype != np.float32 or tensor.name in created:
            continue
        fresh = _random_like(array, roles.get(tensor.name, "other"), rng).astype(np.float32)
        model.graph.initializer[index].CopyFrom(numpy_helper.from_array(fresh, tensor.name))
    return model


def light_input(model: onnx.ModelProto, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    initializers = {t.name for t in model.graph.initializer}
    feeds = {}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        shape = [d.dim_value or 1 for d in value.type.tensor_type.shape.dim]
        feeds[value.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds
