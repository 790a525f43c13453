"""How an op version is declared: attributes, arity, type inference and a numpy reference.

An op version is one subclass of `Op`, registered once with `@register`. Its `infer` computes the
output types from the input types, attributes and (where known) constant input values; its
`evaluate` is the executable specification used by constant folding and the TEMPLATE device.
A new semantic version is a new class, never an `if version` inside one.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

import numpy as np
from vinify.errors import IRError, TypeInferenceError, UnknownOpError
from vinify.shapes import PartialShape, TensorType
from vinify.types import ElementType, element_type

if TYPE_CHECKING:
    from vinify.ir import Node


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

ATTRIBUTE_KINDS = ("int", "float", "bool", "str", "ints", "floats", "strs", "type", "shape",
                   "tensor", "types", "shapes")


@dataclass(frozen=True)
class Attr:
    """An attribute declaration: name, kind (one of ATTRIBUTE_KINDS), default, allowed values."""

    name: str
    kind: str
    default: Any = REQUIRED
    choices: tuple | None = None

    def __post_init__(self):
        assert self.kind in ATTRIBUTE_KINDS, self.kind

    def coerce(self, value: Any, where: str) -> Any:
        """The value converted to this attribute's kind; an IRError naming `where` otherwise."""
        try:
            result = _COERCE[self.kind](value)
        except (TypeError, ValueError, IRError) as error:
            raise IRError(
                f"{where}: attribute '{self.name}' expects {self.kind}, got {value!r} ({error})"
            ) from None
        if self.choices is not None and result not in self.choices:
            raise IRError(
                f"{where}: attribute '{self.name}' must be one of {list(self.choices)}, "
                f"got {result!r}"
            )
        return result


def _to_int(value: Any) -> int:
    if isinstance(value, (bool, np.bool_)) or float(value) != int(value):
        raise TypeError("not an integer")
    return int(value)


def _to_bool(value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)) or value in (0, 1):
        return bool(value)
    raise TypeError("not a boolean")


def _to_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _to_tensor(value: Any) -> np.ndarray:
    array = np.asarray(value)
    array.setflags(write=False)
    return array


def _seq(item):
    def convert(value):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise TypeError("not a list")
        return tuple(item(v) for v in value)

    return convert


_COERCE = {
    "int": _to_int,
    "float": float,
    "bool": _to_bool,
    "str": _to_str,
    "ints": _seq(_to_int),
    "floats": _seq(float),
    "strs": _seq(_to_str),
    "type": element_type,
    "shape": PartialShape.of,
    "tensor": _to_tensor,
    "types": _seq(element_type),
    "shapes": _seq(PartialShape.of),
}


class InferContext:
    """What an op's `infer` sees: input types, attributes, constant inputs, and the node's name."""

    def __init__(self, node: "Node"):
        self.node = node
        self.attrs = node.attrs
        self.input_types: list[TensorType] = [v.type for v in node.inputs]

    def error(self, message: str) -> TypeInferenceError:
        return TypeInferenceError(f"{self.node.describe()}: {message}")

    def shape(self, index: int) -> PartialShape:
        return self.input_types[index].shape

    def element_type(self, index: int) -> ElementType:
        return self.input_types[index].element_type

    def const(self, index: int) -> np.ndarray | None:
        """The value of input `index` if it is known at compile time (small constant subgraphs)."""
        from vinify.ir import constant_value

        return constant_value(self.node.inputs[index])

    def same_element_type(self, *indices: int) -> ElementType:
        types = {self.input_types[i].element_type for i in indices}
        if len(types) != 1:
            names = ", ".join(str(self.input_types[i]) for i in indices)
            raise self.error(f"inputs must share one element type, got {names}")
        return types.pop()


class Op:
    """Base of every op version. Subclasses set the class attributes and override infer/evaluate."""

    name: ClassVar[str]
    version: ClassVar[int]
    domain: ClassVar[str] = ""  # "" for the OpenVINO opsets, "vinify" for internal ops
    attributes: ClassVar[tuple[Attr, ...]] = ()
    num_inputs: ClassVar[tuple[int, int | None]] = (1, 1)  # min, max (None: unbounded)

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int | None:
        """The output count from attributes; None when an input decides it (`infer` then does)."""
        return 1

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        raise NotImplementedError(f"{cls.key()} has no type inference")

    @classmethod
    def evaluate(cls, attrs: dict, *inputs: np.ndarray) -> Any:
        """Outputs for concrete inputs: one array, or a tuple for several outputs."""
        raise NotImplementedError(f"{cls.key()} has no reference implementation")

    @classmethod
    def key(cls) -> str:
        return f"{cls.name}<{cls.version}>"

    @classmethod
    def attribute(cls, name: str) -> Attr:
        for attr in cls.attributes:
            if attr.name == name:
                return attr
        raise KeyError(name)

    @classmethod
    def complete_attrs(cls, attrs: dict, where: str) -> dict:
        """Attributes coerced to their kinds with defaults filled in; unknown/missing are errors."""
        known = {a.name for a in cls.attributes}
        unknown = sorted(set(attrs) - known)
        if unknown:
            raise IRError(f"{where}: unknown attribute(s) {unknown} for {cls.key()}")
        result = {}
        for attr in cls.attributes:
            if attr.name in attrs:
                result[attr.name] = attr.coerce(attrs[attr.name], where)
            elif attr.default is REQUIRED:
                raise IRError(f"{where}: missing required attribute '{attr.name}' of {cls.key()}")
            else:
                result[attr.name] = attr.default
        return result


_REGISTRY: dict[tuple[str, str, int], type[Op]] = {}


def register(cls: type[Op]) -> type[Op]:
    """Class decorator: declares an op version. Each (domain, name, version) once."""
    key = (cls.domain, cls.name, cls.version)
    if key in _REGISTRY:
        raise IRError(f"op {cls.key()} declared twice")
    _REGISTRY[key] = cls
    return cls


def lookup_op(name: str, version: int, domain: str | None = None) -> type[Op]:
    """The op class for name<version>; searches the OpenVINO domain, then internal ones."""
    _load_ops()
    domains = [domain] if domain is not None else _domains()
    for dom in domains:
        if (dom, name, version) in _REGISTRY:
            return _REGISTRY[(dom, name, version)]
    versions = sorted(v for d, n, v in _REGISTRY if n == name)
    hint = f"; known versions: {versions}" if versions else ""
    raise UnknownOpError(f"unknown op {name}<{version}>{hint}")


_DOMAINS_CACHE: tuple[int, list[str]] = (-1, [])


def _domains() -> list[str]:
    """The registered domains, "" (OpenVINO) first; recomputed only when ops were added."""
    global _DOMAINS_CACHE
    if _DOMAINS_CACHE[0] != len(_REGISTRY):
        _DOMAINS_CACHE = (len(_REGISTRY), sorted({d for d, _, _ in _REGISTRY}))
    return _DOMAINS_CACHE[1]


def registered_ops() -> dict[tuple[str, str, int], type[Op]]:
    _load_ops()
    return dict(_REGISTRY)


def _load_ops() -> None:
    import vinify.ops  # noqa: F401  (importing declares every op)


def check_arity(cls: type[Op], count: int, where: str) -> None:
    low, high = cls.num_inputs
    if count < low or (high is not None and count > high):
        expected = f"{low}" if low == high else f"{low}..{'' if high is None else high}"
        raise IRError(f"{where}: {cls.key()} takes {expected} inputs, got {count}")


def as_arrays(outputs: Any, count: int) -> Sequence[np.ndarray]:
    if count == 1 and not isinstance(outputs, (tuple, list)):
        return [outputs]
    return list(outputs)
