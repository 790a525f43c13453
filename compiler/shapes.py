"""Dimensions and shapes: static (3), dynamic (?) and bounded (1..64), and tensor types.

A `Dimension` is an interval [min, max] with max=None meaning unbounded; it is static when
min == max. A `PartialShape` is a tuple of dimensions, or dynamic rank (`dims is None`).
Text forms: `3`, `?`, `1..64`, `2..` ; shapes `[1,3,?,1..64]`, `[...]` (dynamic rank), `[]`.
"""

from dataclasses import dataclass
from typing import Iterable, Union

from vinify.errors import IRError
from vinify.types import ElementType


@dataclass(frozen=True)
class Dimension:
    min: int = 0
    max: int | None = None

    def __post_init__(self):
        if self.min < 0 or (self.max is not None and self.max < self.min):
            raise IRError(f"invalid dimension bounds {self.min}..{self.max}")

    @staticmethod
    def of(spec: "DimLike") -> "Dimension":
        if isinstance(spec, Dimension):
            return spec
        if spec is None or spec == "?" or spec == -1:
            return DYNAMIC
        if isinstance(spec, str):
            return Dimension.parse(spec)
        value = int(spec)
        if value < 0:
            raise IRError(f"negative dimension {value}")
        return Dimension(value, value)

    @staticmethod
    def parse(text: str) -> "Dimension":
        text = text.strip()
        if text == "?":
            return DYNAMIC
        if ".." in text:
            low, high = text.split("..", 1)
            return Dimension(int(low) if low else 0, int(high) if high else None)
        return Dimension.of(int(text))

    @property
    def is_static(self) -> bool:
        return self.max == self.min

    @property
    def is_dynamic(self) -> bool:
        return not self.is_static

    def get_length(self) -> int:
        if not self.is_static:
            raise IRError(f"dimension {self} is not static")
        return self.min

    def contains(self, size: int) -> bool:
        return self.min <= size and (self.max is None or size <= self.max)

    def compatible(self, other: "Dimension") -> bool:
        """True when some length fits both intervals."""
        high = min(x for x in (self.max, other.max, 1 << 62) if x is not None)
        return max(self.min, other.min) <= high

    def __str__(self) -> str:
        if self.is_static:
            return str(self.min)
        if self.min == 0 and self.max is None:
            return "?"
        return f"{self.min}..{'' if self.max is None else self.max}"

    __repr__ = __str__

    def __add__(self, other: "DimLike") -> "Dimension":
        other = Dimension.of(other)
        high = None if self.max is None or other.max is None else self.max + other.max
        return Dimension(self.min + other.min, high)

    def __mul__(self, other: "DimLike") -> "Dimension":
        other = Dimension.of(other)
        high = None if self.max is None or other.max is None else self.max * other.max
        return Dimension(self.min * other.min, high)


DYNAMIC = Dimension(0, None)
DimLike = Union[Dimension, int, str, None]


@dataclass(frozen=True)
class PartialShape:
    dims: tuple[Dimension, ...] | None

    @staticmethod
    def of(spec: "ShapeLike") -> "PartialShape":
        if isinstance(spec, PartialShape):
            return spec
        if spec is None or spec == "...":
            return DYNAMIC_RANK
        if isinstance(spec, str):
            return PartialShape.parse(spec)
        return PartialShape(tuple(Dimension.of(d) for d in spec))

    @staticmethod
    def parse(text: str) -> "PartialShape":
        body = text.strip()
        if body.startswith("[") and body.endswith("]"):
            body = body[1:-1]
        body = body.strip()
        if body == "...":
            return DYNAMIC_RANK
        if not body:
            return PartialShape(())
        return PartialShape(tuple(Dimension.parse(part) for part in body.split(",")))

    @property
    def rank_is_static(self) -> bool:
        return self.dims is not None

    @property
    def rank(self) -> int:
        if self.dims is None:
            raise IRError("shape has a dynamic rank")
        return len(self.dims)

    @property
    def is_static(self) -> bool:
        return self.dims is not None and all(d.is_static for d in self.dims)

    def to_tuple(self) -> tuple[int, ...]:
        """The static shape as ints; an IRError if any dimension is dynamic."""
        if not self.is_static:
            raise IRError(f"shape {self} is not static")
        return tuple(d.min for d in self.dims)

    def __len__(self) -> int:
        return self.rank

    def __getitem__(self, index):
        return self.dims[index] if self.dims is not None else DYNAMIC

    def __iter__(self):
        return iter(self.dims or ())

    def accepts(self, concrete: Iterable[int]) -> bool:
        """True when a concrete shape conforms to this partial shape."""
        concrete = tuple(concrete)
        if self.dims is None:
            return True
        return len(concrete) == len(self.dims) and all(
            d.contains(n) for d, n in zip(self.dims, concrete)
        )

    def compatible(self, other: "PartialShape") -> bool:
        if self.dims is None or other.dims is None:
            return True
        return len(self.dims) == len(other.dims) and all(
            a.compatible(b) for a, b in zip(self.dims, other.dims)
        )

    def __str__(self) -> str:
        if self.dims is None:
            return "[...]"
        return "[" + ",".join(str(d) for d in self.dims) + "]"

    __repr__ = __str__


DYNAMIC_RANK = PartialShape(None)
ShapeLike = Union[PartialShape, Iterable[DimLike], str, None]


@dataclass(frozen=True)
class TensorType:
    """The type of an SSA value: element type and partial shape. Printed `f32[1,3,?,?]`."""

    element_type: ElementType
    shape: PartialShape

    def __str__(self) -> str:
        return f"{self.element_type}{self.shape}"

    __repr__ = __str__

    def compatible(self, other: "TensorType") -> bool:
        return self.element_type == other.element_type and self.shape.compatible(other.shape)
