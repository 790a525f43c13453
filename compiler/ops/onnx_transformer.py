"""Internal ops (domain "vinify") for ONNX transformer building blocks without an OpenVINO op:
RotaryEmbedding (RoPE)."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import TensorType


@register
class RotaryEmbedding(Op):
    """Rotates pairs of features by position-dependent angles (ONNX RotaryEmbedding, opset 23).

    Input X is [batch, heads, sequence, head] or [batch, sequence, heads * head] (then
    `num_heads` is needed); the caches hold cos/sin per (position or batch, sequence) and pair.
    Pairs are the two halves of the rotated part, or neighbours when `interleaved`.
    """

    name, version, domain = "RotaryEmbedding", 1, "vinify"
    num_inputs = (3, 4)
    attributes = (Attr("interleaved", "bool", False), Attr("num_heads", "int", 0),
                  Attr("rotary_embedding_dim", "int", 0))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        shape = ctx.shape(0)
        if shape.rank_is_static and shape.rank not in (3, 4):
            raise ctx.error(f"X must be 3-D or 4-D, got {shape}")
        if shape.rank_is_static and shape.rank == 3 and ctx.attrs["num_heads"] <= 0:
            raise ctx.error("a 3-D X needs num_heads")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray, cos: np.ndarray, sin: np.ndarray,
                 positions: np.ndarray | None = None) -> np.ndarray:
        if x.ndim == 4:  # -> [batch, sequence, heads, head]
            work = x.transpose(0, 2, 1, 3)
        else:
            work = x.reshape(x.shape[0], x.shape[1], attrs["num_heads"], -1)
        if positions is not None:
            cos, sin = cos[positions], sin[positions]
        width = attrs["rotary_embedding_dim"] or work.shape[-1]
        cos, sin = cos[:, :, None, :], sin[:, :, None, :]
        rotated = work[..., :width].astype(np.float64)
        if attrs["interleaved"]:
            first, second = rotated[..., 0::2], rotated[..., 1::2]
        else:
            first, second = rotated[..., :width // 2], rotated[..., width // 2:]
        real = cos * first - sin * second
        imaginary = sin * first + cos * second
        if attrs["interleaved"]:
            turned = np.stack([real, imaginary], axis=-1).reshape(rotated.shape)
        else:
            turned = np.concatenate([real, imaginary], axis=-1)
        result = np.concatenate([turned.astype(x.dtype), work[..., width:]], axis=-1)
        if x.ndim == 4:
            return result.transpose(0, 2, 1, 3)
        return result.reshape(x.shape)
