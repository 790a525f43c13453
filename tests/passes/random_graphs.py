"""A hypothesis strategy for small random graphs that give passes something to do.

The graphs mix elementwise ops, MatMul, Reshape, Transpose, Concat, Convolution and batch norms
with constants chosen to trigger rewrites (ones, zeros, per-channel scales, double transposes,
repeated subexpressions, constant subgraphs). Values stay bounded (tanh/sigmoid, small weights)
so that reference results compare with tight tolerances. Half of the graphs have a dynamic batch
dimension (`?`), so passes meet dynamic shapes too; the inputs then use a batch of 2.
"""

import numpy as np
from hypothesis import strategies as st
from vinify import ir

UNARY = ("Relu", "Sigmoid", "Tanh", "Abs", "Negative")
BINARY = ("Add", "Subtract", "Multiply", "Maximum")


class _Builder:
    def __init__(self, draw):
        self.draw = draw
        channels = draw(st.integers(1, 3))
        height, width = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        batch = "?" if draw(st.booleans()) else 1
        self.x = ir.parameter("x", "f32", [batch, channels, height, width])
        self.pool = [self.x.outputs[0]]

    def array(self, shape, special=True) -> np.ndarray:
        kind = self.draw(st.sampled_from(["random", "ones", "zeros"] if special else ["random"]))
        if kind == "ones":
            return np.ones(shape, np.float32)
        if kind == "zeros":
            return np.zeros(shape, np.float32)
        seed = self.draw(st.integers(0, 2**16))
        return np.random.default_rng(seed).uniform(-1, 1, shape).astype(np.float32)

    def pick(self, rank: int | None = None, static_from: int | None = None):
        """A value from the pool (of `rank`, with static dims from `static_from` on)."""
        choices = [v for v in self.pool if (rank is None or v.shape.rank == rank) and
                   (static_from is None or all(d.is_static for d in v.shape.dims[static_from:]))]
        return self.draw(st.sampled_from(choices)) if choices else None

    def partners(self, a):
        """Values of a's shape; with a dynamic dim only `a` itself (equal `?`s may differ)."""
        return [v for v in self.pool if v.shape == a.shape and (a.shape.is_static or v is a)]

    def add(self, node) -> None:
        self.pool.append(node.outputs[0])

    def step(self) -> None:
        kind = self.draw(st.sampled_from(["unary", "binary", "constant", "channel", "transpose",
                                          "reshape", "concat", "conv", "matmul", "batchnorm",
                                          "repeat", "folded"]))
        getattr(self, "_" + kind)()

    def _unary(self):
        self.add(ir.make(self.draw(st.sampled_from(UNARY)), 1, [self.pick()]))

    def _binary(self):
        a = self.pick()
        same = self.partners(a)
        other = self.draw(st.sampled_from(same))
        self.add(ir.make(self.draw(st.sampled_from(BINARY)), 1, [a, other]))

    def _constant(self):
        a = self.pick()
        start = self.draw(st.integers(0, a.shape.rank))
        if not all(d.is_static for d in a.shape.dims[start:]):
            return
        shape = tuple(d.get_length() for d in a.shape.dims[start:])
        constant = ir.constant(self.array(shape))
        operands = [a, constant] if self.draw(st.booleans()) else [constant, a]
        self.add(ir.make(self.draw(st.sampled_from(BINARY)), 1, operands))

    def _channel(self):
        a = self.pick(4, static_from=1)
        if a is None:
            return
        shape = (1, a.shape[1].get_length(), 1, 1)
        self.add(ir.make(self.draw(st.sampled_from(["Multiply", "Add"])), 1,
                         [a, ir.constant(self.array(shape))]))

    def _transpose(self):
        a = self.pick()
        perm = self.draw(st.permutations(list(range(a.shape.rank))))
        self.add(ir.make("Transpose", 1, [a, ir.constant(np.array(perm, np.int64))]))

    def _reshape(self):
        a = self.pick()
        if not a.shape.is_static:
            target = self.draw(st.sampled_from([[-1], [0, -1]] if a.shape.rank > 1 else [[-1]]))
            self.add(ir.make("Reshape", 1, [a, ir.constant(np.array(target, np.int64))],
                             special_zero=True))
            return
        dims = list(a.shape.to_tuple())
        target = self.draw(st.sampled_from([[-1], [dims[0], -1], dims[::-1], dims]))
        self.add(ir.make("Reshape", 1, [a, ir.constant(np.array(target, np.int64))],
                         special_zero=False))

    def _concat(self):
        a = self.pick()
        same = self.partners(a)
        axis = self.draw(st.integers(0, a.shape.rank - 1))
        self.add(ir.make("Concat", 1, [a, self.draw(st.sampled_from(same))], axis=axis))

    def _conv(self):
        a = self.pick(4, static_from=1)
        if a is None:
            return
        channels, kernel = a.shape[1].get_length(), self.draw(st.sampled_from([1, 3]))
        out = self.draw(st.integers(1, 3))
        weights = self.array((out, channels, kernel, kernel), special=False) * 0.5
        pad = kernel // 2
        self.add(ir.make("Convolution", 1, [a, ir.constant(weights)], strides=[1, 1],
                         pads_begin=[pad, pad], pads_end=[pad, pad], dilations=[1, 1]))

    def _matmul(self):
        a = self.pick(2, static_from=1)
        if a is None:
            return
        inner, out = a.shape[1].get_length(), self.draw(st.integers(1, 4))
        transpose_b = self.draw(st.booleans())
        shape = (out, inner) if transpose_b else (inner, out)
        weights = ir.constant(self.array(shape, special=False) * 0.5)
        self.add(ir.make("MatMul", 1, [a, weights], transpose_b=transpose_b))

    def _batchnorm(self):
        a = self.pick(4, static_from=1)
        if a is None:
            return
        channels = a.shape[1].get_length()
        stats = [self.array((channels,), special=False) for _ in range(3)]
        variance = np.abs(self.array((channels,), special=False)) + 0.5
        self.add(ir.make("BatchNormInference", 5, [a] + [ir.constant(s) for s in stats] +
                         [ir.constant(variance)], epsilon=1e-3))

    def _repeat(self):
        node = self.pick().node
        if node.op.name in ("Parameter", "Constant"):
            return
        self.add(ir.make(node.op.name, node.op.version, node.inputs, **node.attrs))

    def _folded(self):
        a = self.pick(static_from=1)
        if a is None:
            return
        shape = tuple(d.get_length() for d in a.shape.dims[1:])
        left, right = ir.constant(self.array(shape)), ir.constant(self.array(shape))
        constant = ir.make("Add", 1, [left, right])
        self.add(ir.make("Multiply", 1, [a, ir.make("Tanh", 1, [constant])]))


@st.composite
def random_graphs(draw, max_steps: int = 10) -> ir.Graph:
    builder = _Builder(draw)
    for _ in range(draw(st.integers(1, max_steps))):
        builder.step()
    outputs = [builder.pool[-1]]
    extra = draw(st.sampled_from(builder.pool))
    if extra is not outputs[0] and extra.node.op.name != "Parameter":
        outputs.append(extra)
    bounded = [ir.make("Tanh", 1, [value]) for value in outputs]
    return ir.Graph([builder.x], bounded, name="random")
