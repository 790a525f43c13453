"""Compile a model ahead of time into a blob: vinify compile MODEL -d CPU -o model.vblob."""

import time


def add_arguments(parser) -> None:
    parser.add_argument("model", help="model file (.onnx, .xml, .vir)")
    parser.add_argument("-d", "--device", default="CPU", help="device to compile for")
    parser.add_argument("-o", "--output", required=True, help="blob file to write")
    parser.add_argument("--threads", type=int, default=0,
                        help="INFERENCE_NUM_THREADS the blob runs with by default (0: all)")


def run(args) -> int:
    from vinify.api import atomic_write, read_model
    from vinify.runtime import Core

    started = time.perf_counter()
    graph = read_model(args.model)
    config = {"INFERENCE_NUM_THREADS": args.threads} if args.threads else {}
    compiled = Core().compile_model(graph, args.device, config)
    blob = compiled.export_model()
    atomic_write(args.output, blob)
    seconds = time.perf_counter() - started
    print(f"compiled {args.model} for {args.device} in {seconds:.2f} s: "
          f"{args.output} ({len(blob)} bytes)")
    return 0
