"""ONNX data types and value infos mapped onto vinify element types and partial shapes."""

import ml_dtypes
import numpy as np
from onnx import TensorProto, TypeProto, ValueInfoProto, helper, numpy_helper
from vinify.errors import ConversionError, IRError
from vinify.ops.onnx_sequences import CONTAINER, optional_of, sequence_of
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType
from vinify.types import ElementType, element_type

# ONNX element types that vinify.types does not declare (yet): narrow floats and 2-bit ints that
# ml_dtypes can compute with. Declared here, by their OpenVINO-style names, so that models using
# them convert; see the report to the IR owner about moving them into vinify.types.
_EXTRA_TYPES = {
    np.dtype(ml_dtypes.float8_e4m3fnuz): ElementType("f8e4m3fnuz", 8, "float",
                                                      np.dtype(ml_dtypes.float8_e4m3fnuz)),
    np.dtype(ml_dtypes.float8_e5m2fnuz): ElementType("f8e5m2fnuz", 8, "float",
                                                      np.dtype(ml_dtypes.float8_e5m2fnuz)),
    np.dtype(ml_dtypes.float8_e8m0fnu): ElementType("f8e8m0", 8, "float",
                                                     np.dtype(ml_dtypes.float8_e8m0fnu)),
    np.dtype(ml_dtypes.float4_e2m1fn): ElementType("f4e2m1", 4, "float",
                                                    np.dtype(ml_dtypes.float4_e2m1fn)),
    np.dtype(ml_dtypes.int2): ElementType("i2", 2, "int", np.dtype(ml_dtypes.int2)),
    np.dtype(ml_dtypes.uint2): ElementType("u2", 2, "uint", np.dtype(ml_dtypes.uint2)),
}


def element_type_of(onnx_type: int, where: str) -> ElementType:
    """The vinify element type of an ONNX TensorProto.DataType code."""
    try:
        dtype = np.dtype(helper.tensor_dtype_to_np_dtype(onnx_type))
        if dtype in _EXTRA_TYPES:
            return _EXTRA_TYPES[dtype]
        return element_type(dtype)
    except (KeyError, ValueError, TypeError, IRError):
        name = TensorProto.DataType.Name(onnx_type) if onnx_type in \
            TensorProto.DataType.values() else str(onnx_type)
        raise ConversionError(f"{where}: ONNX element type {name} is not supported") from None


def onnx_type_of(elem: ElementType) -> int:
    """The ONNX TensorProto.DataType code of a vinify element type."""
    return helper.np_dtype_to_tensor_dtype(np.dtype(elem.dtype))


def shape_of(type_proto: TypeProto) -> PartialShape:
    tensor = type_proto.tensor_type
    if not tensor.HasField("shape"):
        return DYNAMIC_RANK
    dims = []
    for dim in tensor.shape.dim:
        if dim.HasField("dim_value") and dim.dim_value >= 0:
            dims.append(Dimension(dim.dim_value, dim.dim_value))
        else:
            dims.append(DYNAMIC)
    return PartialShape(tuple(dims))


def tensor_type_of(info: ValueInfoProto, where: str) -> TensorType:
    """The type a graph input declares: a tensor, or a sequence/optional container."""
    return value_type_of(info.type, f"{where}: input '{info.name}'")


def value_type_of(type_proto: TypeProto, where: str) -> TensorType:
    kind = type_proto.WhichOneof("value")
    if kind == "tensor_type":
        return TensorType(element_type_of(type_proto.tensor_type.elem_type, where),
                          shape_of(type_proto))
    if kind == "sequence_type":
        item = value_type_of(type_proto.sequence_type.elem_type, where)
        return TensorType(sequence_of(item.element_type), CONTAINER)
    if kind == "optional_type":
        item = value_type_of(type_proto.optional_type.elem_type, where)
        return TensorType(optional_of(item.element_type), CONTAINER)
    raise ConversionError(f"{where}: ONNX type {kind} is not supported")


def tensor_to_array(tensor: TensorProto, where: str) -> np.ndarray:
    """A TensorProto's value as a numpy array (its external data already loaded)."""
    try:
        array = numpy_helper.to_array(tensor)
    except Exception as error:  # malformed payloads come in many exception types
        raise ConversionError(f"{where}: tensor '{tensor.name}' cannot be read: {error}") from None
    if array.dtype.kind == "O":
        array = array.astype(object)
    return array


def sparse_to_array(sparse, where: str) -> np.ndarray:
    """A SparseTensorProto as a dense array (indices flat [NNZ] or per-coordinate [NNZ, rank])."""
    values = tensor_to_array(sparse.values, where)
    indices = tensor_to_array(sparse.indices, where).astype(np.int64)
    dense = np.zeros(tuple(sparse.dims), values.dtype)
    if indices.size and (indices.min() < 0 or (indices.ndim == 1 and indices.max() >= dense.size)):
        raise ConversionError(f"{where}: sparse tensor '{sparse.values.name}' has indices out of "
                              f"range for shape {list(sparse.dims)}")
    try:
        if indices.ndim == 1:
            dense.reshape(-1)[indices] = values
        else:
            dense[tuple(indices.T)] = values
    except (IndexError, ValueError) as error:
        raise ConversionError(f"{where}: sparse tensor '{sparse.values.name}' is malformed: "
                              f"{error}") from None
    return dense
