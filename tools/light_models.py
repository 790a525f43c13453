"""The light_* ONNX models shipped in the onnx wheel, with their weights made random.

The shipped files fill every weight with one constant (through `ConstantOfShape`), which hides
layout and indexing bugs, lets a compiler exploit the constant, and makes every class score
equal. `randomized` redraws every float weight from a seeded generator, in memory (the files are
never modified), scaled by the role the tensor plays: He-style for convolution weights, small
for classifier weights, positive for batch-norm variances, below one for batch-norm scales, so
the activations of deep networks stay finite and distinct.
"""

from pathlib import Path

import numpy as np

LIGHT_MODELS = ("bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50",
                "shufflenet", "squeezenet", "vgg19", "zfnet512")


def light_model_path(name: str) -> Path:
    """The shipped file of a light model ("resnet50", "light_resnet50" or "...onnx")."""
    import onnx

    short = str(name).removeprefix("light_").removesuffix(".onnx")
    folder = Path(onnx.__file__).parent / "backend" / "test" / "data" / "light"
    return folder / f"light_{short}.onnx"


def _roles(graph) -> dict[str, str]:
    """Weight tensor name -> role ("weight", "classifier", "bias", "bn_scale", "bn_variance"...)."""
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


def _random_like(shape: tuple[int, ...], role: str, rng: np.random.Generator) -> np.ndarray:
    if role == "weight" and len(shape) >= 2:
        fan_in = int(np.prod(shape[1:])) if len(shape) > 2 else shape[0]
        fan_in = max(fan_in, min(shape))
        values = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape)
    elif role == "classifier":  # small logits keep the softmax away from saturation
        values = rng.normal(0.0, 1.0 / np.sqrt(max(shape)), shape)
    elif role == "bn_scale":  # below 1: residual sums stay bounded over deep networks
        values = rng.uniform(0.2, 0.6, shape)
    elif role == "bn_variance":
        values = rng.uniform(0.5, 1.5, shape)
    else:
        values = rng.normal(0.0, 0.1, shape)
    return values.astype(np.float32)


def randomized(path: "str | Path", seed: int = 0):
    """The ONNX ModelProto at `path` with every float weight redrawn: float initializers, and
    ConstantOfShape fills of constant shape (how the light models ship weights) as initializers."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    rng = np.random.default_rng(seed)
    roles = _roles(graph)
    initializers = {t.name: t for t in graph.initializer}
    kept, created = [], set()
    for node in graph.node:
        if node.op_type != "ConstantOfShape" or node.input[0] not in initializers:
            kept.append(node)
            continue
        shape = tuple(int(d) for d in numpy_helper.to_array(initializers[node.input[0]]))
        fresh = _random_like(shape, roles.get(node.output[0], "other"), rng)
        graph.initializer.append(numpy_helper.from_array(fresh, node.output[0]))
        if model.ir_version < 4:  # old models must list every initializer as an input
            graph.input.append(onnx.helper.make_tensor_value_info(
                node.output[0], onnx.TensorProto.FLOAT, list(shape)))
        created.add(node.output[0])
    del graph.node[:]
    graph.node.extend(kept)
    for index, tensor in enumerate(list(graph.initializer)):
        array = numpy_helper.to_array(tensor)
        if array.dtype != np.float32 or tensor.name in created:
            continue
        fresh = _random_like(array.shape, roles.get(tensor.name, "other"), rng)
        graph.initializer[index].CopyFrom(numpy_helper.from_array(fresh, tensor.name))
    return model


def randomized_light_model(name: str, seed: int = 0):
    return randomized(light_model_path(name), seed)


def light_input(model, seed: int = 1) -> dict[str, np.ndarray]:
    """Seeded random inputs for the model's non-initializer graph inputs (batch 1)."""
    rng = np.random.default_rng(seed)
    initializers = {t.name for t in model.graph.initializer}
    feeds = {}
    for value in model.graph.input:
        if value.name in initializers:
            continue
        shape = [d.dim_value or 1 for d in value.type.tensor_type.shape.dim]
        feeds[value.name] = rng.standard_normal(shape).astype(np.float32)
    return feeds
