"""FakeQuantize: values clamped to an input range and snapped to `levels` evenly spaced points of
an output range; the op through which INT8 models are expressed in the IR."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import broadcast_shapes
from vinify.shapes import TensorType


def fake_quantize(x, input_low, input_high, output_low, output_high, levels: int) -> np.ndarray:
    """Below min(input_low, input_high): output_low; above the max: output_high; between:
    round((x - input_low) / (input_high - input_low) * (levels - 1)) mapped onto the output range
    (rounding half to even, as nearbyint does)."""
    x, il, ih, ol, oh = (np.asarray(a, np.float64) for a in
                         (x, input_low, input_high, output_low, output_high))
    span = np.where(ih == il, 1.0, ih - il)
    steps = np.round((x - il) / span * (levels - 1))
    quantized = steps / (levels - 1) * (oh - ol) + ol
    result = np.where(x <= np.minimum(il, ih), ol, np.where(x > np.maximum(il, ih), oh, quantized))
    return result


@register
class FakeQuantize(Op):
    name, version = "FakeQuantize", 1
    num_inputs = (5, 5)
    attributes = (Attr("levels", "int"),
                  Attr("auto_broadcast", "str", "numpy", ("numpy", "none", "pdpd")))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.same_element_type(0, 1, 2, 3, 4)
        if not elem.is_float:
            raise ctx.error(f"FakeQuantize takes floating point inputs, got {elem}")
        if ctx.attrs["levels"] < 2:
            raise ctx.error(f"levels must be at least 2, got {ctx.attrs['levels']}")
        shape = ctx.shape(0)
        for index in range(1, 5):
            shape = broadcast_shapes(ctx, shape, ctx.shape(index), ctx.attrs["auto_broadcast"])
        return [TensorType(elem, shape)]

    @classmethod
    def evaluate(cls, attrs: dict, x, input_low, input_high, output_low, output_high):
        return fake_quantize(x, input_low, input_high, output_low, output_high, attrs["levels"])
