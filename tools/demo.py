"""`make run`: the main job on an embedded default model — convert, compile, run, report.

The default model is a small classifier written in the text form and shipped with vinify; it
runs on the best device available (TEMPLATE until faster devices exist).
"""

import time
from pathlib import Path

import numpy as np

DEFAULT_MODEL = Path(__file__).parent / "models" / "tiny_classifier.vir"
DEVICE_PREFERENCE = ("CPU", "GPU", "TEMPLATE")


def best_device() -> str:
    from vinify.runtime import Core

    available = Core().available_devices
    return next(d for d in DEVICE_PREFERENCE if d in available)


def main() -> int:
    import vinify

    model = vinify.read_model(DEFAULT_MODEL)
    device = best_device()
    print(f"model: {DEFAULT_MODEL.name} ({sum(model.op_histogram().values())} nodes)")
    print(f"device: {device}")
    compiled = vinify.compile_model(model, device)
    port = compiled.inputs[0]
    image = np.random.default_rng(0).standard_normal(port.shape.to_tuple()).astype(np.float32)
    compiled(image)  # warm-up
    timings = []
    for _ in range(20):
        start = time.perf_counter()
        scores = compiled(image)[0]
        timings.append(time.perf_counter() - start)
    top = np.argsort(scores.reshape(-1))[::-1][:5]
    print("top-5 classes:", ", ".join(f"{i} ({scores.reshape(-1)[i]:.4f})" for i in top))
    print(f"latency: median {np.median(timings) * 1e3:.3f} ms over {len(timings)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
