"""How OpenVINO IR spells things in XML: type names, precisions, dims and attribute values.

These are facts of the IR v10/v11 format as `openvino.save_model` writes it (checked against
files the openvino wheel produced): floats with 17 significant digits ("%.17g", so `1.0` is "1"
and `0.1` is "0.10000000000000001"), booleans "true"/"false", lists joined by ", ", Parameter
shapes joined by "," with "?" and "1..8" for dynamic and bounded dims, port dims as -1 when not
static. Reading and writing share these tables so that a file written by vinify reads back to the
same graph and writes back byte for byte.
"""

import math
from typing import Any

from vinify.errors import IRError
from vinify.op import Attr
from vinify.shapes import Dimension, PartialShape
from vinify.types import ELEMENT_TYPES, ElementType, element_type

# op names whose layer `type` differs from the op name (OpenVINO's serializer renames these)
LAYER_TYPE_OF_OP = {"Constant": "Const", "Relu": "ReLU", "Softmax": "SoftMax", "PRelu": "PReLU"}
OP_OF_LAYER_TYPE = {layer: op for op, layer in LAYER_TYPE_OF_OP.items()}

# the largest dimension accepted from a file: bigger ones are hostile, not models
MAX_DIMENSION = 1 << 40

_PRECISION_EXCEPTIONS = {"boolean": "BOOL", "u1": "BIN", "string": "STRING"}


def precision_name(elem: ElementType) -> str:
    """The port `precision` OpenVINO writes: FP32, FP16, BF16, I64, U8, BOOL, BIN, F8E4M3."""
    if elem.name in _PRECISION_EXCEPTIONS:
        return _PRECISION_EXCEPTIONS[elem.name]
    if elem.name in ("f64", "f32", "f16"):
        return "FP" + elem.name[1:]
    return elem.name.upper()


_ELEMENT_OF_PRECISION = {precision_name(t): t for t in ELEMENT_TYPES.values()}


def element_of_precision(text: str) -> ElementType:
    """The element type of a port precision; lower-case element type names are accepted too."""
    if text in _ELEMENT_OF_PRECISION:
        return _ELEMENT_OF_PRECISION[text]
    return element_type(text.lower())


def format_float(value: float) -> str:
    """A float as OpenVINO writes it: 17 significant digits, shortest form."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return "%.17g" % value


def format_shape_attribute(shape: PartialShape) -> str:
    """A Parameter `shape`: "?,3,1..8,224", "..." for a dynamic rank, "" for a scalar."""
    return str(shape)[1:-1]


def format_port_dim(dim: Dimension) -> str:
    return str(dim.min) if dim.is_static else "-1"


def format_attribute(attr: Attr, value: Any) -> str:
    """The XML text of one attribute value of the declared kind."""
    kind = attr.kind
    if kind == "bool":
        return "true" if value else "false"
    if kind == "float":
        return format_float(float(value))
    if kind in ("int", "str"):
        return str(value)
    if kind == "type":
        return str(value)
    if kind == "shape":
        return format_shape_attribute(value)
    if kind == "ints":
        return ", ".join(str(int(v)) for v in value)
    if kind == "floats":
        return ", ".join(format_float(float(v)) for v in value)
    if kind == "strs":
        return ", ".join(value)
    if kind == "types":
        return ", ".join(str(v) for v in value)
    if kind == "shapes":
        return ", ".join("[" + format_shape_attribute(v) + "]" for v in value)
    raise IRError(f"attribute '{attr.name}' of kind {kind} has no IR file form")


def parse_attribute(attr: Attr, text: str) -> Any:
    """The value of one XML attribute, read by its declared kind (ValueError when malformed)."""
    kind = attr.kind
    if kind == "bool":
        return _parse_bool(text)
    if kind == "int":
        return int(text)
    if kind == "float":
        return float(text)
    if kind == "str":
        return _choice(attr, text)
    if kind == "type":
        return element_type(text)
    if kind == "shape":
        return parse_shape_attribute(text)
    items = [item.strip() for item in text.split(",")] if text.strip() else []
    if kind == "ints":
        return tuple(int(item) for item in items)
    if kind == "floats":
        return tuple(float(item) for item in items)
    if kind == "strs":
        return tuple(items)
    if kind == "types":
        return tuple(element_type(item) for item in items)
    raise ValueError(f"attribute kind {kind} cannot be read from an IR file")


def _choice(attr: Attr, text: str) -> str:
    """OpenVINO writes some enum values in upper case (MVN's eps_mode="INSIDE_SQRT")."""
    if attr.choices is None or text in attr.choices or text.lower() not in attr.choices:
        return text
    return text.lower()


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def parse_shape_attribute(text: str) -> PartialShape:
    """A shape attribute ("?,3,1..8", "-1,3", "...", ""); dims are checked for sanity."""
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1].strip()
    if body == "...":
        return PartialShape(None)
    if not body:
        return PartialShape(())
    return PartialShape(tuple(parse_dimension(part) for part in body.split(",")))


def parse_dimension(text: str) -> Dimension:
    """One dim: "8", "-1" or "?" (dynamic), "1..8" (bounded); negative or enormous is an error."""
    text = text.strip()
    if text in ("-1", "?"):
        return Dimension()
    if ".." in text:
        low, high = text.split("..", 1)
        low_value = _checked_length(low) if low.strip() else 0
        high_value = _checked_length(high) if high.strip() and high.strip() != "-1" else None
        if high_value is not None and high_value < low_value:
            raise ValueError(f"dimension {text!r} has its upper bound below its lower bound")
        return Dimension(low_value, high_value)
    length = _checked_length(text)
    return Dimension(length, length)


def _checked_length(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(f"negative dimension {value}")
    if value > MAX_DIMENSION:
        raise ValueError(f"dimension {value} is larger than {MAX_DIMENSION}")
    return value


def escape_tensor_names(names: list[str]) -> str:
    """Port `names`: comma separated, a comma inside a name written as "\\,"."""
    return ",".join(name.replace(",", "\\,") for name in names)


def split_tensor_names(text: str) -> list[str]:
    names, current, index = [], "", 0
    while index < len(text):
        if text.startswith("\\,", index):
            current += ","
            index += 2
            continue
        if text[index] == ",":
            names.append(current.strip())
            current = ""
        else:
            current += text[index]
        index += 1
    names.append(current.strip())
    return [name for name in names if name]
