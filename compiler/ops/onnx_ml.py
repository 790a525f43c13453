"""Internal ops (domain "vinify") for the cheap ONNX-ML ops without an OpenVINO op:
LabelEncoder."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import TensorType
from vinify.types import element_type


@register
class LabelEncoder(Op):
    """Maps each input element through keys -> values; unmatched elements get `default`."""

    name, version, domain = "LabelEncoder", 1, "vinify"
    attributes = (Attr("keys", "tensor"), Attr("values", "tensor"), Attr("default", "tensor"))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        keys, values = ctx.attrs["keys"], ctx.attrs["values"]
        if keys.size != values.size:
            raise ctx.error(f"{keys.size} keys for {values.size} values")
        return [TensorType(element_type(values.dtype), ctx.shape(0))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        keys, values = attrs["keys"].reshape(-1), attrs["values"].reshape(-1)
        default = attrs["default"].reshape(-1)[0]
        table = {_key(k): v for k, v in zip(keys, values)}
        mapped = [table.get(_key(item), default) for item in x.reshape(-1)]
        return np.array(mapped, dtype=values.dtype).reshape(x.shape)


def _key(item):
    if isinstance(item, bytes):
        return item.decode("utf-8")
    if isinstance(item, (float, np.floating)) and np.isnan(item):
        return "nan"  # NaN keys match NaN inputs
    return item.item() if isinstance(item, np.generic) else item
