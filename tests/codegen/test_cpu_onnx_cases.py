"""ONNX backend node cases of the ops the CPU compiles, run on CPU alone (an include-list that
only grows). Cases whose weights, shapes or axes are graph inputs are not here: the CPU compiles
those only as constants, and HETERO sends such nodes elsewhere (`vinify conformance -d
HETERO:CPU,TEMPLATE` runs the whole suite)."""

import pytest
from vinify.frontends.onnx.conformance import run_case, select_cases

CPU_CASES = (
    "test_basic_conv_with_padding", "test_conv_with_strides_and_asymmetric_padding",
    "test_conv_with_autopad_same", "test_relu", "test_maxpool_2d_pads",
    "test_maxpool_2d_ceil", "test_maxpool_2d_strides", "test_averagepool_2d_pads",
    "test_averagepool_2d_ceil", "test_averagepool_2d_pads_count_include_pad",
    "test_globalaveragepool", "test_softmax_axis_1", "test_softmax_negative_axis",
    "test_logsoftmax_axis_1", "test_lrn", "test_lrn_default", "test_gemm_default_matrix_bias",
    "test_matmul_2d", "test_concat_3d_axis_1", "test_transpose_all_permutations_3",
    "test_add_bcast", "test_mul_bcast", "test_sigmoid", "test_clip_default_min",
    "test_flatten_axis1", "test_max_example", "test_min_example", "test_prelu_broadcast",
)


@pytest.fixture(scope="module")
def cases():
    return {c.name: c for c in select_cases(["node"]) if c.name in CPU_CASES}


@pytest.mark.parametrize("name", CPU_CASES)
def test_onnx_node_case_on_cpu(cases, name):
    result = run_case(cases[name], "CPU")
    assert result.passed, f"{result.stage}: {result.reason}"
