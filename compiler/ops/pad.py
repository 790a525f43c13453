"""Pad 1 and 12: constant, edge, reflect and symmetric padding; v12 also crops (negative pads)."""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import DYNAMIC, Dimension, PartialShape, TensorType

PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def padded_dim(dim: Dimension, total: int) -> Dimension:
    high = None if dim.max is None else max(dim.max + total, 0)
    return Dimension(max(dim.min + total, 0), high)


def _pads(ctx: InferContext, index: int, rank: int | None) -> np.ndarray | None:
    if ctx.element_type(index).kind not in ("int", "uint"):
        raise ctx.error(f"pads must be an integer tensor, got {ctx.element_type(index)}")
    shape = ctx.shape(index)
    if shape.rank_is_static and shape.rank != 1:
        raise ctx.error(f"pads must be 1D, got {shape}")
    pads = ctx.const(index)
    if pads is not None and rank is not None and pads.size != rank:
        raise ctx.error(f"{'pads_begin' if index == 1 else 'pads_end'} has {pads.size} values "
                        f"for data of rank {rank}")
    return pads


def _check_mode_limits(ctx: InferContext, data: PartialShape, begin, end) -> None:
    """reflect needs pads < dim, symmetric pads <= dim (where dims are static)."""
    mode = ctx.attrs["pad_mode"]
    if mode not in ("reflect", "symmetric"):
        return
    margin = 1 if mode == "reflect" else 0
    for axis, dim in enumerate(data.dims):
        largest = max(int(begin[axis]), int(end[axis]))
        if dim.is_static and largest > dim.min - margin:
            raise ctx.error(f"{mode} padding of {largest} on axis {axis} needs a dimension of at "
                            f"least {largest + margin}, got {dim}")


class PadBase(Op):
    num_inputs = (3, 4)
    attributes = (Attr("pad_mode", "str", choices=PAD_MODES),)
    allows_negative = False

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        data = ctx.shape(0)
        rank = data.rank if data.rank_is_static else None
        begin, end = _pads(ctx, 1, rank), _pads(ctx, 2, rank)
        if len(ctx.input_types) == 4 and ctx.element_type(3) != ctx.element_type(0):
            raise ctx.error(f"pad_value must be {ctx.element_type(0)}, got {ctx.element_type(3)}")
        if rank is None:
            return [TensorType(ctx.element_type(0), data)]
        if begin is None or end is None:
            return [TensorType(ctx.element_type(0), PartialShape((DYNAMIC,) * rank))]
        if not cls.allows_negative and (np.any(begin < 0) or np.any(end < 0)):
            raise ctx.error(f"{cls.key()} takes no negative pads, got {begin.tolist()} and "
                            f"{end.tolist()}")
        _check_mode_limits(ctx, data, begin, end)
        dims = tuple(padded_dim(d, int(b) + int(e)) for d, b, e in zip(data.dims, begin, end))
        return [TensorType(ctx.element_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, attrs: dict, x, begin, end, value=None) -> np.ndarray:
        begin = [int(b) for b in np.asarray(begin).ravel()]
        end = [int(e) for e in np.asarray(end).ravel()]
        crop = tuple(slice(max(-b, 0), x.shape[i] - max(-e, 0))
                     for i, (b, e) in enumerate(zip(begin, end)))
        x = x[crop]
        widths = [(max(b, 0), max(e, 0)) for b, e in zip(begin, end)]
        mode = attrs["pad_mode"]
        if mode == "constant":
            fill = 0 if value is None else np.asarray(value).reshape(()).item()
            return np.pad(x, widths, mode="constant", constant_values=fill)
        return np.pad(x, widths, mode=mode)


@register
class PadV1(PadBase):
    """Inputs: data, pads_begin, pads_end, optional pad_value (constant mode; default 0)."""

    name, version = "Pad", 1


@register
class PadV12(PadBase):
    """Pad<1> where negative pads remove elements from that end."""

    name, version = "Pad", 12
    allows_negative = True
