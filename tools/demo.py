"""`make run`: the main job on an embedded default model — convert, compile, run, report.

The default model is the SqueezeNet shipped in the onnx wheel (backend/test/data/light), with its
constant weights replaced in memory by seeded random ones (see vinify.tools.light_models).
"""

import argparse
import os
import time

import numpy as np
from vinify.tools.light_models import light_model_path, randomized

DEVICE_PREFERENCE = ("CPU", "GPU", "TEMPLATE")


def best_device() -> str:
    from vinify.runtime import Core

    available = Core().available_devices
    return next(d for d in DEVICE_PREFERENCE if d in available)


def main(argv: list[str] | None = None) -> int:
    import vinify

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model", default=light_model_path("squeezenet"))
    parser.add_argument("-d", "--device", default=None, help="device (default: the best one)")
    parser.add_argument("-n", "--runs", type=int, default=20)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    model = vinify.convert_model(randomized(args.model))
    convert_seconds = time.perf_counter() - start
    device = args.device or best_device()
    print(f"model:   {os.path.basename(args.model)} ({sum(model.op_histogram().values())} nodes,"
          f" converted in {convert_seconds * 1e3:.0f} ms)")
    start = time.perf_counter()
    compiled = vinify.compile_model(model, device)
    print(f"device:  {device} (compiled in {(time.perf_counter() - start) * 1e3:.0f} ms)")
    port = compiled.inputs[0]
    image = np.random.default_rng(1).random(port.shape.to_tuple()).astype(np.float32)
    compiled(image)  # warm-up
    timings = []
    for _ in range(args.runs):
        begin = time.perf_counter()
        scores = compiled(image)[0].reshape(-1)
        timings.append(time.perf_counter() - begin)
    top = np.argsort(scores)[::-1][:5]
    print("top-5:   " + ", ".join(f"class {i} ({scores[i]:.4f})" for i in top))
    print(f"latency: median {np.median(timings) * 1e3:.2f} ms, min {min(timings) * 1e3:.2f} ms "
          f"over {len(timings)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
