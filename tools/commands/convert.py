"""`vinify convert MODEL -o out.xml`: convert a model to OpenVINO IR (the Model Optimizer).

Options follow the Model Optimizer's spellings:
  --input data[1,3,224,224]{f32},mask[1,?]  input shapes (? dynamic, 1..8 bounded) and
                                         types, or a cut at an inner tensor
  --output logits                        cut the graph at these tensors
  --mean-values data[123.7,116.3,103.5]  per-channel means ([...] alone: every input)
  --scale-values data[58.4,57.1,57.4]    per-channel scales
  --reverse-input-channels               RGB <-> BGR on 3-channel inputs
  --layout data(nchw)                    input layouts (nchw alone: every input)
  --no-compress-to-fp16                  keep f32 weights (f16 is the default, as in OpenVINO)
The common optimization pipeline runs before saving (--no-optimize skips it).
"""

import argparse
import re
import sys

from vinify.errors import ConversionError

_NAMED_LIST = re.compile(r"\s*([^\[\],]*?)\s*\[([^\]]*)\]\s*(?:,|$)")
_NAMED_LAYOUT = re.compile(r"\s*([^(),]+?)\s*\(([^)]*)\)\s*(?:,|$)")


def add_arguments(parser) -> None:
    parser.add_argument("model", help="model file (.onnx, .xml, .vir)")
    parser.add_argument("-o", "--output-model", required=True, metavar="OUT.xml",
                        help="where to write the IR (.xml; the .bin goes beside it)")
    parser.add_argument("--input", action="append", default=[], metavar="NAME[SHAPE]",
                        help="input shapes/types or cut points, e.g. data[1,3,224,224]{f32} "
                        "(repeatable)")
    parser.add_argument("--output", action="append", default=[], metavar="TENSOR",
                        help="output tensor names, comma separated (repeatable)")
    parser.add_argument("--mean-values", metavar="NAME[V,...]", help="per-channel mean values")
    parser.add_argument("--scale-values", metavar="NAME[V,...]", help="per-channel scale values")
    parser.add_argument("--reverse-input-channels", action="store_true",
                        help="swap RGB and BGR on inputs with 3 channels")
    parser.add_argument("--layout", metavar="NAME(LAYOUT)", help="input layouts, e.g. nchw")
    parser.add_argument("--compress-to-fp16", action=argparse.BooleanOptionalAction,
                        default=True, help="store f32 weights as f16 (default: on)")
    parser.add_argument("--no-optimize", action="store_true",
                        help="skip the common optimization pipeline")


def run(args) -> int:
    from vinify.api import convert_model, save_model

    graph = convert_model(
        args.model,
        input=",".join(args.input) if args.input else None,
        output=_split_names(args.output) or None,
        mean_values=parse_channel_values(args.mean_values, "--mean-values"),
        scale_values=parse_channel_values(args.scale_values, "--scale-values"),
        reverse_input_channels=args.reverse_input_channels,
        layout=parse_layouts(args.layout),
    )
    if not args.no_optimize:
        graph = _optimize(graph)
    save_model(graph, args.output_model, compress_to_fp16=args.compress_to_fp16)
    internal = sorted({n.op.key() for n in graph.nodes() if n.op.domain})
    if internal:
        print(f"warning: {args.output_model} holds vinify-internal ops ({', '.join(internal)}); "
              "OpenVINO cannot read them (use --no-optimize for a portable file)",
              file=sys.stderr)
    print(f"saved {args.output_model} ({len(graph.nodes())} nodes, "
          f"{len(graph.parameters)} inputs, {len(graph.results)} outputs)")
    return 0


def _optimize(graph):
    """The common pass pipeline, when vinify.passes provides one."""
    try:
        from vinify.passes import optimize
    except ImportError:
        return graph
    return optimize(graph) or graph


def _split_names(items: list[str]) -> list[str]:
    return [name.strip() for item in items for name in item.split(",") if name.strip()]


def parse_channel_values(text: str | None, option: str):
    """`data[1,2,3],other[4,5,6]` -> {name: [floats]}; `[1,2,3]` -> [floats] for every input."""
    if text is None:
        return None
    table, position = {}, 0
    while position < len(text.strip()):
        match = _NAMED_LIST.match(text, position)
        if match is None or match.end() == position:
            raise ConversionError(f"{option}: cannot read {text!r} at offset {position}; "
                                  "expected NAME[V,V,...] or [V,V,...]")
        try:
            numbers = [float(item) for item in match.group(2).split(",") if item.strip()]
        except ValueError:
            raise ConversionError(f"{option}: {match.group(2)!r} is not a list of numbers") \
                from None
        table[match.group(1)] = numbers
        position = match.end()
    if list(table) == [""]:
        return table[""]
    if "" in table:
        raise ConversionError(f"{option}: mix of named and unnamed values in {text!r}")
    return table


def parse_layouts(text: str | None):
    """`data(nchw),mask(nc)` -> {name: layout}; a bare `nchw` applies to every input."""
    if text is None:
        return None
    if "(" not in text:
        return text.strip()
    table, position = {}, 0
    while position < len(text.strip()):
        match = _NAMED_LAYOUT.match(text, position)
        if match is None or match.end() == position:
            raise ConversionError(f"--layout: cannot read {text!r} at offset {position}; "
                                  "expected NAME(LAYOUT)")
        table[match.group(1)] = match.group(2)
        position = match.end()
    return table
