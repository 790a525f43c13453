"""The memory planner: every intermediate tensor gets an offset in one 64-byte-aligned arena.

Tensors whose lifetimes (first and last step that touch them, inclusive) do not overlap may share
bytes. Placement is greedy by size, largest first, each at the lowest aligned offset free of every
already-placed tensor it is alive with (the usual first-fit heuristic; near optimal on CNNs).
"""

from dataclasses import dataclass

ARENA_ALIGNMENT = 64
# GEMM tiles load a few elements past a tensor's end (and never use them): keep them in bounds.
ARENA_SLACK = 256


@dataclass(frozen=True)
class TensorLife:
    name: str
    nbytes: int
    first: int
    last: int

    def overlaps(self, other: "TensorLife") -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass
class ArenaPlan:
    offsets: dict[str, int]
    size: int

    def describe(self) -> str:
        return f"arena of {self.size} bytes for {len(self.offsets)} tensors"


def align_up(value: int, alignment: int = ARENA_ALIGNMENT) -> int:
    return (value + alignment - 1) // alignment * alignment


def plan_arena(tensors: list[TensorLife]) -> ArenaPlan:
    """Offsets (multiples of 64) such that tensors alive at the same step never share bytes."""
    placed: list[tuple[TensorLife, int]] = []
    offsets: dict[str, int] = {}
    for tensor in sorted(tensors, key=lambda t: (-t.nbytes, t.first, t.name)):
        offset = _lowest_free_offset(tensor, placed)
        placed.append((tensor, offset))
        offsets[tensor.name] = offset
    size = max((offset + align_up(t.nbytes) for t, offset in placed), default=0)
    return ArenaPlan(offsets, align_up(size) + ARENA_SLACK)


def _lowest_free_offset(tensor: TensorLife, placed: list[tuple[TensorLife, int]]) -> int:
    busy = sorted((offset, offset + align_up(other.nbytes))
                  for other, offset in placed if other.overlaps(tensor))
    candidate = 0
    for start, end in busy:
        if candidate + tensor.nbytes <= start:
            return candidate
        candidate = max(candidate, end)
    return candidate
