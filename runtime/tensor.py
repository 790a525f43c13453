"""Tensor: a numpy array with the element type a model port sees, as in OpenVINO's API."""

from typing import Any

import numpy as np
from vinify.types import ElementType, element_type


class Tensor:
    """Wraps (never copies) an array; `data` is the array itself, writable in place."""

    def __init__(self, array: Any, shared_memory: bool = True):
        self._data = np.asarray(array) if shared_memory else np.array(array, copy=True)

    @property
    def data(self) -> np.ndarray:
        return self._data

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self._data.shape)

    @property
    def element_type(self) -> ElementType:
        return element_type(self._data.dtype)

    @property
    def size(self) -> int:
        return int(self._data.size)

    @property
    def byte_size(self) -> int:
        return int(self._data.nbytes)

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def __repr__(self) -> str:
        return f"<Tensor {self._data.dtype}{list(self._data.shape)}>"


def as_array(item: Any) -> np.ndarray:
    """The array behind a Tensor, or the item as an array."""
    return item.data if isinstance(item, Tensor) else np.asarray(item)
