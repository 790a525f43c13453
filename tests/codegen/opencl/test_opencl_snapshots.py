"""Generated OpenCL C, compared with the snapshots in snapshots/ (no OpenCL driver needed).

A change to code generation shows here as a diff. After checking that the new code is what was
meant, rewrite the snapshots with `VINIFY_UPDATE_SNAPSHOTS=1 pytest tests/codegen/opencl`.
"""

import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
from vinify import ir
from vinify.codegen import kernel_ir as K
from vinify.codegen.llvm.renderer import Placement
from vinify.codegen.opencl.compiler import compile_to_gpu_blob
from vinify.codegen.opencl.renderer import OpenClRenderer
from vinify.codegen.opencl.target import OpenClDeviceProfile
from vinify.runtime.blob import read_blob

SNAPSHOTS = Path(__file__).parent / "snapshots"
POCL_LIKE = OpenClDeviceProfile("snapshot CPU", device_type="CPU", compute_units=4,
                                local_memory_bytes=1 << 20, native_float_width=8,
                                max_work_group_size=4096)
GPU_LIKE = OpenClDeviceProfile("snapshot GPU", device_type="GPU", compute_units=16,
                               local_memory_bytes=48 << 10, native_float_width=1,
                               max_work_group_size=1024)


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("VINIFY_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"missing snapshot {path} (run with VINIFY_UPDATE_SNAPSHOTS=1)"
    assert text == path.read_text(), f"generated OpenCL C differs from {path}"


def program_of(graph: ir.Graph, profile: OpenClDeviceProfile) -> str:
    return bytes(read_blob(compile_to_gpu_blob(graph, profile)).sections["source"]).decode()


def conv_bias_relu() -> ir.Graph:
    x = ir.parameter("x", "f32", [1, 3, 10, 10])
    weights = ir.constant(np.ones((8, 3, 3, 3), np.float32))
    conv = ir.make("Convolution", 1, [x, weights], strides=[1, 1], pads_begin=[1, 1],
                   pads_end=[1, 1], dilations=[1, 1])
    bias = ir.make("Add", 1, [conv, ir.constant(np.ones((1, 8, 1, 1), np.float32))])
    return ir.Graph([x], [ir.make("Relu", 1, [bias])])


def matmul_residual_clamp() -> ir.Graph:
    a, r = ir.parameter("a", "f32", [5, 7]), ir.parameter("r", "f32", [5, 9])
    product = ir.make("MatMul", 1, [a, ir.constant(np.ones((7, 9), np.float32))])
    total = ir.make("Add", 1, [product, r])
    return ir.Graph([a, r], [ir.make("Clamp", 1, [total], min=-1.0, max=1.0)])


@pytest.mark.parametrize("schedule_profile", [POCL_LIKE, GPU_LIKE], ids=["pocl", "gpu"])
@pytest.mark.parametrize("build", [conv_bias_relu, matmul_residual_clamp])
def test_scheduled_gemm_programs(build, schedule_profile):
    kind = "pocl" if schedule_profile is POCL_LIKE else "gpu"
    check_snapshot(f"{build.__name__}_{kind}.cl", program_of(build(), schedule_profile))


def test_kernel_ir_rendering_of_masks_selects_reductions_and_gathers():
    """A hand-built kernel touching every vector construct of the renderer."""
    data, out = K.Buffer("data", "f32", 64), K.Buffer("out", "f32", 8)
    placement = {"data": Placement("arena", 0), "out": Placement("arena", 256)}
    i, j = K.Var("i"), K.Var("j")
    mask = K.LaneMask(K.Binary("sub", K.Const(13), j), 4)
    vector = K.Load(data, K.Binary("add", K.Binary("mul", i, K.Const(16)), j), 4, mask)
    strided = K.Load(data, K.Binary("mul", K.Iota(4), K.Const(3, "i64", 4)), 4, mask)
    positive = K.Binary("gt", vector, K.Const(0.0, "f32", 4))
    chosen = K.Select(positive, vector, K.Unary("exp", strided))
    total = K.Var("total", "f32", 1)
    body = [K.Let(total, K.Const(0.0, "f32")),
            K.Loop(j, K.Const(0), K.Const(16), (
                K.Let(total, K.Binary("add", total, K.ReduceLanes("add", chosen))),), step=4),
            K.Store(out, i, K.Binary("max", total, K.Const(-1.0, "f32")))]
    kernel = K.Kernel("k_example", [K.Loop(i, K.Const(0), K.Const(4), tuple(body),
                                           parallel=True)], "example")
    renderer = OpenClRenderer(placement)
    renderer.add_kernel(kernel)
    assert renderer.launches[0].global_size == 4
    check_snapshot("kernel_ir_example.cl", renderer.program())


def test_f16_precision_only_where_the_device_has_cl_khr_fp16():
    config = {"INFERENCE_PRECISION_HINT": "f16"}
    plain = read_blob(compile_to_gpu_blob(conv_bias_relu(), GPU_LIKE, config))
    assert plain.metadata["precision"] == "f32"
    assert "half" not in bytes(plain.sections["source"]).decode()
    fp16 = dataclasses.replace(GPU_LIKE, extensions=("cl_khr_fp16",))
    blob = read_blob(compile_to_gpu_blob(conv_bias_relu(), fp16, config))
    assert blob.metadata["precision"] == "f16"
    assert blob.metadata["inputs"][0]["stored_as"] == "f16"
    assert len(blob.sections["weights"]) >= 8 * 27 * 2
    check_snapshot("conv_bias_relu_gpu_f16.cl", bytes(blob.sections["source"]).decode())


def test_shared_subexpressions_are_named_once_not_repeated():
    """x <- x*x + x forty times is a DAG of 80 nodes but a tree of 2**40: rendered as text it
    must stay linear in the DAG."""
    data = K.Buffer("data", "f32", 4)
    value: K.Expr = K.Load(data, K.Const(0))
    for _ in range(40):
        value = K.Binary("add", K.Binary("mul", value, value), value)
    kernel = K.Kernel("k_deep", [K.Store(data, K.Const(1), value)])
    renderer = OpenClRenderer({"data": Placement("arena", 0)})
    text = renderer.add_kernel(kernel).text
    assert len(text) < 10_000
    assert text.count("b_data[0L]") == 1
