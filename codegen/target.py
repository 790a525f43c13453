"""What a code generation target supports: ops, element types, vector width, caches, threads.

`host_cpu_target()` reads the host's CPU features from LLVM (llvmlite), never assumes them: the
vector width is 16 floats where AVX-512F is present, 8 with AVX2, 4 otherwise.
"""

import os
from dataclasses import dataclass, field

# The ops the CPU target lowers itself (name only: every version of these is handled).
CPU_OPS = frozenset({
    "Parameter", "Constant", "Result",
    "Convolution", "GroupConvolution", "MatMul", "BatchNormInference",
    "Add", "Subtract", "Multiply", "Divide", "Maximum", "Minimum", "Power", "SquaredDifference",
    "Relu", "Clamp", "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Abs", "Negative", "Floor",
    "Ceiling", "Elu", "HSwish", "HSigmoid", "Swish", "Mish", "PRelu", "Gelu",
    "MaxPool", "AvgPool", "Softmax", "LogSoftmax", "LRN", "ReduceMean", "ReduceSum",
    "ReduceMax", "Concat", "Transpose", "Reshape", "Squeeze", "Unsqueeze", "Convert",
})
ELEMENT_TYPES = ("f32",)


@dataclass(frozen=True)
class Target:
    """A code generation target's capabilities; lowering decisions read from it."""

    name: str
    cpu_name: str
    features: tuple[str, ...]  # enabled features, without the leading '+'
    vector_lanes: int  # f32 lanes of the widest profitable vector register
    l1_bytes: int = 48 * 1024
    l2_bytes: int = 2 * 1024 * 1024
    threads: int = 1
    ops: frozenset = CPU_OPS
    element_types: tuple[str, ...] = ELEMENT_TYPES
    extra: dict = field(default_factory=dict, compare=False)

    def supports_op(self, op_name: str) -> bool:
        return op_name in self.ops

    def has(self, feature: str) -> bool:
        return feature in self.features

    @property
    def feature_string(self) -> str:
        return ",".join("+" + f for f in self.features)

    @property
    def function_attributes(self) -> str:
        """LLVM function attributes: 512-bit vectors preferred where AVX-512 is present."""
        return f'"prefer-vector-width"="{self.vector_lanes * 32}"'


def vector_lanes_for(features: set[str]) -> int:
    if "avx512f" in features:
        return 16
    if "avx2" in features and "fma" in features:
        return 8
    return 4


def host_cpu_target(threads: int | None = None) -> Target:
    """The target for this machine, with features from llvmlite's host feature string."""
    import llvmlite.binding as llvm

    flags = llvm.get_host_cpu_features().flatten().split(",")
    features = tuple(sorted(f[1:] for f in flags if f.startswith("+")))
    return Target(
        name="llvm-cpu",
        cpu_name=llvm.get_host_cpu_name(),
        features=features,
        vector_lanes=vector_lanes_for(set(features)),
        threads=threads or len(os.sched_getaffinity(0)),
    )
