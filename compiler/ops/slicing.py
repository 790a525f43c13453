"""Slicing ops: Slice<8> (start/stop/step per axis), StridedSlice<1> (TensorFlow-style masks)
and SliceScatter<15> (writes into the region Slice reads).

All follow numpy's slicing rules: out-of-range bounds are clamped, negative values count from
the end. Inference is exact for static dimensions and gives the tightest interval for bounded
or dynamic ones (`sliced_dim`).
"""

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_inputs import const_ints, require_integral, vector_length
from vinify.ops.shape_rules import normalize_axes
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, Dimension, PartialShape, TensorType


def _slice_length(size: int, start: int | None, stop: int | None, step: int) -> int:
    return len(range(*slice(start, stop, step).indices(size)))


_ENUMERATION_LIMIT = 4096


def sliced_dim(dim: Dimension, start: int | None, stop: int | None, step: int) -> Dimension:
    """The length of dim[start:stop:step]: exact for a static dim, else the tightest interval.

    The length is piecewise linear in the axis length, with breakpoints at |start| and |stop|;
    it is enumerated over the dimension's range (or up to the last breakpoint when the range is
    unbounded, after which it is either constant or growing without bound)."""
    if dim.is_static:
        return Dimension.of(_slice_length(dim.min, start, stop, step))
    breakpoints = [abs(v) for v in (start, stop) if v is not None and abs(v) < 1 << 31]
    last = dim.max if dim.max is not None else max(breakpoints + [dim.min]) + abs(step)
    if last - dim.min > _ENUMERATION_LIMIT:
        return DYNAMIC
    lengths = [_slice_length(d, start, stop, step) for d in range(dim.min, last + 1)]
    high: int | None = max(lengths)
    if dim.max is None and _slice_length(last + abs(step), start, stop, step) > lengths[-1]:
        high = None
    return Dimension(min(lengths), high)


@register
class Slice(Op):
    """data[start:stop:step] along `axes` (default: the first len(start) axes)."""

    name, version = "Slice", 8
    num_inputs = (4, 5)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1, 2, 3, 4)
        elem, shape = ctx.element_type(0), ctx.shape(0)
        if not shape.rank_is_static:
            return [TensorType(elem, DYNAMIC_RANK)]
        starts, stops, steps = (const_ints(ctx, i) for i in (1, 2, 3))
        axes = const_ints(ctx, 4) if len(ctx.input_types) == 5 else None
        if axes is None and len(ctx.input_types) == 5:
            return [TensorType(elem, PartialShape((DYNAMIC,) * shape.rank))]
        count = vector_length(ctx, 1)
        if axes is None:
            axes = list(range(count)) if count is not None else list(range(shape.rank))
        axes = normalize_axes(ctx, axes, shape.rank)
        if steps is not None and 0 in steps:
            raise ctx.error(f"step {steps} must not contain 0")
        dims = list(shape)
        known = starts is not None and stops is not None and steps is not None
        if known and not len(starts) == len(stops) == len(steps) == len(axes):
            raise ctx.error(f"start {starts}, stop {stops}, step {steps} and axes {axes} "
                            "must have one value per sliced axis")
        for i, axis in enumerate(axes):
            dims[axis] = sliced_dim(dims[axis], starts[i], stops[i], steps[i]) if known \
                else DYNAMIC
        return [TensorType(elem, PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, start: np.ndarray, stop: np.ndarray,
                 step: np.ndarray, axes: np.ndarray | None = None) -> np.ndarray:
        index = [slice(None)] * data.ndim
        axis_list = range(start.size) if axes is None else axes.reshape(-1)
        for a, b, e, s in zip(axis_list, start.reshape(-1), stop.reshape(-1), step.reshape(-1)):
            index[int(a) % data.ndim] = slice(int(b), int(e), int(s))
        return data[tuple(index)].copy()


def _mask(values: tuple, count: int) -> list[bool]:
    return [bool(values[i]) if i < len(values) else False for i in range(count)]


def _strided_entries(attrs: dict, count: int, rank: int | None, where) -> list[tuple]:
    """The slice spec as entries ('new',), ('shrink', i), ('range', i) or ('ellipsis', n)."""
    masks = {k: _mask(attrs[k], count) for k in
             ("new_axis_mask", "shrink_axis_mask", "ellipsis_mask")}
    if sum(masks["ellipsis_mask"]) > 1:
        raise where.error(f"ellipsis_mask {list(attrs['ellipsis_mask'])} marks several axes")
    consumed = sum(1 for i in range(count) if not masks["new_axis_mask"][i]
                   and not masks["ellipsis_mask"][i])
    entries = []
    for i in range(count):
        if masks["ellipsis_mask"][i]:
            span = None if rank is None else rank - consumed
            if span is not None and span < 0:
                raise where.error(f"slice spec of {count} entries exceeds rank {rank}")
            entries.append(("ellipsis", span))
        elif masks["new_axis_mask"][i]:
            entries.append(("new",))
        elif masks["shrink_axis_mask"][i]:
            entries.append(("shrink", i))
        else:
            entries.append(("range", i))
    return entries


def _strided_bounds(ctx: InferContext, count: int):
    begin, end = const_ints(ctx, 1), const_ints(ctx, 2)
    stride = const_ints(ctx, 3) if len(ctx.input_types) == 4 else [1] * count
    if begin is None or end is None or stride is None:
        return None
    if not len(begin) == len(end) == len(stride):
        raise ctx.error(f"begin {begin}, end {end} and stride {stride} differ in length")
    if 0 in stride:
        raise ctx.error(f"stride {stride} must not contain 0")
    return begin, end, stride


def _strided_dim(ctx, dim: Dimension, entry: tuple, bounds) -> Dimension | None:
    """One output dimension for one consumed input dimension (None: the axis is removed)."""
    i = entry[1]
    if entry[0] == "shrink":
        ignored = _mask(ctx.attrs["begin_mask"], i + 1)[i]
        index = 0 if ignored or bounds is None else bounds[0][i]
        if bounds is not None and dim.is_static and not -dim.min <= index < dim.min:
            raise ctx.error(f"shrink index {index} is out of range for axis length {dim}")
        return None
    if bounds is None:
        return DYNAMIC
    begin, end, stride = bounds
    start = None if _mask(ctx.attrs["begin_mask"], i + 1)[i] else begin[i]
    stop = None if _mask(ctx.attrs["end_mask"], i + 1)[i] else end[i]
    return sliced_dim(dim, start, stop, stride[i])


@register
class StridedSlice(Op):
    """TensorFlow-style strided slice; a mask value of 1 at position i switches that rule on.

    begin_mask/end_mask: ignore begin[i]/end[i] (slice from the start / to the end);
    new_axis_mask: insert a length-1 axis; shrink_axis_mask: take element begin[i] (0 when
    begin_mask ignores it) and drop the axis;
    ellipsis_mask: stand for every input axis not named by other entries.
    """

    name, version = "StridedSlice", 1
    num_inputs = (3, 4)
    attributes = (Attr("begin_mask", "ints"), Attr("end_mask", "ints"),
                  Attr("new_axis_mask", "ints", ()), Attr("shrink_axis_mask", "ints", ()),
                  Attr("ellipsis_mask", "ints", ()))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        require_integral(ctx, 1, 2, 3)
        elem, shape = ctx.element_type(0), ctx.shape(0)
        count = vector_length(ctx, 1)
        if count is None or not shape.rank_is_static:
            return [TensorType(elem, DYNAMIC_RANK)]
        entries = _strided_entries(ctx.attrs, count, shape.rank, ctx)
        bounds = _strided_bounds(ctx, count)
        dims: list[Dimension] = []
        position = 0
        for entry in entries:
            if entry[0] == "new":
                dims.append(Dimension(1, 1))
                continue
            if entry[0] == "ellipsis":
                dims.extend(shape[position:position + entry[1]])
                position += entry[1]
                continue
            if position >= shape.rank:
                raise ctx.error(f"slice spec of {count} entries exceeds rank {shape.rank}")
            dim = _strided_dim(ctx, shape[position], entry, bounds)
            position += 1
            if dim is not None:
                dims.append(dim)
        dims.extend(shape[position:])
        return [TensorType(elem, PartialShape(tuple(dims)))]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, begin: np.ndarray, end: np.ndarray,
                 stride: np.ndarray | None = None) -> np.ndarray:
        begin_list = [int(v) for v in begin.reshape(-1)]
        end_list = [int(v) for v in end.reshape(-1)]
        steps = [1] * len(begin_list) if stride is None else [int(v) for v in stride.reshape(-1)]
        begin_mask = _mask(attrs["begin_mask"], len(begin_list))
        end_mask = _mask(attrs["end_mask"], len(begin_list))
        index: list = []
        for entry in _strided_entries(attrs, len(begin_list), data.ndim, _EvaluateErrors):
            if entry[0] == "new":
                index.append(np.newaxis)
            elif entry[0] == "ellipsis":
                index.append(Ellipsis)
            elif entry[0] == "shrink":  # a masked begin takes the first element
                index.append(0 if begin_mask[entry[1]] else begin_list[entry[1]])
            else:
                i = entry[1]
                index.append(slice(None if begin_mask[i] else begin_list[i],
                                   None if end_mask[i] else end_list[i], steps[i]))
        return np.array(data[tuple(index)])


class _EvaluateErrors:
    """Stands in for an InferContext when the reference meets an invalid slice spec."""

    @staticmethod
    def error(message: str) -> ValueError:
        return ValueError(message)


@register
class SliceScatter(Op):
    """A copy of data whose data[start:stop:step] (along axes) is replaced by updates."""

    name, version = "SliceScatter", 15
    num_inputs = (5, 6)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        ctx.same_element_type(0, 1)
        require_integral(ctx, 2, 3, 4, 5)
        region = Slice.infer(_SliceView(ctx))[0].shape
        updates = ctx.shape(1)
        if not region.compatible(updates):
            raise ctx.error(f"updates of shape {updates} do not fit the slice {region}")
        return [ctx.input_types[0]]

    @classmethod
    def evaluate(cls, attrs: dict, data: np.ndarray, updates: np.ndarray, start: np.ndarray,
                 stop: np.ndarray, step: np.ndarray, axes: np.ndarray | None = None):
        index = [slice(None)] * data.ndim
        axis_list = range(start.size) if axes is None else axes.reshape(-1)
        for a, b, e, s in zip(axis_list, start.reshape(-1), stop.reshape(-1), step.reshape(-1)):
            index[int(a) % data.ndim] = slice(int(b), int(e), int(s))
        result = data.copy()
        result[tuple(index)] = updates
        return result


class _SliceView:
    """SliceScatter's inference context seen as Slice's: data, start, stop, step[, axes]."""

    def __init__(self, ctx: InferContext):
        self._ctx = ctx
        self._inputs = [0] + list(range(2, len(ctx.input_types)))
        self.input_types = [ctx.input_types[i] for i in self._inputs]
        self.attrs = ctx.attrs

    def error(self, message: str):
        return self._ctx.error(message)

    def shape(self, index: int):
        return self._ctx.shape(self._inputs[index])

    def element_type(self, index: int):
        return self._ctx.element_type(self._inputs[index])

    def const(self, index: int):
        return self._ctx.const(self._inputs[index])
