"""`vinify run MODEL -d DEVICE --input name=file.npy`: run once, print or save the outputs."""

import numpy as np
from vinify.errors import InferenceError


def add_arguments(parser) -> None:
    parser.add_argument("model", help="model file (.onnx, .xml, .vir)")
    parser.add_argument("-d", "--device", default="TEMPLATE", help="device name")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=FILE.npy",
                        help="an input tensor from a .npy file (repeatable); random if omitted")
    parser.add_argument("-o", "--output", help="save all outputs to this .npz file")
    parser.add_argument("--seed", type=int, default=0, help="seed for random inputs")


def run(args) -> int:
    from vinify.api import compile_model

    compiled = compile_model(args.model, args.device)
    given = dict(_parse_input(spec) for spec in args.input)
    rng = np.random.default_rng(args.seed)
    feeds = {}
    for port in compiled.inputs:
        if port.name in given:
            feeds[port.name] = np.load(given.pop(port.name), allow_pickle=False)
        else:
            feeds[port.name] = random_input(port, rng)
    if given:
        raise InferenceError(f"model has no input(s) {sorted(given)}")
    results = compiled(feeds)
    if args.output:
        np.savez(args.output, **{port.name: results[port.index] for port in compiled.outputs})
        print(f"saved {len(compiled.outputs)} output(s) to {args.output}")
        return 0
    for port in compiled.outputs:
        array = results[port.index]
        print(f"{port.name}: {array.dtype}{list(array.shape)}")
        print(np.array2string(array, threshold=20, precision=5))
    return 0


def _parse_input(spec: str) -> tuple[str, str]:
    name, sep, path = spec.partition("=")
    if not sep:
        raise InferenceError(f"--input expects NAME=FILE.npy, got '{spec}'")
    return name, path


def random_input(port, rng: np.random.Generator) -> np.ndarray:
    """A random tensor fitting the port (dynamic dims become their lower bound, at least 1)."""
    shape = [max(d.min, 1) for d in port.shape] if port.shape.rank_is_static else [1]
    dtype = port.element_type.dtype
    if port.element_type.is_float:
        return rng.standard_normal(shape).astype(dtype)
    if port.element_type.name == "boolean":
        return rng.integers(0, 2, shape).astype(bool)
    return rng.integers(0, 10, shape).astype(dtype)
