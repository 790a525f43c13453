"""fuse-conv-bias-activation: convolution/matmul + bias + residual + activation in one op."""
# ruff: noqa: E501  (IR text lines are as long as the printer makes them)

from tests.passes.ir_check import assert_ir, assert_same_numbers, assert_unchanged

RESNET_TAIL = """
    graph "g" {
      %x = Parameter<1>() {element_type=f32, shape=[1,2,3,3]} : f32[1,2,3,3]
      %w = Constant<1>() {value=tensor<f32[2,2,1,1]: [1.0, -2.0, 0.5, 1.0]>} : f32[2,2,1,1]
      %c = Convolution<1>(%x, %w) {strides=[1,1], pads_begin=[0,0], pads_end=[0,0], dilations=[1,1]} : f32[1,2,3,3]
      %bias = Constant<1>() {value=tensor<f32[1,2,1,1]: [0.25, -0.5]>} : f32[1,2,1,1]
      %b = Add<1>(%c, %bias) : f32[1,2,3,3]
      %s = Add<1>(%x, %b) : f32[1,2,3,3]
      %y = Relu<1>(%s) : f32[1,2,3,3]
      Result<1>(%y)
    }"""


def test_convolution_bias_residual_and_relu_become_one_fused_op():
    graph = assert_same_numbers(RESNET_TAIL, "fuse-conv-bias-activation")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[1,2,3,3]} : f32[1,2,3,3]
          %w = Constant<1>() {value=tensor<f32[2,2,1,1]: [1.0, -2.0, 0.5, 1.0]>} : f32[2,2,1,1]
          %0 = Constant<1>() {value=tensor<f32[2]: [0.25, -0.5]>} : f32[2] name="b/Constant"
          %y = FusedConvolution<1>(%x, %w, %0, %x) {strides=[1, 1], pads_begin=[0, 0], pads_end=[0, 0], dilations=[1, 1], activation="Relu"} : f32[1,2,3,3]
          Result<1>(%y)
        }""")
    assert graph.outputs[0].node.rt_info["provenance"] == ["y", "s", "b", "c"]


def test_matmul_with_bias_and_clamp_and_group_convolution_with_sigmoid():
    graph = assert_same_numbers("""
        graph "g" {
          %a = Parameter<1>() {element_type=f32, shape=[4,3]} : f32[4,3]
          %w = Constant<1>() {value=tensor<f32[3,2]: [1.0, 2.0, 3.0, -4.0, 5.0, 6.0]>} : f32[3,2]
          %m = MatMul<1>(%a, %w) : f32[4,2]
          %bias = Constant<1>() {value=tensor<f32[2]: [0.5, -0.5]>} : f32[2]
          %b = Add<1>(%bias, %m) : f32[4,2]
          %y = Clamp<1>(%b) {min=-1.0, max=2.0} : f32[4,2]
          Result<1>(%y)
          %x = Parameter<1>() {element_type=f32, shape=[1,2,2,2]} : f32[1,2,2,2]
          %g = Constant<1>() {value=tensor<f32[2,1,1,1,1]: [2.0, -1.0]>} : f32[2,1,1,1,1]
          %c = GroupConvolution<1>(%x, %g) {strides=[1,1], pads_begin=[0,0], pads_end=[0,0], dilations=[1,1]} : f32[1,2,2,2]
          %z = Sigmoid<1>(%c) : f32[1,2,2,2]
          Result<1>(%z)
        }""", "fuse-conv-bias-activation")
    assert_ir(graph, """
        graph "g" {
          %a = Parameter<1>() {element_type=f32, shape=[4,3]} : f32[4,3]
          %x = Parameter<1>() {element_type=f32, shape=[1,2,2,2]} : f32[1,2,2,2]
          %w = Constant<1>() {value=tensor<f32[3,2]: [1.0, 2.0, 3.0, -4.0, 5.0, 6.0]>} : f32[3,2]
          %0 = Constant<1>() {value=tensor<f32[2]: [0.5, -0.5]>} : f32[2] name="b/Constant"
          %y = FusedMatMul<1>(%a, %w, %0) {activation="Clamp", activation_alpha=-1.0, activation_beta=2.0} : f32[4,2]
          Result<1>(%y)
          %g = Constant<1>() {value=tensor<f32[2,1,1,1,1]: [2.0, -1.0]>} : f32[2,1,1,1,1]
          %1 = Constant<1>() {value=tensor<f32[2]: [0.0, 0.0]>} : f32[2] name="z/Constant"
          %z = FusedGroupConvolution<1>(%x, %g, %1) {strides=[1, 1], pads_begin=[0, 0], pads_end=[0, 0], dilations=[1, 1], activation="Sigmoid"} : f32[1,2,2,2]
          Result<1>(%z)
        }""")


def test_no_fusion_for_shared_outputs_or_spatially_varying_bias():
    assert_unchanged("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[1,2,3,3]} : f32[1,2,3,3]
          %w = Constant<1>() {value=tensor<f32[2,2,1,1]: [1.0, -2.0, 0.5, 1.0]>} : f32[2,2,1,1]
          %c = Convolution<1>(%x, %w) {strides=[1,1], pads_begin=[0,0], pads_end=[0,0], dilations=[1,1]} : f32[1,2,3,3]
          %r = Relu<1>(%c) : f32[1,2,3,3]
          Result<1>(%r)
          Result<1>(%c)
          %d = Convolution<1>(%x, %w) {strides=[1,1], pads_begin=[0,0], pads_end=[0,0], dilations=[1,1]} : f32[1,2,3,3]
          %bias = Constant<1>() {value=tensor<f32[3]: [1.0, 2.0, 3.0]>} : f32[3]
          %b = Add<1>(%d, %bias) : f32[1,2,3,3]
          Result<1>(%b)
        }""", "fuse-conv-bias-activation")


def test_a_dead_user_does_not_block_fusion():
    graph = assert_same_numbers("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[1,2,3,3]} : f32[1,2,3,3]
          %w = Constant<1>() {value=tensor<f32[2,2,1,1]: [1.0, -2.0, 0.5, 1.0]>} : f32[2,2,1,1]
          %c = Convolution<1>(%x, %w) {strides=[1,1], pads_begin=[0,0], pads_end=[0,0], dilations=[1,1]} : f32[1,2,3,3]
          %dead = Sigmoid<1>(%c) : f32[1,2,3,3]
          %y = Relu<1>(%c) : f32[1,2,3,3]
          Result<1>(%y)
        }""", "fuse-conv-bias-activation")
    assert [n.op.name for n in graph.nodes()][-2:] == ["FusedConvolution", "Result"]
