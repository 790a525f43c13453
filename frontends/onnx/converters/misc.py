"""Converters for ONNX ops built from several OpenVINO ops: CenterCropPad, GridSample, Col2Im,
AffineGrid."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.shape import (
    concat,
    convert,
    gather_dims,
    i64_const,
    reshape,
    scalar_like,
    shape_of,
    slice_dims,
    static_rank,
    unsqueeze,
)
from vinify.frontends.onnx.registry import converter
from vinify.ir import Value, as_value
from vinify.types import f32, i64


def _binary(ctx: NodeContext, op: str, a: Value, b: Value) -> Value:
    return as_value(ctx.make(op, 1, a, b))


@converter("CenterCropPad", since=18)
def center_crop_pad(ctx: NodeContext) -> Value:
    """Crops (start (dim - size) // 2) or zero-pads (before: (size - dim) // 2) each axis."""
    data = ctx.input(0)
    rank = static_rank(ctx, data)
    axes = [a % rank for a in ctx.attr("axes", list(range(rank)))]
    sizes = convert(ctx, ctx.input(1), i64)
    dims = gather_dims(ctx, shape_of(ctx, data), axes)
    excess = _binary(ctx, "Subtract", dims, sizes)
    zero, two = i64_const(ctx, 0), i64_const(ctx, 2)
    start = _binary(ctx, "Divide", _binary(ctx, "Maximum", excess, zero), two)
    stop = _binary(ctx, "Add", start, _binary(ctx, "Minimum", dims, sizes))
    axes_value = i64_const(ctx, axes)
    cropped = as_value(ctx.make("Slice", 8, data, start, stop, i64_const(ctx, [1] * len(axes)),
                                axes_value))
    missing = _binary(ctx, "Maximum", as_value(ctx.make("Negative", 1, excess)), zero)
    before = _binary(ctx, "Divide", missing, two)
    after = _binary(ctx, "Subtract", missing, before)
    zeros = i64_const(ctx, [0] * rank)
    begins, ends = (as_value(ctx.make("ScatterElementsUpdate", 12, zeros, axes_value, part,
                                      i64_const(ctx, 0))) for part in (before, after))
    return as_value(ctx.make("Pad", 12, cropped, begins, ends, scalar_like(ctx, 0, data),
                             pad_mode="constant"))


_GRID_MODES = {"linear": "bilinear", "bilinear": "bilinear", "cubic": "bicubic",
               "bicubic": "bicubic", "nearest": "nearest"}


@converter("GridSample", since=16)
def grid_sample(ctx: NodeContext) -> Value:
    mode = ctx.attr("mode", "linear" if ctx.opset >= 20 else "bilinear")
    if mode not in _GRID_MODES:
        raise ctx.error(f"unknown GridSample mode '{mode}'")
    grid = ctx.input(1)
    data = ctx.input(0)
    if grid.element_type != data.element_type:
        grid = convert(ctx, grid, data.element_type)
    return as_value(ctx.make("GridSample", 9, data, grid,
                             align_corners=bool(ctx.attr("align_corners", 0)),
                             mode=_GRID_MODES[mode],
                             padding_mode=ctx.attr("padding_mode", "zeros")))


@converter("Col2Im", since=18)
def col2im(ctx: NodeContext) -> Value:
    spatial = ctx.input(1).shape[0].min if ctx.input(1).shape.is_static else 2
    pads = ctx.attr("pads", [0] * (2 * spatial))
    return as_value(ctx.make("Col2Im", 15, ctx.input(0), convert(ctx, ctx.input(1), i64),
                             convert(ctx, ctx.input(2), i64),
                             strides=ctx.attr("strides", [1] * spatial),
                             dilations=ctx.attr("dilations", [1] * spatial),
                             pads_begin=pads[:spatial], pads_end=pads[spatial:]))


def _normalized_positions(ctx: NodeContext, length: Value, like: Value,
                          align_corners: bool) -> Value:
    """Pixel positions 0..L-1 of one axis in [-1, 1] coordinates (centres unless aligned)."""
    size = convert(ctx, length, like.element_type)
    positions = as_value(ctx.make("Range", 4, scalar_like(ctx, 0, like), size,
                                  scalar_like(ctx, 1, like), output_type=str(like.element_type)))
    one, two = scalar_like(ctx, 1, like), scalar_like(ctx, 2, like)
    if align_corners:
        span = _binary(ctx, "Maximum", _binary(ctx, "Subtract", size, one), one)
        return _binary(ctx, "Subtract", _binary(ctx, "Divide", _binary(
            ctx, "Multiply", positions, two), span), one)
    doubled = _binary(ctx, "Add", _binary(ctx, "Multiply", positions, two), one)
    return _binary(ctx, "Subtract", _binary(ctx, "Divide", doubled, size), one)


@converter("AffineGrid", since=20)
def affine_grid(ctx: NodeContext) -> Value:
    """Each output point is theta @ (x, y[, z], 1) over a normalized base grid of `size`."""
    theta, size = ctx.input(0), convert(ctx, ctx.input(1), i64)
    if not size.shape.is_static:
        raise ctx.error(f"size must have a static length, got {size.type}")
    spatial = size.shape.to_tuple()[0] - 2
    extent = as_value(ctx.make("Slice", 8, size, i64_const(ctx, [2]), i64_const(ctx, [2 + spatial]),
                               i64_const(ctx, [1])))
    columns = []
    for k in reversed(range(spatial)):  # x runs along the last axis
        length = gather_dims(ctx, size, 2 + k)
        axis_positions = _normalized_positions(ctx, length, theta,
                                               bool(ctx.attr("align_corners", 0)))
        shaped = reshape(ctx, axis_positions, [-1] + [1] * (spatial - 1 - k))
        columns.append(as_value(ctx.make("Broadcast", 3, shaped, extent)))
    columns.append(as_value(ctx.make("Broadcast", 3, scalar_like(ctx, 1, theta), extent)))
    stacked = as_value(ctx.make("Concat", 1, *[as_value(ctx.make(
        "Unsqueeze", 1, c, i64_const(ctx, [-1]))) for c in columns], axis=-1))
    points = reshape(ctx, stacked, [-1, spatial + 1])
    moved = as_value(ctx.make("MatMul", 1, points, theta, transpose_a=False, transpose_b=True))
    target = as_value(ctx.make("Concat", 1, gather_dims(ctx, size, [0]), extent,
                               i64_const(ctx, [spatial]), axis=0))
    return reshape(ctx, moved, target)


@converter("CausalConvWithState", since=27)
def causal_conv_with_state(ctx: NodeContext) -> list[Value]:
    """Depthwise causal conv1d: the past k-1 positions (zeros when absent) prepended to the
    input, a valid convolution, optional SiLU; the new state is the last k-1 positions."""
    data, weight = ctx.input(0), ctx.input(1)
    if not weight.shape.is_static or weight.shape.rank != 3:
        raise ctx.error(f"weight must have a static shape (channels, 1, k), got {weight.type}")
    channels, _, kernel = weight.shape.to_tuple()
    past = ctx.optional_input(3)
    if past is None:
        extent = concat(ctx, [slice_dims(ctx, shape_of(ctx, data), 0, 2),
                              i64_const(ctx, [kernel - 1])])
        past = as_value(ctx.make("Broadcast", 3, scalar_like(ctx, 0, data), extent))
    padded = as_value(ctx.make("Concat", 1, past, data, axis=2))
    filters = reshape(ctx, weight, [channels, 1, 1, kernel])
    output = as_value(ctx.make("GroupConvolution", 1, padded, filters, strides=[1],
                               dilations=[1], pads_begin=[0], pads_end=[0]))
    bias = ctx.optional_input(2)
    if bias is not None:
        output = _binary(ctx, "Add", output, unsqueeze(ctx, bias, [0, 2]))
    activation = ctx.attr("activation", "none")
    if activation in ("silu", "swish"):
        wide = convert(ctx, output, f32)
        gated = _binary(ctx, "Multiply", wide, as_value(ctx.make("Sigmoid", 1, wide)))
        output = convert(ctx, gated, data.element_type)
    elif activation != "none":
        raise ctx.error(f"unknown activation '{activation}'")
    length = gather_dims(ctx, shape_of(ctx, padded), [2])
    start = _binary(ctx, "Subtract", length, i64_const(ctx, [kernel - 1]))
    state = as_value(ctx.make("Slice", 8, padded, start, length, i64_const(ctx, [1]),
                              i64_const(ctx, [2])))
    return [output, state]


def _last_axis_slice(ctx: NodeContext, value: Value, start: int, stop: int,
                     step: int = 1) -> Value:
    return as_value(ctx.make("Slice", 8, value, i64_const(ctx, [start]), i64_const(ctx, [stop]),
                             i64_const(ctx, [step]), i64_const(ctx, [-1])))


def _rotary_heads(ctx: NodeContext, data: Value) -> tuple[Value, int]:
    """The input as [batch, seq, heads, head_size] and its head size."""
    rank = static_rank(ctx, data)
    if rank == 4:
        heads = as_value(ctx.make("Transpose", 1, data, i64_const(ctx, [0, 2, 1, 3])))
        size = data.shape[3]
    elif rank == 3:
        count = ctx.attr("num_heads", 0)
        if count <= 0:
            raise ctx.error("3-D RotaryEmbedding input needs num_heads")
        heads = reshape(ctx, data, [0, 0, count, -1], special_zero=True)
        size = heads.shape[3]
    else:
        raise ctx.error(f"input must be 3-D or 4-D, got {data.type}")
    if not size.is_static:
        raise ctx.error(f"the head size of {data.type} must be static")
    return heads, size.min


@converter("RotaryEmbedding", since=23)
def rotary_embedding(ctx: NodeContext) -> Value:
    """Rotates (x1, x2) pairs, halves or interleaved, of the first rotary_embedding_dim
    features by the cached cos/sin of each position."""
    data = ctx.input(0)
    heads, size = _rotary_heads(ctx, data)
    rotated = ctx.attr("rotary_embedding_dim", 0) or size
    caches = []
    for index in (1, 2):
        cache = convert(ctx, ctx.input(index), data.element_type)
        positions = ctx.optional_input(3)
        if positions is not None:
            cache = as_value(ctx.make("Gather", 8, cache, convert(ctx, positions, i64),
                                      i64_const(ctx, 0)))
        caches.append(unsqueeze(ctx, cache, [2]))
    cos, sin = caches
    interleaved = bool(ctx.attr("interleaved", 0))
    if interleaved:
        first = _last_axis_slice(ctx, heads, 0, rotated, 2)
        second = _last_axis_slice(ctx, heads, 1, rotated, 2)
    else:
        first = _last_axis_slice(ctx, heads, 0, rotated // 2)
        second = _last_axis_slice(ctx, heads, rotated // 2, rotated)
    real = _binary(ctx, "Subtract", _binary(ctx, "Multiply", cos, first),
                   _binary(ctx, "Multiply", sin, second))
    imaginary = _binary(ctx, "Add", _binary(ctx, "Multiply", sin, first),
                        _binary(ctx, "Multiply", cos, second))
    if interleaved:
        pairs = as_value(ctx.make("Concat", 1, unsqueeze(ctx, real, [4]),
                                  unsqueeze(ctx, imaginary, [4]), axis=-1))
        turned = reshape(ctx, pairs, [0, 0, 0, rotated], special_zero=True)
    else:
        turned = as_value(ctx.make("Concat", 1, real, imaginary, axis=-1))
    if rotated < size:
        turned = as_value(ctx.make("Concat", 1, turned,
                                   _last_axis_slice(ctx, heads, rotated, size), axis=-1))
    if data.shape.rank == 4:
        return as_value(ctx.make("Transpose", 1, turned, i64_const(ctx, [0, 2, 1, 3])))
    return reshape(ctx, turned, shape_of(ctx, data))


@converter("Det", since=11)
def det(ctx: NodeContext) -> Value:
    """Onto vinify's internal Det op (no OpenVINO op computes determinants)."""
    return as_value(ctx.make("Det", 1, ctx.input(0)))
