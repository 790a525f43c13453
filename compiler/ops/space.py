"""BatchToSpace<2> and SpaceToBatch<2> move blocks of spatial data to and from the batch axis;
ExtractImagePatches<3> lays image patches out along the channel axis.

block_shape has one entry per data axis (the first must be 1). SpaceToBatch pads each axis,
cuts it into blocks and stacks the block offsets into the batch; BatchToSpace is its inverse
followed by a crop. They are exact inverses for matching pads and crops.
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_inputs import const_ints, require_integral
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType


def _block_inputs(ctx: InferContext, what: str):
    """(block, begin, end) as int lists, or None when any is unknown; checks their lengths."""
    require_integral(ctx, 1, 2, 3)
    shape = ctx.shape(0)
    values = [const_ints(ctx, i) for i in (1, 2, 3)]
    if None in values or not shape.rank_is_static:
        return None
    block, begin, end = values
    if shape.rank < 2:
        raise ctx.error(f"data must have rank >= 2, got {shape}")
    if not len(block) == len(begin) == len(end) == shape.rank:
        raise ctx.error(f"block_shape {block}, {what}_begin {begin} and {what}_end {end} "
                        f"need one value per axis of {shape}")
    if block[0] != 1 or any(b < 1 for b in block):
        raise ctx.error(f"block_shape {block} must be positive with block_shape[0] == 1")
    if any(v < 0 for v in begin + end):
        raise ctx.error(f"{what}_begin {begin} and {what}_end {end} must not be negative")
    return block, begin, end


def _dynamic_like(ctx: InferContext) -> PartialShape:
    shape = ctx.shape(0)
    return PartialShape((DYNAMIC,) * shape.rank) if shape.rank_is_static else DYNAMIC_RANK


def _scaled(dim: Dimension, factor: int, offset: int) -> Dimension:
    high = None if dim.max is None else max(dim.max * factor - offset, 0)
    return Dimension(max(dim.min * factor - offset, 0), high)


@register
class BatchToSpace(Op):
    """Moves batch blocks into the spatial axes, then crops crops_begin/crops_end."""

    name, version = "BatchToSpace", 2
    num_inputs = (4, 4)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.element_type(0)
        inputs = _block_inputs(ctx, "crops")
        if inputs is None:
            return [TensorType(elem, _dynamic_like(ctx))]
        block, begin, end = inputs
        shape = ctx.shape(0)
        total = int(np.prod(block))
        batch = shape[0]
        if batch.is_static and batch.min % total:
            raise ctx.error(f"batch {batch.min} is not divisible by the block volume {total}")
        dims = [Dimension(-(-batch.min // total),
                          None if batch.max is None else batch.max // total)]
        for dim, size, low, high in zip(shape[1:], block[1:], begin[1:], end[1:]):
            if dim.is_static and low + high > dim.min * size:
                raise ctx.error(f"crops {low}+{high} exceed axis length {dim.min * size}")
            dims.append(_scaled(dim, size, low + high))
        return [TensorType(elem, PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, block: np.ndarray, begin: np.ndarray,
                 end: np.ndarray) -> np.ndarray:
        blocks = [int(b) for b in block.reshape(-1)][1:]
        rank = data.ndim
        batch = data.shape[0] // int(np.prod(blocks))
        staged = data.reshape(blocks + [batch] + list(data.shape[1:]))
        order = [rank - 1]
        for i in range(1, rank):
            order += [rank - 1 + i, i - 1]
        moved = staged.transpose(order)
        merged = moved.reshape([batch] + [d * b for d, b in zip(data.shape[1:], blocks)])
        index = tuple(slice(int(b), merged.shape[i] - int(e))
                      for i, (b, e) in enumerate(zip(begin.reshape(-1), end.reshape(-1))))
        return merged[index].copy()


@register
class SpaceToBatch(Op):
    """Pads the spatial axes, cuts them into blocks and stacks block offsets into the batch."""

    name, version = "SpaceToBatch", 2
    num_inputs = (4, 4)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        elem = ctx.element_type(0)
        inputs = _block_inputs(ctx, "pads")
        if inputs is None:
            return [TensorType(elem, _dynamic_like(ctx))]
        block, begin, end = inputs
        shape = ctx.shape(0)
        dims = [shape[0] * int(np.prod(block))]
        for dim, size, low, high in zip(shape[1:], block[1:], begin[1:], end[1:]):
            padded = dim + (low + high)
            if padded.is_static and padded.min % size:
                raise ctx.error(f"padded axis length {padded.min} is not divisible by {size}")
            dims.append(Dimension(-(-padded.min // size),
                                  None if padded.max is None else padded.max // size))
        if begin[0] or end[0]:
            dims[0] = (shape[0] + (begin[0] + end[0])) * int(np.prod(block))
        return [TensorType(elem, PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, block: np.ndarray, begin: np.ndarray,
                 end: np.ndarray) -> np.ndarray:
        blocks = [int(b) for b in block.reshape(-1)]
        pads = [(int(b), int(e)) for b, e in zip(begin.reshape(-1), end.reshape(-1))]
        padded = np.pad(data, pads)
        rank = data.ndim
        split = [padded.shape[0]]
        for size, length in zip(blocks[1:], padded.shape[1:]):
            split += [length // size, size]
        staged = padded.reshape(split)
        order = [2 * i for i in range(1, rank)] + [0] + [2 * i - 1 for i in range(1, rank)]
        moved = staged.transpose(order)
        batch = padded.shape[0] * int(np.prod(blocks))
        return moved.reshape([batch] + [length // size for size, length in
                                        zip(blocks[1:], padded.shape[1:])]).copy()


def _patch_geometry(length: int, size: int, stride: int, rate: int, auto_pad: str):
    """(output length, padding before) of one spatial axis, TensorFlow style."""
    extent = (size - 1) * rate + 1
    if auto_pad == "valid":
        return max((length - extent) // stride + 1, 0), 0
    count = -(-length // stride)
    total = max((count - 1) * stride + extent - length, 0)
    return count, total // 2 if auto_pad == "same_upper" else total - total // 2


def _patch_dim(dim: Dimension, size: int, stride: int, rate: int, auto_pad: str) -> Dimension:
    if dim.is_static:
        return Dimension.of(_patch_geometry(dim.min, size, stride, rate, auto_pad)[0])
    low = _patch_geometry(dim.min, size, stride, rate, auto_pad)[0]
    high = None if dim.max is None else _patch_geometry(dim.max, size, stride, rate, auto_pad)[0]
    return Dimension(low, high)


@register
class ExtractImagePatches(Op):
    """Image patches [N, C, H, W] -> [N, C*sizes[0]*sizes[1], out_rows, out_cols]; the patch
    depth is ordered (row, column, channel) as TensorFlow's extract_image_patches does."""

    name, version = "ExtractImagePatches", 3
    attributes = (Attr("sizes", "ints"), Attr("strides", "ints"), Attr("rates", "ints"),
                  Attr("auto_pad", "str", choices=("valid", "same_upper", "same_lower")))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        for key in ("sizes", "strides", "rates"):
            values = ctx.attrs[key]
            if len(values) != 2 or any(v < 1 for v in values):
                raise ctx.error(f"{key} must be two positive values, got {list(values)}")
        shape = ctx.shape(0)
        if not shape.rank_is_static:
            return [TensorType(ctx.element_type(0), PartialShape((DYNAMIC,) * 4))]
        if shape.rank != 4:
            raise ctx.error(f"data must have rank 4 (N, C, H, W), got {shape}")
        sizes, strides, rates = (ctx.attrs[k] for k in ("sizes", "strides", "rates"))
        depth = shape[1] * (sizes[0] * sizes[1])
        spatial = [_patch_dim(shape[2 + i], sizes[i], strides[i], rates[i], ctx.attrs["auto_pad"])
                   for i in range(2)]
        return [TensorType(ctx.element_type(0), PartialShape((shape[0], depth, *spatial)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray) -> np.ndarray:
        sizes, strides, rates = attrs["sizes"], attrs["strides"], attrs["rates"]
        batch, channels = data.shape[:2]
        rows = _patch_geometry(data.shape[2], sizes[0], strides[0], rates[0], attrs["auto_pad"])
        cols = _patch_geometry(data.shape[3], sizes[1], strides[1], rates[1], attrs["auto_pad"])
        reach = [(n - 1) * s + (k - 1) * r + 1 for n, s, k, r in
                 ((rows[0], strides[0], sizes[0], rates[0]), (cols[0], strides[1], sizes[1],
                                                              rates[1]))]
        padded = np.zeros((batch, channels, max(reach[0], data.shape[2] + rows[1]),
                           max(reach[1], data.shape[3] + cols[1])), data.dtype)
        padded[:, :, rows[1]:rows[1] + data.shape[2], cols[1]:cols[1] + data.shape[3]] = data
        out = np.empty((batch, sizes[0], sizes[1], channels, rows[0], cols[0]), data.dtype)
        for i in range(sizes[0]):
            for j in range(sizes[1]):
                top, left = i * rates[0], j * rates[1]
                out[:, i, j] = padded[:, :, top:top + (rows[0] - 1) * strides[0] + 1:strides[0],
                                      left:left + (cols[0] - 1) * strides[1] + 1:strides[1]]
        return out.reshape(batch, sizes[0] * sizes[1] * channels, rows[0], cols[0])
