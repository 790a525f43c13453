"""The OpenVINO opsets as data: which (op name, version) each of opset1 ... opset16 contains.

An op version is named by the opset in which it first appeared (`Gather<8>` is the Gather that
opset8 introduced), so each opset is written as its changes against the one before: a bare
name is that op at this opset's own version, `Name:V` an older version (re)joining, `-Name` an
op leaving. The tables follow the public OpenVINO opset specification and the opset tables of
the OpenVINO runtime (checked against it in the tests). One deliberate difference: OpenVINO's
runtime tags opset1's LogicalXor with "opset2", while the specification lists LogicalXor-1 in
opset1; vinify follows the specification.

    >>> opset = get_opset("opset8")
    >>> opset.version_of("Gather"), opset.version_of("Softmax"), opset.version_of("Relu")
    (8, 8, 1)
"""

from typing import Any, Iterable, Iterator

from vinify.errors import UnknownOpError

_CHANGES: dict[int, str] = {
    1: """
        Abs Acos Add Asin Atan AvgPool BatchNormInference BinaryConvolution Broadcast
        CTCGreedyDecoder Ceiling Clamp Concat Constant Convert ConvertLike Convolution
        ConvolutionBackpropData Cos Cosh DeformableConvolution DeformablePSROIPooling DepthToSpace
        DetectionOutput Divide Elu Equal Erf Exp FakeQuantize Floor FloorMod GRN Gather GatherTree
        Greater GreaterEqual GroupConvolution GroupConvolutionBackpropData HardSigmoid Interpolate
        LRN LSTMCell Less LessEqual Log LogicalAnd LogicalNot LogicalOr LogicalXor MatMul MaxPool
        Maximum Minimum Mod Multiply Negative NonMaxSuppression NormalizeL2 NotEqual OneHot PRelu
        PSROIPooling Pad Parameter Power PriorBox PriorBoxClustered Proposal RNNCell Range
        ReduceLogicalAnd ReduceLogicalOr ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum
        RegionYolo Relu Reshape Result Reverse ReverseSequence Select Selu ShapeOf ShuffleChannels
        Sigmoid Sign Sin Sinh Softmax SpaceToDepth Split Sqrt SquaredDifference Squeeze
        StridedSlice Subtract Tan Tanh TensorIterator Tile TopK Transpose Unsqueeze VariadicSplit
        Xor
    """,
    2: """
        BatchToSpace Gelu MVN ROIPooling ReorgYolo SpaceToBatch -RNNCell -Reverse -ShuffleChannels
        -Xor
    """,
    3: """
        Assign Broadcast Bucketize CumSum EmbeddingBagOffsetsSum EmbeddingBagPackedSum
        EmbeddingSegmentsSum ExtractImagePatches GRUCell NonMaxSuppression NonZero RNNCell:1
        ROIAlign ReadValue ScatterElementsUpdate ScatterUpdate ShapeOf ShuffleChannels:1 TopK
    """,
    4: """
        Acosh Asinh Atanh CTCLoss HSwish Interpolate LSTMCell Mish NonMaxSuppression Proposal
        Range ReduceL1 ReduceL2 ScatterNDUpdate SoftPlus Swish
    """,
    5: """
        BatchNormInference GRUSequence GatherND HSigmoid LSTMSequence LogSoftmax Loop
        NonMaxSuppression RNNSequence Round
    """,
    6: """
        Assign CTCGreedyDecoderSeqLen ExperimentalDetectronDetectionOutput
        ExperimentalDetectronGenerateProposalsSingleImage ExperimentalDetectronPriorGridGenerator
        ExperimentalDetectronROIFeatureExtractor ExperimentalDetectronTopKROIs GatherElements MVN
        ReadValue
    """,
    7: """
        DFT Einsum Gather Gelu IDFT Roll
    """,
    8: """
        AdaptiveAvgPool AdaptiveMaxPool DeformableConvolution DetectionOutput Gather GatherND
        I420toBGR I420toRGB If MatrixNms MaxPool MulticlassNms NV12toBGR NV12toRGB PriorBox
        RandomUniform Slice Softmax
    """,
    9: """
        Eye GenerateProposals GridSample IRDFT MulticlassNms NonMaxSuppression RDFT ROIAlign
        SoftSign
    """,
    10: """
        IsFinite IsInf IsNaN Unique
    """,
    11: """
        Interpolate TopK
    """,
    12: """
        GroupNormalization Pad ScatterElementsUpdate
    """,
    13: """
        BitwiseAnd BitwiseNot BitwiseOr BitwiseXor FakeConvert Multinomial NMSRotated
        ScaledDotProductAttention
    """,
    14: """
        AvgPool ConvertPromoteTypes Inverse MaxPool
    """,
    15: """
        BitwiseLeftShift BitwiseRightShift Col2Im EmbeddingBagOffsets EmbeddingBagPacked
        ROIAlignRotated STFT ScatterNDUpdate SearchSorted SliceScatter Squeeze StringTensorPack
        StringTensorUnpack
    """,
    16: """
        AvgPool ISTFT Identity OneHot SegmentMax SparseFillEmptyRows
    """,
}


def _build_tables() -> dict[int, dict[str, int]]:
    tables: dict[int, dict[str, int]] = {}
    current: dict[str, int] = {}
    for number in sorted(_CHANGES):
        for word in _CHANGES[number].split():
            if word.startswith("-"):
                del current[word[1:]]
                continue
            name, _, version = word.partition(":")
            current[name] = int(version) if version else number
        tables[number] = dict(current)
    return tables


_TABLES = _build_tables()


class Opset:
    """One opset: op names mapped to the op version it contains."""

    def __init__(self, number: int, table: dict[str, int]):
        self.number = number
        self.name = f"opset{number}"
        self._table = table

    def names(self) -> list[str]:
        return sorted(self._table)

    def items(self) -> list[tuple[str, int]]:
        """(op name, version) pairs, sorted by name."""
        return sorted(self._table.items())

    def version_of(self, op_name: str) -> int:
        if op_name not in self._table:
            raise UnknownOpError(f"{self.name} has no op named '{op_name}'")
        return self._table[op_name]

    def op(self, op_name: str) -> type:
        """The registered op class of this opset's version of `op_name`."""
        from vinify.op import lookup_op

        version = self.version_of(op_name)
        try:
            return lookup_op(op_name, version, "")
        except UnknownOpError:
            raise UnknownOpError(f"{self.name} has {op_name}<{version}>, but vinify has not "
                                 "declared it yet") from None

    def make(self, op_name: str, inputs: Iterable[Any] = (), name: str | None = None,
             **attrs: Any):
        """A Node of this opset's version of `op_name` over `inputs`."""
        from vinify.ir import Node

        return Node(self.op(op_name), list(inputs), attrs, name=name)

    def undeclared(self) -> list[str]:
        """`Name<version>` of this opset's ops that vinify has not declared yet."""
        from vinify.op import registered_ops

        known = {(name, version) for (domain, name, version) in registered_ops() if domain == ""}
        return [f"{name}<{version}>" for name, version in self.items()
                if (name, version) not in known]

    def __contains__(self, op_name: object) -> bool:
        return op_name in self._table

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._table)

    def __repr__(self) -> str:
        return f"<Opset {self.name}: {len(self._table)} ops>"


def available_opsets() -> list[str]:
    return [f"opset{number}" for number in sorted(_TABLES)]


def get_opset(spec: "str | int") -> Opset:
    """The opset named "opset8" (or given as 8 or "8")."""
    text = str(spec).strip().lower()
    digits = text[len("opset"):] if text.startswith("opset") else text
    if not digits.isdigit() or int(digits) not in _TABLES:
        raise UnknownOpError(f"unknown opset {spec!r}; available: {', '.join(available_opsets())}")
    number = int(digits)
    return Opset(number, _TABLES[number])


def opsets_containing(op_name: str, version: int) -> list[str]:
    """The names of the opsets whose table has op_name at this version."""
    return [f"opset{n}" for n, table in sorted(_TABLES.items()) if table.get(op_name) == version]
