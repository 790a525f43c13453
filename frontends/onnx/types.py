"""ONNX data types and value infos mapped onto vinify element types and partial shapes."""

import numpy as np
from onnx import TensorProto, TypeProto, ValueInfoProto, helper, numpy_helper
from vinify.errors import ConversionError, IRError
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType
from vinify.types import ElementType, element_type


def element_type_of(onnx_type: int, where: str) -> ElementType:
    """The vinify element type of an ONNX TensorProto.DataType code."""
    try:
        return element_type(helper.tensor_dtype_to_np_dtype(onnx_type))
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
    """The tensor type a graph input declares; sequences and optionals are refused here."""
    kind = info.type.WhichOneof("value")
    if kind != "tensor_type":
        raise ConversionError(f"{where}: input '{info.name}' is of ONNX type {kind}; only tensor "
                              "inputs can be graph parameters")
    return TensorType(element_type_of(info.type.tensor_type.elem_type, where), shape_of(info.type))


def tensor_to_array(tensor: TensorProto, where: str) -> np.ndarray:
    """A TensorProto's value as a numpy array (its external data already loaded)."""
    try:
        array = numpy_helper.to_array(tensor)
    except Exception as error:  # malformed payloads come in many exception types
        raise ConversionError(f"{where}: tensor '{tensor.name}' cannot be read: {error}") from None
    if array.dtype.kind == "O":
        array = array.astype(object)
    return array
