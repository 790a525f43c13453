"""recognize-activations: decomposed Swish, HSwish, HSigmoid and Mish become single ops."""
# ruff: noqa: E501  (IR text lines are as long as the printer makes them)

from tests.passes.ir_check import assert_ir, assert_same_numbers, assert_unchanged

ACTIVATIONS = """
    graph "g" {
      %x = Parameter<1>() {element_type=f32, shape=[8]} : f32[8]
      %s = Sigmoid<1>(%x) : f32[8]
      %swish = Multiply<1>(%s, %x) : f32[8]
      Result<1>(%swish)
      %beta = Constant<1>() {value=tensor<f32[]: [1.5]>} : f32[]
      %xb = Multiply<1>(%x, %beta) : f32[8]
      %sb = Sigmoid<1>(%xb) : f32[8]
      %swish_beta = Multiply<1>(%x, %sb) : f32[8]
      Result<1>(%swish_beta)
      %three = Constant<1>() {value=tensor<f32[]: [3.0]>} : f32[]
      %six = Constant<1>() {value=tensor<f32[]: [6.0]>} : f32[]
      %a = Add<1>(%x, %three) : f32[8]
      %c = Clamp<1>(%a) {min=0.0, max=6.0} : f32[8]
      %hsigmoid = Divide<1>(%c, %six) : f32[8]
      Result<1>(%hsigmoid)
      %a2 = Add<1>(%three, %x) : f32[8]
      %c2 = Clamp<1>(%a2) {min=0.0, max=6.0} : f32[8]
      %m2 = Multiply<1>(%x, %c2) : f32[8]
      %hswish = Divide<1>(%m2, %six) : f32[8]
      Result<1>(%hswish)
      %sp = SoftPlus<4>(%x) : f32[8]
      %t = Tanh<1>(%sp) : f32[8]
      %mish = Multiply<1>(%x, %t) : f32[8]
      Result<1>(%mish)
    }"""


def test_decomposed_activations_become_their_ops():
    graph = assert_same_numbers(ACTIVATIONS, "recognize-activations", rtol=1e-5, atol=1e-6)
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[8]} : f32[8]
          %swish = Swish<4>(%x) : f32[8]
          Result<1>(%swish)
          %0 = Constant<1>() {value=tensor<f32[]: [1.5]>} : f32[] name="swish_beta/Constant"
          %swish_beta = Swish<4>(%x, %0) : f32[8]
          Result<1>(%swish_beta)
          %hsigmoid = HSigmoid<5>(%x) : f32[8]
          Result<1>(%hsigmoid)
          %hswish = HSwish<4>(%x) : f32[8]
          Result<1>(%hswish)
          %mish = Mish<4>(%x) : f32[8]
          Result<1>(%mish)
        }""")


def test_other_clamp_bounds_or_another_operand_are_left_alone():
    assert_unchanged("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[8]} : f32[8]
          %y = Parameter<1>() {element_type=f32, shape=[8]} : f32[8]
          %s = Sigmoid<1>(%y) : f32[8]
          %m = Multiply<1>(%x, %s) : f32[8]
          Result<1>(%m)
          %three = Constant<1>() {value=tensor<f32[]: [3.0]>} : f32[]
          %a = Add<1>(%x, %three) : f32[8]
          %c = Clamp<1>(%a) {min=0.0, max=5.0} : f32[8]
          %six = Constant<1>() {value=tensor<f32[]: [6.0]>} : f32[]
          %h = Divide<1>(%c, %six) : f32[8]
          Result<1>(%h)
        }""", "recognize-activations")
