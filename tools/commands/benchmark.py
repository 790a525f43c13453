"""`vinify benchmark -m MODEL -d DEVICE`: latency and throughput, modelled on benchmark_app."""

import re
import sys

import numpy as np
from vinify.errors import InferenceError

DEFAULT_SECONDS = 10.0
SHAPE_ITEM = re.compile(r"\s*([^\[\],]*)\s*\[([^\]]*)\]\s*(?:,|$)")


def add_arguments(parser) -> None:
    parser.add_argument("-m", "--model", required=True, help="model file (.onnx, .xml, .vir)")
    parser.add_argument("-d", "--device", default="AUTO", help="device name (default AUTO)")
    parser.add_argument("-hint", choices=("latency", "throughput", "none"), default="throughput",
                        help="performance hint (default throughput)")
    parser.add_argument("-api", choices=("sync", "async"), default="async",
                        help="synchronous requests one after another, or a queue (default)")
    parser.add_argument("-niter", type=int, help="number of inferences to run")
    parser.add_argument("-t", type=float, dest="seconds",
                        help=f"seconds to run (default {DEFAULT_SECONDS:g} without -niter)")
    parser.add_argument("-nstreams", help="number of streams (an integer or AUTO)")
    parser.add_argument("-nireq", type=int, help="infer requests in async mode (default: the "
                        "device's optimal number)")
    parser.add_argument("-nthreads", type=int, help="threads per inference")
    parser.add_argument("-infer_precision", help="inference precision hint (f32, f16, bf16)")
    parser.add_argument("-cache_dir", help="folder of cached compiled blobs")
    parser.add_argument("-shape", help="input shapes, e.g. '[1,64]' or 'a[2,3],b[2,3]'; "
                        "reshapes the model")
    parser.add_argument("-pc", action="store_true", help="print per-layer performance counters")
    parser.add_argument("--report", metavar="OUT.json", help="write the figures as JSON")
    parser.add_argument("--plot", metavar="OUT.png", help="write a latency histogram plot")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")


def parse_shapes(text: str) -> dict[str, list[str]] | list[str]:
    """'[1,3]' → ['1','3']; 'a[1,3],b[2]' → {'a': [...], 'b': [...]}."""
    items, position = [], 0
    text = text.strip()
    while position < len(text):
        match = SHAPE_ITEM.match(text, position)
        if match is None:
            raise InferenceError(f"-shape: cannot read '{text[position:]}'; expected "
                                 "'[1,3,224,224]' or 'name[1,3],other[2]'")
        dims = [d.strip() for d in match.group(2).split(",") if d.strip()]
        items.append((match.group(1).strip(), dims))
        position = match.end()
    if len(items) == 1 and not items[0][0]:
        return items[0][1]
    if any(not name for name, _ in items):
        raise InferenceError(f"-shape: with several inputs, name each one: '{text}'")
    return dict(items)


def config_of(args) -> dict:
    config = {"ENABLE_PROFILING": bool(args.pc)}
    if args.hint != "none":
        config["PERFORMANCE_HINT"] = args.hint.upper()
    if args.nstreams is not None:
        config["NUM_STREAMS"] = args.nstreams
    if args.nthreads is not None:
        config["INFERENCE_NUM_THREADS"] = args.nthreads
    if args.infer_precision is not None:
        config["INFERENCE_PRECISION_HINT"] = args.infer_precision
    if args.cache_dir is not None:
        config["CACHE_DIR"] = args.cache_dir
    return config


def run(args) -> int:
    from vinify.api import read_model
    from vinify.reshape import reshape
    from vinify.tools.benchmark.progress import ProgressBar
    from vinify.tools.benchmark.report import (
        build_report,
        print_figures,
        print_layers,
        write_report,
    )
    from vinify.tools.benchmark.runner import Limits, run_async, run_sync

    if (args.niter is not None and args.niter < 1) or (args.nireq is not None and args.nireq < 1):
        raise InferenceError("-niter and -nireq must be at least 1")
    model = read_model(args.model)
    if args.shape:
        reshape(model, parse_shapes(args.shape))
    compiled, compile_ms = compile_timed(model, args.device, config_of(args))
    print(f"[ INFO ] Compile model took {compile_ms:.2f} ms on "
          f"{','.join(compiled.get_property('EXECUTION_DEVICES'))}")
    inputs = random_inputs(compiled, args.seed)
    seconds = args.seconds if args.seconds is not None or args.niter else DEFAULT_SECONDS
    limits = Limits(args.niter, seconds)
    requests = args.nireq or int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    progress = ProgressBar(f"{args.device} {args.api}")
    if args.api == "sync":
        measurement = run_sync(compiled, inputs, limits, progress)
    else:
        measurement = run_async(compiled, inputs, limits, requests, progress)
    progress.close()
    report = build_report(settings_of(args, compiled, inputs, requests), measurement)
    report["compile_ms"] = compile_ms
    print_figures(report, sys.stdout)
    if args.pc:
        print_layers(report["per_layer"], sys.stdout)
    if args.report:
        write_report(args.report, report)
        print(f"[ INFO ] report written to {args.report}")
    if args.plot:
        from vinify.tools.benchmark.png_plot import write_histogram_png

        write_histogram_png(args.plot, report["histogram"]["counts"],
                            report["histogram"]["edges_ms"])
        print(f"[ INFO ] latency histogram written to {args.plot}")
    return 0


def compile_timed(model, device: str, config: dict):
    """The compiled model and its compile time (ms); AUTO's background compile included, so
    the measurement runs on the device AUTO chose, not on its start-up fallback."""
    import time

    from vinify.runtime import Core

    start = time.perf_counter()
    compiled = Core().compile_model(model, device, config)
    wait_ready = getattr(compiled.executable, "wait_ready", None)
    if wait_ready is not None:
        wait_ready()
    return compiled, (time.perf_counter() - start) * 1000.0


def random_inputs(compiled, seed: int) -> dict[str, np.ndarray]:
    from vinify.tools.commands.run import random_input

    rng = np.random.default_rng(seed)
    return {port.name: random_input(port, rng) for port in compiled.inputs}


def settings_of(args, compiled, inputs: dict[str, np.ndarray], requests: int) -> dict:
    return {
        "model": str(args.model),
        "device": args.device,
        "execution_devices": compiled.get_property("EXECUTION_DEVICES"),
        "api": args.api,
        "hint": args.hint,
        "nstreams": compiled.get_property("NUM_STREAMS"),
        "nireq": 1 if args.api == "sync" else requests,
        "niter": args.niter,
        "seconds": args.seconds,
        "input_shapes": {name: list(array.shape) for name, array in inputs.items()},
    }
