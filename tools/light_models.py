"""The light_* ONNX models shipped in the onnx wheel, with their weights made random.

The shipped files generate every weight with `ConstantOfShape` (one repeated value), which a
compiler could exploit and which makes every class score equal. `randomized` replaces each such
generator whose shape is an initializer, and every float initializer, with seeded random values
at a He-style scale, in memory; the files are never modified.
"""

import os

import numpy as np

LIGHT_MODELS = ("bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50",
                "shufflenet", "squeezenet", "vgg19", "zfnet512")


def light_model_path(name: str) -> str:
    import onnx

    short = name.removeprefix("light_").removesuffix(".onnx")
    return os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light",
                        f"light_{short}.onnx")


def _random_weights(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    scale = np.sqrt(2.0 / fan_in) if len(shape) > 1 else 0.1
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def randomized(path: str, seed: int = 0):
    """The ONNX ModelProto at `path` with random weights in place of constant generators."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(path)
    graph = model.graph
    rng = np.random.default_rng(seed)
    initializers = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    kept_nodes, new_weights = [], []
    for node in graph.node:
        shape = initializers.get(node.input[0]) if node.op_type == "ConstantOfShape" else None
        if shape is None:
            kept_nodes.append(node)
            continue
        value = next((a.t for a in node.attribute if a.name == "value"), None)
        if value is not None and value.data_type != onnx.TensorProto.FLOAT:
            kept_nodes.append(node)
            continue
        weights = _random_weights(rng, tuple(int(d) for d in shape))
        new_weights.append(numpy_helper.from_array(weights, node.output[0]))
    for index, tensor in enumerate(graph.initializer):
        array = initializers[tensor.name]
        if array.dtype == np.float32 and array.size > 1:
            graph.initializer[index].CopyFrom(
                numpy_helper.from_array(_random_weights(rng, array.shape), tensor.name))
    del graph.node[:]
    graph.node.extend(kept_nodes)
    graph.initializer.extend(new_weights)
    model.ir_version = max(model.ir_version, 4)  # IR 4+: initializers need not be graph inputs
    return model
