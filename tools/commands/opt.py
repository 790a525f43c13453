"""`vinify opt INPUT -p pass1,pass2`: run passes over a model and print the result as text IR.

Like mlir-opt: the input is text IR (.vir) or any model vinify reads; without -p the common
pipeline (plus --device's own passes) runs; a pass takes options as `name:option=value`
(`-p fold-constants:max_elements=1000,eliminate-dead-code`). --print-after dumps the IR after
the named passes to stderr, --timing reports each pass's time on stderr, --disable skips passes
by name, and --list shows the registered passes.
"""

import sys


def add_arguments(parser) -> None:
    parser.add_argument("model", nargs="?", help="model file (.vir, .onnx, .xml)")
    parser.add_argument("-p", "--passes", help="comma-separated pass names (default: pipeline)")
    parser.add_argument("-d", "--device", help="add this device's passes to the default pipeline")
    parser.add_argument("--print-after", action="append", default=[], metavar="PASS",
                        help="print the IR after this pass (repeatable or comma-separated)")
    parser.add_argument("--disable", action="append", default=[], metavar="PASS",
                        help="skip this pass (repeatable or comma-separated)")
    parser.add_argument("--dump-dir", metavar="DIR",
                        help="write the IR after each --print-after pass (or every pass) to DIR")
    parser.add_argument("--timing", action="store_true", help="report the time of each pass")
    parser.add_argument("--no-verify", action="store_true",
                        help="do not verify the IR after each pass")
    parser.add_argument("--inline-limit", default="all",
                        help="print constants up to this many elements inline, larger ones as a "
                             "digest (default 'all': the output reads back as a .vir model)")
    parser.add_argument("--list", action="store_true", help="list the registered passes")
    parser.add_argument("-o", "--output", help="write the result to this file instead of stdout")


def _names(items: list[str]) -> list[str]:
    return [name.strip() for item in items for name in item.split(",") if name.strip()]


def run(args) -> int:
    from vinify.api import read_model, save_model
    from vinify.errors import ModelFileError
    from vinify.passes import PassManager, pipeline_for, registered_passes
    from vinify.text import print_graph

    if args.list:
        for name, cls in registered_passes().items():
            summary = (sys.modules[cls.__module__].__doc__ or "").strip().splitlines()[0]
            print(f"{name:34s} {summary}")
        return 0
    if args.model is None:
        raise ModelFileError("no model given (vinify opt MODEL -p PASSES)")
    graph = read_model(args.model)
    pipeline = _names([args.passes]) if args.passes else pipeline_for(args.device)
    manager = PassManager(pipeline, verify=not args.no_verify, timing_enabled=args.timing,
                          print_after=_names(args.print_after), disabled=_names(args.disable),
                          stream=sys.stderr, dump_dir=args.dump_dir)
    manager.run(graph)
    if args.timing:
        print(manager.timing.report(), file=sys.stderr)
    if args.output:
        save_model(graph, args.output)
        return 0
    limit = None if args.inline_limit == "all" else int(args.inline_limit)
    print(print_graph(graph, inline_limit=limit))
    return 0
