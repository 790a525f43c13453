"""CPU code generation shortcuts that must not change numbers: kernels identical but for their
buffers share one LLVM function; GEMM tiles of every shape and k blocking."""

import numpy as np
import pytest
from vinify import ir
from vinify.codegen import cpu_compiler
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering import gemm
from vinify.codegen.lowering.graph import lower_graph
from vinify.codegen.target import host_cpu_target

from tests.codegen import device_check

RNG = np.random.default_rng(11)


def random(*shape):
    return RNG.uniform(-1.0, 1.0, shape).astype(np.float32)


def conv_block(x, channels: int, kernel: int, residual: bool):
    """conv + bias (+ x) + relu with fresh random weights."""
    pad = kernel // 2
    conv = ir.make("Convolution", 1, [x, ir.constant(random(channels, channels, kernel, kernel))],
                   strides=[1, 1], pads_begin=[pad, pad], pads_end=[pad, pad], dilations=[1, 1])
    out = ir.make("Add", 1, [conv, ir.constant(random(1, channels, 1, 1))])
    if residual:
        out = ir.make("Add", 1, [out, x])
    return ir.make("Relu", 1, [out])


def repeated_blocks_graph(blocks: int = 3, channels: int = 16, size: int = 12):
    x = ir.parameter("x", "f32", [1, channels, size, size])
    value = x
    for _ in range(blocks):
        value = conv_block(value, channels, 3, residual=True)
    return ir.Graph([x], [value]), [random(1, channels, size, size)]


def test_repeated_blocks_share_functions_and_match_template():
    graph, inputs = repeated_blocks_graph()
    lowered = lower_graph(graph, host_cpu_target(2))
    groups = cpu_compiler.shared_groups(lowered.kernels)
    assert len(groups) < len(lowered.kernels)
    assert any(len(group) == 3 for group in groups)
    placement = cpu_compiler.plan_memory(lowered)[1]
    text = "\n".join(cpu_compiler.render_llvm(lowered, placement, host_cpu_target(2)))
    assert text.count('_shared"(') >= 4  # each shared body: one definition, three callers
    device_check.check_against_template(graph, inputs, "CPU")


def _copy_kernel(source: K.Buffer, target: K.Buffer, scale: float) -> K.Kernel:
    i = K.Var("i")
    value = K.Binary("mul", K.Load(source, i), K.Const(scale, "f32"))
    return K.Kernel("k", [K.Loop(i, K.Const(0), K.Const(source.size),
                                 (K.Store(target, i, value),))])


def test_signature_ignores_buffer_names_but_not_constants_types_or_roles():
    a, b = K.Buffer("a", "f32", 8), K.Buffer("b", "f32", 8)
    c, d = K.Buffer("c", "f32", 8), K.Buffer("d", "f32", 8)
    signature = cpu_compiler.kernel_signature
    assert signature(_copy_kernel(a, b, 2.0)) == signature(_copy_kernel(c, d, 2.0))
    assert signature(_copy_kernel(a, b, 2.0)) != signature(_copy_kernel(a, b, 3.0))
    assert signature(_copy_kernel(a, a, 2.0)) != signature(_copy_kernel(a, b, 2.0))
    wide = K.Buffer("e", "f32", 16)
    assert signature(_copy_kernel(a, b, 2.0)) != signature(_copy_kernel(wide, b, 2.0))


@pytest.mark.parametrize("shape", gemm.TILE_SHAPES)
@pytest.mark.parametrize("channels,size,kernel", [(20, 9, 3), (150, 5, 1), (300, 6, 1)])
def test_convolution_every_tile_shape(monkeypatch, shape, channels, size, kernel):
    """Each register tile shape, with one and several k blocks (K = 180, 150, 300)."""
    monkeypatch.setattr(gemm, "TILE_SHAPES", (shape,))
    x = ir.parameter("x", "f32", [1, channels, size, size])
    graph = ir.Graph([x], [conv_block(x, channels, kernel, residual=True)])
    device_check.check_against_template(graph, [random(1, channels, size, size)], "CPU",
                                        rtol=1e-3, atol=1e-3)


PADDED_CASES = [
    # (batch, channels, height, width, out channels, kernel hw, pads_begin, pads_end, residual)
    (1, 8, 30, 30, 12, (3, 3), [1, 1], [1, 1], False),
    (1, 8, 30, 30, 12, (3, 3), [1, 1], [1, 1], True),
    (2, 5, 31, 33, 7, (5, 3), [2, 0], [1, 2], True),
]


@pytest.mark.parametrize("case", PADDED_CASES, ids=lambda c: f"b{c[0]}k{c[5]}r{c[8]}")
def test_stride_one_convolution_as_implicit_gemm_over_padded_input(case):
    batch, channels, height, width, out_channels, kernel_hw, begin, end, residual = case
    x = ir.parameter("x", "f32", [batch, channels, height, width])
    weights = ir.constant(random(out_channels, channels, *kernel_hw))
    conv = ir.make("Convolution", 1, [x, weights], strides=[1, 1], pads_begin=begin,
                   pads_end=end, dilations=[1, 1])
    value = ir.make("Add", 1, [conv, ir.constant(random(1, out_channels, 1, 1))])
    parameters = [x]
    if residual:
        parameters.append(ir.parameter("r", "f32", conv.outputs[0].shape.to_tuple()))
        value = ir.make("Add", 1, [value, parameters[-1]])
    graph = ir.Graph(parameters, [ir.make("Relu", 1, [value])])
    kinds = {k.name.split("_")[1] for k in lower_graph(graph, host_cpu_target(2)).kernels}
    assert {"pad", "compact"} <= kinds and "im2col" not in kinds
    inputs = [random(*p.outputs[0].shape.to_tuple()) for p in parameters]
    device_check.check_against_template(graph, inputs, "CPU", rtol=1e-3, atol=1e-3)


def test_one_thread_team_gives_the_same_numbers_for_any_thread_count():
    """Parallel and serial kernels alternate in one libgomp team (counters between layers):
    more threads than cores must neither deadlock nor change a number."""
    from vinify.runtime import Core

    graph, inputs = repeated_blocks_graph(blocks=4, channels=32, size=40)
    kernels = lower_graph(graph, host_cpu_target(2)).kernels
    assert any(k.body[0].parallel for k in kernels) and not all(k.body[0].parallel
                                                                 for k in kernels)
    results = []
    for threads in (1, 2, 3, 5):
        compiled = Core().compile_model(graph, "CPU", {"INFERENCE_NUM_THREADS": threads})
        results += [compiled(inputs)[0] for _ in range(3)]
    for result in results[1:]:
        np.testing.assert_allclose(result, results[0], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("beta", [0.75, 0.5, 1.0, 0.6])
def test_lrn_powers_match_template(beta):
    """LRN's usual betas are computed with square roots instead of pow."""
    x = ir.parameter("x", "f32", [1, 9, 5, 7])
    lrn = ir.make("LRN", 1, [x, ir.constant(np.array([1], np.int64))], alpha=0.5, beta=beta,
                  bias=1.5, size=5)
    data = RNG.uniform(-3.0, 3.0, (1, 9, 5, 7)).astype(np.float32)
    device_check.check_against_template(ir.Graph([x], [lrn]), [data], "CPU", rtol=1e-5,
                                        atol=1e-6)
