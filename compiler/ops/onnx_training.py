"""Internal ops (domain "vinify") for the ONNX preview-training optimizers Adagrad, Momentum and
Adam: one update step of n tensors. Inputs are (R, T, X_1..X_n, G_1..G_n, state...) and outputs
(X_new_1..X_new_n, new state...), as the ONNX operators lay them out."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import TensorType


class OptimizerStep(Op):
    """Common arity and typing: each output has the type of the matching tensor input."""

    num_inputs = (4, None)
    state_count = 1  # state tensors per optimized tensor (besides X and G)

    @classmethod
    def tensors(cls, num_inputs: int) -> int:
        return (num_inputs - 2) // (2 + cls.state_count)

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return num_inputs - 2 - cls.tensors(num_inputs)  # every input but R, T and gradients

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        count = len(ctx.input_types) - 2
        if count % (2 + cls.state_count):
            raise ctx.error(f"{cls.name} takes R, T and {2 + cls.state_count} tensors per "
                            f"optimized tensor, got {count} tensors")
        n = cls.tensors(len(ctx.input_types))
        tensors = ctx.input_types[2:2 + n]
        states = ctx.input_types[2 + 2 * n:]
        return list(tensors) + list(states)

    @classmethod
    def split(cls, inputs: tuple) -> tuple[float, int, list, list, list]:
        rate = float(np.asarray(inputs[0]).reshape(-1)[0])
        step = int(np.asarray(inputs[1]).reshape(-1)[0])
        n = cls.tensors(len(inputs))
        tensors = [np.asarray(x, np.float64) for x in inputs[2:]]
        return rate, step, tensors[:n], tensors[n:2 * n], tensors[2 * n:]


@register
class Adagrad(OptimizerStep):
    name, version, domain = "Adagrad", 1, "vinify"
    attributes = (Attr("decay_factor", "float", 0.0), Attr("epsilon", "float", 1e-6),
                  Attr("norm_coefficient", "float", 0.0))

    @classmethod
    def evaluate(cls, attrs: dict, *inputs: np.ndarray):
        rate, step, xs, gradients, accumulated = cls.split(inputs)
        rate = rate / (1 + step * attrs["decay_factor"])
        new_xs, new_accumulated = [], []
        for x, g, h in zip(xs, gradients, accumulated):
            g = attrs["norm_coefficient"] * x + g
            h = h + g * g
            new_xs.append(x - rate * g / (np.sqrt(h) + attrs["epsilon"]))
            new_accumulated.append(h)
        return tuple(new_xs + new_accumulated)


@register
class Momentum(OptimizerStep):
    name, version, domain = "Momentum", 1, "vinify"
    attributes = (Attr("alpha", "float"), Attr("beta", "float"),
                  Attr("mode", "str", "standard", ("standard", "nesterov")),
                  Attr("norm_coefficient", "float"))

    @classmethod
    def evaluate(cls, attrs: dict, *inputs: np.ndarray):
        rate, step, xs, gradients, velocities = cls.split(inputs)
        beta = attrs["beta"] if step > 0 else 1.0
        new_xs, new_velocities = [], []
        for x, g, v in zip(xs, gradients, velocities):
            g = attrs["norm_coefficient"] * x + g
            v = attrs["alpha"] * v + beta * g
            direction = g + attrs["alpha"] * v if attrs["mode"] == "nesterov" else v
            new_xs.append(x - rate * direction)
            new_velocities.append(v)
        return tuple(new_xs + new_velocities)


@register
class Adam(OptimizerStep):
    name, version, domain = "Adam", 1, "vinify"
    state_count = 2
    attributes = (Attr("alpha", "float", 0.9), Attr("beta", "float", 0.999),
                  Attr("epsilon", "float", 1e-6), Attr("norm_coefficient", "float", 0.0),
                  Attr("norm_coefficient_post", "float", 0.0))

    @classmethod
    def evaluate(cls, attrs: dict, *inputs: np.ndarray):
        rate, step, xs, gradients, states = cls.split(inputs)
        n = len(xs)
        alpha, beta = attrs["alpha"], attrs["beta"]
        if step > 0:
            rate = rate * np.sqrt(1 - beta ** step) / (1 - alpha ** step)
        new_xs, new_vs, new_hs = [], [], []
        for x, g, v, h in zip(xs, gradients, states[:n], states[n:]):
            g = attrs["norm_coefficient"] * x + g
            v = alpha * v + (1 - alpha) * g
            h = beta * h + (1 - beta) * g * g
            x = x - rate * v / (np.sqrt(h) + attrs["epsilon"])
            new_xs.append((1 - attrs["norm_coefficient_post"]) * x)
            new_vs.append(v)
            new_hs.append(h)
        return tuple(new_xs + new_vs + new_hs)


@register
class TrainingDropout(Op):
    """ONNX Dropout whose ratio or training flag is known only at run time: in training mode
    with a non-zero ratio it zeroes a random share of x (seeded by `seed` when `has_seed`) and
    scales the rest by 1 / (1 - ratio); otherwise it is the identity. Outputs (y, mask)."""

    name, version, domain = "TrainingDropout", 1, "vinify"
    num_inputs = (3, 3)
    attributes = (Attr("seed", "int", 0), Attr("has_seed", "bool", False))

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 2

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        from vinify.types import boolean

        return [ctx.input_types[0], TensorType(boolean, ctx.shape(0))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, ratio: np.ndarray, training: np.ndarray):
        ratio = float(np.asarray(ratio).reshape(-1)[0])
        if not bool(np.asarray(training).reshape(-1)[0]) or ratio == 0.0:
            return x, np.ones(x.shape, bool)
        generator = np.random.default_rng(attrs["seed"] if attrs["has_seed"] else None)
        mask = generator.uniform(size=x.shape) >= ratio
        return x * mask / (1.0 - ratio), mask
