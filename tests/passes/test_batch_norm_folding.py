"""decompose-batch-norm + fold-affine-into-weights: batch norms vanish into the weights."""
# ruff: noqa: E501  (IR text lines are as long as the printer makes them)

from tests.passes.ir_check import assert_ir, assert_same_numbers, assert_unchanged

CONV_BN = """
    graph "g" {
      %x = Parameter<1>() {element_type=f32, shape=[1,2,3,3]} : f32[1,2,3,3]
      %w = Constant<1>() {value=tensor<f32[2,2,1,1]: [1.0, 2.0, 3.0, 4.0]>} : f32[2,2,1,1]
      %c = Convolution<1>(%x, %w) {strides=[1,1], pads_begin=[0,0], pads_end=[0,0], dilations=[1,1]} : f32[1,2,3,3]
      %gamma = Constant<1>() {value=tensor<f32[2]: [2.0, 0.5]>} : f32[2]
      %beta = Constant<1>() {value=tensor<f32[2]: [1.0, -1.0]>} : f32[2]
      %mean = Constant<1>() {value=tensor<f32[2]: [0.5, 2.0]>} : f32[2]
      %var = Constant<1>() {value=tensor<f32[2]: [1.0, 0.25]>} : f32[2]
      %y = BatchNormInference<5>(%c, %gamma, %beta, %mean, %var) {epsilon=0.0} : f32[1,2,3,3]
      Result<1>(%y)
    }"""


def test_batch_norm_after_convolution_folds_into_its_weights():
    graph = assert_same_numbers(CONV_BN, "decompose-batch-norm", "fold-affine-into-weights")
    # scale = gamma / sqrt(var) = [2, 1]; shift = beta - mean * scale = [0, -3]
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[1,2,3,3]} : f32[1,2,3,3]
          %0 = Constant<1>() {value=tensor<f32[2,2,1,1]: [2.0, 4.0, 3.0, 4.0]>} : f32[2,2,1,1] name="y/Multiply/Constant"
          %1 = Convolution<1>(%x, %0) {strides=[1, 1], pads_begin=[0, 0], pads_end=[0, 0], dilations=[1, 1]} : f32[1,2,3,3] name="y/Multiply"
          %2 = Constant<1>() {value=tensor<f32[2,1,1]: [0.0, -3.0]>} : f32[2,1,1] name="y/Constant"
          %y = Add<1>(%1, %2) : f32[1,2,3,3]
          Result<1>(%y)
        }""")
    assert graph.outputs[0].node.inputs[0].node.rt_info["provenance"] == ["y", "c"]


def test_batch_norm_v1_without_a_convolution_becomes_one_multiply_and_add():
    graph = assert_same_numbers("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,2,2]} : f32[2,2,2]
          %gamma = Constant<1>() {value=tensor<f32[2]: [2.0, 0.5]>} : f32[2]
          %beta = Constant<1>() {value=tensor<f32[2]: [1.0, -1.0]>} : f32[2]
          %mean = Constant<1>() {value=tensor<f32[2]: [0.5, 2.0]>} : f32[2]
          %var = Constant<1>() {value=tensor<f32[2]: [1.0, 0.25]>} : f32[2]
          %y = BatchNormInference<1>(%gamma, %beta, %x, %mean, %var) {epsilon=0.0} : f32[2,2,2]
          %k = Constant<1>() {value=tensor<f32[2,1]: [3.0, 2.0]>} : f32[2,1]
          %z = Multiply<1>(%y, %k) : f32[2,2,2]
          %b = Constant<1>() {value=tensor<f32[]: [1.0]>} : f32[]
          %r = Add<1>(%z, %b) : f32[2,2,2]
          Result<1>(%r)
        }""", "decompose-batch-norm", "fold-affine-into-weights")
    # ONNX-style Mul/Add layers merge with the batch norm's: x * [6, 2] + [1, -5]
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,2,2]} : f32[2,2,2]
          %0 = Constant<1>() {value=tensor<f32[2,1]: [6.0, 2.0]>} : f32[2,1] name="z/Multiply/Constant"
          %1 = Multiply<1>(%x, %0) : f32[2,2,2] name="z/Multiply"
          %2 = Constant<1>() {value=tensor<f32[2,1]: [1.0, -5.0]>} : f32[2,1] name="r/Constant"
          %r = Add<1>(%1, %2) : f32[2,2,2]
          Result<1>(%r)
        }""")


def test_scales_fold_into_group_convolution_and_matmul_weights():
    graph = assert_same_numbers("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[1,2,2,2]} : f32[1,2,2,2]
          %w = Constant<1>() {value=tensor<f32[2,1,1,1,1]: [1.0, 2.0]>} : f32[2,1,1,1,1]
          %c = GroupConvolution<1>(%x, %w) {strides=[1,1], pads_begin=[0,0], pads_end=[0,0], dilations=[1,1]} : f32[1,2,2,2]
          %k = Constant<1>() {value=tensor<f32[1,2,1,1]: [10.0, 100.0]>} : f32[1,2,1,1]
          %y = Multiply<1>(%c, %k) : f32[1,2,2,2]
          Result<1>(%y)
          %m = Parameter<1>() {element_type=f32, shape=[3,2]} : f32[3,2]
          %v = Constant<1>() {value=tensor<f32[2,2]: [1.0, 2.0, 3.0, 4.0]>} : f32[2,2]
          %p = MatMul<1>(%m, %v) {transpose_b=true} : f32[3,2]
          %s = Constant<1>() {value=tensor<f32[2]: [0.5, -1.0]>} : f32[2]
          %q = Multiply<1>(%p, %s) : f32[3,2]
          Result<1>(%q)
        }""", "fold-affine-into-weights")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[1,2,2,2]} : f32[1,2,2,2]
          %m = Parameter<1>() {element_type=f32, shape=[3,2]} : f32[3,2]
          %0 = Constant<1>() {value=tensor<f32[2,1,1,1,1]: [10.0, 200.0]>} : f32[2,1,1,1,1] name="y/Constant"
          %y = GroupConvolution<1>(%x, %0) {strides=[1, 1], pads_begin=[0, 0], pads_end=[0, 0], dilations=[1, 1]} : f32[1,2,2,2]
          Result<1>(%y)
          %1 = Constant<1>() {value=tensor<f32[2,2]: [0.5, 1.0, -3.0, -4.0]>} : f32[2,2] name="q/Constant"
          %q = MatMul<1>(%m, %1) {transpose_b=true} : f32[3,2]
          Result<1>(%q)
        }""")


def test_nothing_folds_when_statistics_vary_spatially_or_are_unknown_or_shared():
    assert_unchanged("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[1,2,2,2]} : f32[1,2,2,2]
          %w = Constant<1>() {value=tensor<f32[2,2,1,1]: [1.0, 2.0, 3.0, 4.0]>} : f32[2,2,1,1]
          %c = Convolution<1>(%x, %w) {strides=[1,1], pads_begin=[0,0], pads_end=[0,0], dilations=[1,1]} : f32[1,2,2,2]
          %k = Constant<1>() {value=tensor<f32[2,1]: [1.0, 2.0]>} : f32[2,1]
          %y = Multiply<1>(%c, %k) : f32[1,2,2,2]
          Result<1>(%y)
          %d = Convolution<1>(%x, %w) {strides=[1,1], pads_begin=[1,1], pads_end=[0,0], dilations=[1,1]} : f32[1,2,3,3]
          %s = Constant<1>() {value=tensor<f32[2,1,1]: [1.0, 2.0]>} : f32[2,1,1]
          %z = Multiply<1>(%d, %s) : f32[1,2,3,3]
          Result<1>(%z)
          Result<1>(%d)
          %gamma = Parameter<1>() {element_type=f32, shape=[2]} : f32[2]
          %b = Constant<1>() {value=tensor<f32[2]: [1.0, 1.0]>} : f32[2]
          %n = BatchNormInference<5>(%x, %gamma, %b, %b, %b) {epsilon=0.001} : f32[1,2,2,2]
          Result<1>(%n)
        }""", "decompose-batch-norm", "fold-affine-into-weights")
