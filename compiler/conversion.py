"""Conversion options as IR rewrites, applied after import the same way for every frontend.

These are the Model Optimizer's options, with its semantics:
- `input`: new shapes for inputs (`{"data": [1, 3, 224, 224]}`, `"data[1,3,?,1..8]"`, a list of
  shapes in input order), new element types in text (`"data[1,3,224,224]{f16}"`); naming an
  inner tensor instead cuts the graph there: that tensor becomes a new input;
- `output`: the graph's outputs become the named tensors (everything after them is dropped);
- `layout`: the inputs' layouts (`"NCHW"`, `"nhwc"`, `"[N,C,?,?]"`), kept in the Parameter's
  `layout` rt_info, which IR files carry; the `C` in it places mean/scale values and channel
  reversal (without a layout, the channel axis is 1, as in NCHW);
- `reverse_input_channels`: RGB <-> BGR on every input with 3 channels (others are left alone);
- `mean_values`, `scale_values`: per-channel `(x - mean) / scale` on the input, applied after the
  channel reversal, so that the numbers are given in the order the original model expects;
- `compress_to_fp16`: every f32 Constant becomes an f16 Constant and a Convert to f32 marked
  `decompression` (OpenVINO's weight compression).
Each rewrite keeps input and output names; the graph is verified at the end.
"""

import re
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
from vinify.errors import ConversionError, VinifyError
from vinify.ir import Graph, Node, Value, constant, make, parameter
from vinify.shapes import Dimension, PartialShape
from vinify.types import ElementType, element_type

DECOMPRESSION = "decompression"
ChannelValues = dict[str, Sequence[float]] | Sequence[float] | None


def apply_conversion_options(
    graph: Graph,
    input: Any = None,
    output: str | Sequence[str] | None = None,
    mean_values: ChannelValues = None,
    scale_values: ChannelValues = None,
    reverse_input_channels: bool = False,
    layout: dict[str, str] | str | None = None,
    compress_to_fp16: bool = False,
) -> Graph:
    """The graph with the options applied (changed in place where possible, then verified)."""
    from vinify.verify import verify

    try:
        if output is not None:
            graph = cut_outputs(graph, [output] if isinstance(output, str) else list(output))
        if input is not None:
            graph = override_inputs(graph, parse_input_shapes(input, graph))
        if layout is not None:
            set_layouts(graph, _per_input(graph, layout, "layout"))
        preprocess_inputs(graph, reverse_input_channels, mean_values, scale_values)
        if compress_to_fp16:
            compress_weights_to_fp16(graph)
        return verify(graph)
    except ConversionError:
        raise
    except VinifyError as error:
        raise ConversionError(f"model '{graph.name}': {error}") from None


# --- input shapes and input cuts -------------------------------------------------------------

_INPUT_ITEM = re.compile(r"\s*([^\[\]{},]+?)\s*(\[[^\]]*\])?\s*(?:\{\s*(\w+)\s*\})?\s*(?:,|$)")


@dataclass(frozen=True)
class InputSpec:
    """What `input` says about one input: a new shape and/or element type (None: keep)."""

    shape: PartialShape | None = None
    element_type: ElementType | None = None


def parse_input_shapes(spec: Any, graph: Graph) -> dict[str, InputSpec]:
    """`input` in any accepted form as {input or tensor name: InputSpec}."""
    if isinstance(spec, dict):
        return {str(k): InputSpec(None if v is None else PartialShape.of(v))
                for k, v in spec.items()}
    if isinstance(spec, str):
        return _parse_input_text(spec)
    items = list(spec)
    if items and all(_is_dimension(item) for item in items):
        items = [items]  # one shape for the only input
    elif items and all(isinstance(item, str) for item in items):
        table: dict[str, InputSpec] = {}
        for item in items:
            table.update(_parse_input_text(item))
        return table
    if len(items) != len(graph.parameters):
        raise ConversionError(f"model '{graph.name}' has {len(graph.parameters)} inputs, "
                              f"got {len(items)} shapes")
    return {_input_name(p): InputSpec(PartialShape.of(shape))
            for p, shape in zip(graph.parameters, items)}


def _is_dimension(item: Any) -> bool:
    if isinstance(item, str):
        return re.fullmatch(r"\s*(\?|-1|\d*\.\.\d*|\d+)\s*", item) is not None
    return item is None or isinstance(item, (int, np.integer, Dimension))


def _parse_input_text(text: str) -> dict[str, InputSpec]:
    """Model Optimizer syntax: `data[1,3,224,224]{f32},mask[1,?]`; a name alone keeps all."""
    table: dict[str, InputSpec] = {}
    position = 0
    text = text.strip()
    while position < len(text):
        match = _INPUT_ITEM.match(text, position)
        if match is None or match.end() == position:
            raise ConversionError(f"cannot read input specification {text!r} at offset "
                                  f"{position}: expected name[dims]{{type}}")
        shape, elem = match.group(2), match.group(3)
        table[match.group(1)] = InputSpec(PartialShape.parse(shape) if shape else None,
                                          element_type(elem) if elem else None)
        position = match.end()
    return table


def override_inputs(graph: Graph, table: dict[str, InputSpec]) -> Graph:
    """New shapes and types for named inputs; a name that is an inner tensor becomes a new
    input there. All types are inferred again; on an error the inputs keep their old types."""
    from vinify.reshape import reshape

    shapes: dict[int, PartialShape] = {}
    old_types = {id(p): p.attrs["element_type"] for p in graph.parameters}
    for name, spec in table.items():
        index = _parameter_index(graph, name)
        if index is None:
            graph = _cut_input(graph, name, spec)
            continue
        if spec.shape is not None:
            shapes[index] = spec.shape
        if spec.element_type is not None:
            graph.parameters[index].attrs["element_type"] = spec.element_type
    try:
        reshape(graph, shapes)
    except VinifyError:
        for node in graph.parameters:
            node.attrs["element_type"] = old_types.get(id(node), node.attrs["element_type"])
        raise
    return graph


def _cut_input(graph: Graph, name: str, spec: InputSpec) -> Graph:
    """Replaces the tensor `name` by a new Parameter of that name (and the given shape)."""
    old = find_tensor(graph, name)
    fresh = parameter(name, spec.element_type or old.element_type,
                      spec.shape if spec.shape is not None else old.shape)
    old.replace_all_uses_with(fresh.outputs[0])
    live = {id(node) for node in Graph([], graph.results).nodes()}
    kept = [p for p in graph.parameters if id(p) in live]
    cut = Graph(kept + [fresh], graph.results, name=graph.name)
    cut.rt_info.update(graph.rt_info)
    return _reinfer(cut)


def _reinfer(graph: Graph) -> Graph:
    from vinify.reshape import reshape

    return reshape(graph, {})


def cut_outputs(graph: Graph, names: list[str]) -> Graph:
    """The graph whose outputs are the named tensors, in the order given."""
    values = [find_tensor(graph, name) for name in names]
    cut = Graph(graph.parameters, values, name=graph.name)
    for result, name in zip(cut.results, names):
        result.name = name
    cut.rt_info.update(graph.rt_info)
    return cut


def find_tensor(graph: Graph, name: str) -> Value:
    """The value called `name` (tensor name first, then the producing node's name)."""
    nodes = [n for n in graph.nodes() if n.op.name != "Result"]
    for node in nodes:
        for value in node.outputs:
            if value.name == name:
                return value
    for node in nodes:
        if node.name == name and len(node.outputs) == 1:
            return node.outputs[0]
    raise ConversionError(f"model '{graph.name}' has no tensor named '{name}'")


# --- layouts, channel reversal, mean and scale ------------------------------------------------

def parse_layout(text: str) -> list[str]:
    """`NCHW`, `nchw`, `[N,C,H,W]` or `[N,C,?,?]` as a list of dimension letters."""
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        parts = [part.strip().upper() for part in body[1:-1].split(",")]
    else:
        parts = [char.upper() for char in body]
    if not parts or any(not part or not (part.isalpha() or part == "?") for part in parts):
        raise ConversionError(f"cannot read layout {text!r}: expected letters like NCHW")
    named = [part for part in parts if part != "?"]
    if len(set(named)) != len(named):
        raise ConversionError(f"layout {text!r} names a dimension twice")
    return parts


def set_layouts(graph: Graph, layouts: dict[str, Any]) -> None:
    for name, text in layouts.items():
        node = _parameter_named(graph, name)
        letters = parse_layout(str(text))
        shape = node.outputs[0].shape
        if shape.rank_is_static and shape.rank != len(letters):
            raise ConversionError(f"layout {text!r} has {len(letters)} dimensions but input "
                                  f"'{name}' has shape {shape}")
        node.rt_info["layout"] = "[" + ",".join(letters) + "]"


def channel_axis(node: Node) -> int:
    """The `C` of the input's layout, else axis 1 (NCHW); 0 for a rank-1 input."""
    layout = node.rt_info.get("layout")
    if isinstance(layout, str):
        letters = parse_layout(layout)
        if "C" in letters:
            return letters.index("C")
    shape = node.outputs[0].shape
    return 1 if not shape.rank_is_static or shape.rank > 1 else 0


def preprocess_inputs(graph: Graph, reverse_input_channels: bool, mean_values: ChannelValues,
                      scale_values: ChannelValues) -> None:
    """Per input: reverse channels, then subtract means, then divide by scales; the input's
    users are fed from the end of that chain."""
    means = _per_input(graph, mean_values, "mean_values") if mean_values is not None else {}
    scales = _per_input(graph, scale_values, "scale_values") if scale_values is not None else {}
    for name in list(means) + list(scales):
        _parameter_named(graph, name)
    for node in graph.parameters:
        value = node.outputs[0]
        users, tail = list(value.uses), value
        if reverse_input_channels:
            tail = reverse_channels(node, tail)
        for table, kind in ((means, "mean"), (scales, "scale")):
            if _input_name(node) in table:
                tail = normalize_input(node, tail, table[_input_name(node)], kind)
        for user, index in users:
            user.set_input(index, tail)


def reverse_channels(node: Node, tail: Value) -> Value:
    """RGB <-> BGR: a Gather reversing the channel axis, when the input has 3 channels."""
    value = node.outputs[0]
    if not value.shape.rank_is_static or value.shape.rank == 0:
        return tail
    axis = channel_axis(node)
    dim = value.shape[axis]
    if not (dim.is_static and dim.min == 3):
        return tail  # as the Model Optimizer: only inputs with 3 channels are reversed
    name = _input_name(node)
    indices = constant(np.array([2, 1, 0], np.int64), name=f"{name}/reverse_indices")
    gather_axis = constant(np.array(axis, np.int64), name=f"{name}/reverse_axis")
    return make("Gather", 8, [tail, indices, gather_axis], name=f"{name}/reverse_channels"
                ).outputs[0]


def normalize_input(node: Node, tail: Value, numbers: Sequence[float], kind: str) -> Value:
    """Subtracts the mean (kind "mean") or divides by the scale (kind "scale") per channel."""
    value = node.outputs[0]
    name = _input_name(node)
    if not value.element_type.is_float:
        raise ConversionError(f"input '{name}' is {value.element_type}: {kind} values need a "
                              "floating-point input")
    array = np.asarray([float(n) for n in numbers], dtype=value.element_type.dtype)
    if array.size != 1:
        array = _per_channel(node, array, kind)
    op_name = "Subtract" if kind == "mean" else "Divide"
    values = constant(array, name=f"{name}/{kind}_values")
    return make(op_name, 1, [tail, values], name=f"{name}/{kind}").outputs[0]


def _per_channel(node: Node, array: np.ndarray, kind: str) -> np.ndarray:
    """Values shaped to broadcast along the channel axis: [C,1,1] for NCHW."""
    shape = node.outputs[0].shape
    name = _input_name(node)
    if not shape.rank_is_static:
        raise ConversionError(f"input '{name}' has a dynamic rank: cannot place {kind} values")
    axis = channel_axis(node)
    dim = shape[axis]
    if dim.is_static and dim.min != array.size:
        raise ConversionError(f"input '{name}' has {dim.min} channels (axis {axis}) but "
                              f"{array.size} {kind} values were given")
    return array.reshape([array.size] + [1] * (shape.rank - axis - 1))


# --- FP16 weight compression ------------------------------------------------------------------

def compress_weights_to_fp16(graph: Graph) -> None:
    """Every f32 Constant -> f16 Constant + Convert(f32) marked `decompression`."""
    fp16_max = float(np.finfo(np.float16).max)
    for node in graph.nodes():
        if node.op.name != "Constant" or node.attrs["value"].dtype != np.float32:
            continue
        value = node.outputs[0]
        if not value.uses:
            continue
        array = node.attrs["value"]
        half = np.where(np.isfinite(array), np.clip(array, -fp16_max, fp16_max), array)
        name = node.name or value.name or f"Constant_{id(node)}"
        compressed = constant(half.astype(np.float16), name=f"{name}_compressed")
        convert = make("Convert", 1, [compressed], name=name, destination_type="f32")
        convert.outputs[0].name = value.name
        convert.rt_info[DECOMPRESSION] = True
        value.replace_all_uses_with(convert.outputs[0])


# --- helpers for naming inputs ----------------------------------------------------------------

def _input_name(node: Node) -> str:
    return node.outputs[0].name or node.name or "input"


def _parameter_index(graph: Graph, name: str) -> int | None:
    for index, node in enumerate(graph.parameters):
        if name in (node.outputs[0].name, node.name):
            return index
    return None


def _parameter_named(graph: Graph, name: str) -> Node:
    index = _parameter_index(graph, name)
    if index is None:
        names = [_input_name(p) for p in graph.parameters]
        raise ConversionError(f"model '{graph.name}' has no input '{name}'; inputs: {names}")
    return graph.parameters[index]


def _per_input(graph: Graph, spec: Any, option: str) -> dict[str, Any]:
    """A per-input option: a dict by input name, or one value for every input."""
    if isinstance(spec, dict):
        return dict(spec)
    return {_input_name(p): spec for p in graph.parameters}
