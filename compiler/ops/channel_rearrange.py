"""Channel rearrangements: DepthToSpace, SpaceToDepth and ShuffleChannels (each one reshape,
one transpose, one reshape)."""


import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import normalize_axis
from vinify.shapes import Dimension, PartialShape, TensorType

BLOCK_ATTRS = (Attr("mode", "str", choices=("blocks_first", "depth_first")),
               Attr("block_size", "int", 1))


def _divide_dim(ctx: InferContext, dim: Dimension, divisor: int, what: str) -> Dimension:
    if dim.is_static:
        if dim.min % divisor:
            raise ctx.error(f"{what} {dim} is not divisible by {divisor}")
        return Dimension.of(dim.min // divisor)
    return Dimension(-(-dim.min // divisor), None if dim.max is None else dim.max // divisor)


def _check_block(ctx: InferContext) -> tuple[PartialShape, int] | None:
    data = ctx.shape(0)
    if ctx.attrs["block_size"] < 1:
        raise ctx.error(f"block_size must be positive, got {ctx.attrs['block_size']}")
    if not data.rank_is_static:
        return None
    if data.rank < 3:
        raise ctx.error(f"data must have rank >= 3, got {data}")
    return data, ctx.attrs["block_size"]


@register
class DepthToSpace(Op):
    """[N, C*bs^K, D1..DK] -> [N, C, D1*bs, ..., DK*bs]; mode says how C and the blocks nest."""

    name, version = "DepthToSpace", 1
    attributes = BLOCK_ATTRS

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        checked = _check_block(ctx)
        if checked is None:
            return [ctx.input_types[0]]
        data, block = checked
        spatial = data.rank - 2
        channels = _divide_dim(ctx, data[1], block ** spatial, "channels")
        dims = (data[0], channels) + tuple(d * block for d in data.dims[2:])
        return [TensorType(ctx.element_type(0), PartialShape(dims))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        block, spatial = attrs["block_size"], x.ndim - 2
        channels = x.shape[1] // block ** spatial
        blocks = (block,) * spatial
        if attrs["mode"] == "blocks_first":
            split = x.reshape((x.shape[0],) + blocks + (channels,) + x.shape[2:])
            channel_axis, block_axes = 1 + spatial, list(range(1, 1 + spatial))
        else:
            split = x.reshape((x.shape[0], channels) + blocks + x.shape[2:])
            channel_axis, block_axes = 1, list(range(2, 2 + spatial))
        order = [0, channel_axis]
        for i in range(spatial):
            order += [2 + spatial + i, block_axes[i]]
        out = (x.shape[0], channels) + tuple(n * block for n in x.shape[2:])
        return split.transpose(order).reshape(out)


@register
class SpaceToDepth(Op):
    """[N, C, D1..DK] -> [N, C*bs^K, D1/bs, ..., DK/bs], the inverse of DepthToSpace."""

    name, version = "SpaceToDepth", 1
    attributes = BLOCK_ATTRS

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        checked = _check_block(ctx)
        if checked is None:
            return [ctx.input_types[0]]
        data, block = checked
        spatial = data.rank - 2
        dims = [_divide_dim(ctx, d, block, f"spatial axis {2 + i}")
                for i, d in enumerate(data.dims[2:])]
        return [TensorType(ctx.element_type(0),
                           PartialShape((data[0], data[1] * block ** spatial) + tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        block, spatial = attrs["block_size"], x.ndim - 2
        split_shape = list(x.shape[:2])
        for n in x.shape[2:]:
            split_shape += [n // block, block]
        split = x.reshape(split_shape)
        outer = [2 + 2 * i for i in range(spatial)]
        inner = [3 + 2 * i for i in range(spatial)]
        order = [0] + (inner + [1] if attrs["mode"] == "blocks_first" else [1] + inner) + outer
        out = (x.shape[0], x.shape[1] * block ** spatial) + tuple(n // block for n in x.shape[2:])
        return split.transpose(order).reshape(out)


@register
class ShuffleChannels(Op):
    """Splits `axis` into [group, C/group] and swaps the two (ShuffleNet's channel shuffle)."""

    name, version = "ShuffleChannels", 1
    attributes = (Attr("axis", "int", 1), Attr("group", "int", 1))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        data = ctx.shape(0)
        if ctx.attrs["group"] < 1:
            raise ctx.error(f"group must be positive, got {ctx.attrs['group']}")
        if data.rank_is_static:
            axis = normalize_axis(ctx, ctx.attrs["axis"], data.rank)
            _divide_dim(ctx, data[axis], ctx.attrs["group"], f"axis {axis} ({data[axis]})")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        axis, group = attrs["axis"] % x.ndim, attrs["group"]
        split = x.reshape(x.shape[:axis] + (group, x.shape[axis] // group) + x.shape[axis + 1:])
        return np.swapaxes(split, axis, axis + 1).reshape(x.shape)


