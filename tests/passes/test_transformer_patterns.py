"""recognize-gelu, recognize-mvn, recognize-attention: decomposed formulas become single ops."""
# ruff: noqa: E501  (IR text lines are as long as the printer makes them)

from tests.passes.ir_check import assert_ir, assert_same_numbers, assert_unchanged

GELU_ERF = """
    graph "g" {
      %x = Parameter<1>() {element_type=f32, shape=[2,4]} : f32[2,4]
      %sqrt2 = Constant<1>() {value=tensor<f32[]: [1.4142135]>} : f32[]
      %one = Constant<1>() {value=tensor<f32[]: [1.0]>} : f32[]
      %half = Constant<1>() {value=tensor<f32[]: [0.5]>} : f32[]
      %d = Divide<1>(%x, %sqrt2) : f32[2,4]
      %e = Erf<1>(%d) : f32[2,4]
      %a = Add<1>(%one, %e) : f32[2,4]
      %m = Multiply<1>(%x, %half) : f32[2,4]
      %y = Multiply<1>(%a, %m) : f32[2,4]
      Result<1>(%y)
    }"""

GELU_TANH = """
    graph "g" {
      %x = Parameter<1>() {element_type=f32, shape=[3]} : f32[3]
      %three = Constant<1>() {value=tensor<f32[]: [3.0]>} : f32[]
      %k = Constant<1>() {value=tensor<f32[]: [0.044715]>} : f32[]
      %s = Constant<1>() {value=tensor<f32[]: [0.7978846]>} : f32[]
      %one = Constant<1>() {value=tensor<f32[]: [1.0]>} : f32[]
      %half = Constant<1>() {value=tensor<f32[]: [0.5]>} : f32[]
      %p = Power<1>(%x, %three) : f32[3]
      %q = Multiply<1>(%p, %k) : f32[3]
      %i = Add<1>(%x, %q) : f32[3]
      %j = Multiply<1>(%i, %s) : f32[3]
      %t = Tanh<1>(%j) : f32[3]
      %a = Add<1>(%t, %one) : f32[3]
      %h = Multiply<1>(%a, %half) : f32[3]
      %y = Multiply<1>(%x, %h) : f32[3]
      Result<1>(%y)
    }"""


def test_erf_and_tanh_gelu_formulas_become_gelu():
    graph = assert_same_numbers(GELU_ERF, "recognize-gelu")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,4]} : f32[2,4]
          %y = Gelu<7>(%x) : f32[2,4]
          Result<1>(%y)
        }""")
    assert graph.outputs[0].node.rt_info["provenance"] == ["y", "m", "a", "e", "d"]
    graph = assert_same_numbers(GELU_TANH, "recognize-gelu", rtol=1e-4)
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[3]} : f32[3]
          %y = Gelu<7>(%x) {approximation_mode="TANH"} : f32[3]
          Result<1>(%y)
        }""")


def test_a_formula_with_other_constants_is_not_gelu():
    assert_unchanged(GELU_ERF.replace("[0.5]", "[0.25]"), "recognize-gelu")
    assert_unchanged(GELU_TANH.replace("[0.044715]", "[0.5]"), "recognize-gelu")


LAYER_NORM = """
    graph "g" {
      %x = Parameter<1>() {element_type=f32, shape=[2,3,8]} : f32[2,3,8]
      %axes = Constant<1>() {value=tensor<i64[1]: [-1]>} : i64[1]
      %mean = ReduceMean<1>(%x, %axes) {keep_dims=true} : f32[2,3,1]
      %d = Subtract<1>(%x, %mean) : f32[2,3,8]
      %two = Constant<1>() {value=tensor<f32[]: [2.0]>} : f32[]
      %sq = Power<1>(%d, %two) : f32[2,3,8]
      %var = ReduceMean<1>(%sq, %axes) {keep_dims=true} : f32[2,3,1]
      %eps = Constant<1>() {value=tensor<f32[]: [1e-05]>} : f32[]
      %ve = Add<1>(%var, %eps) : f32[2,3,1]
      %std = Sqrt<1>(%ve) : f32[2,3,1]
      %n = Divide<1>(%d, %std) : f32[2,3,8]
      %gamma = Constant<1>() {value=tensor<f32[8]: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]>} : f32[8]
      %y = Multiply<1>(%n, %gamma) : f32[2,3,8]
      Result<1>(%y)
    }"""


def test_layer_norm_core_becomes_mvn_and_keeps_its_scale():
    graph = assert_same_numbers(LAYER_NORM, "recognize-mvn", rtol=1e-4, atol=1e-5)
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,3,8]} : f32[2,3,8]
          %0 = Constant<1>() {value=tensor<i64[1]: [2]>} : i64[1] name="n/Constant"
          %n = MVN<6>(%x, %0) {normalize_variance=true, eps=1e-05, eps_mode="inside_sqrt"} : f32[2,3,8]
          %gamma = Constant<1>() {value=tensor<f32[8]: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]>} : f32[8]
          %y = Multiply<1>(%n, %gamma) : f32[2,3,8]
          Result<1>(%y)
        }""")


def test_mvn_written_with_a_reciprocal_square_root():
    text = LAYER_NORM.replace("%std = Sqrt<1>(%ve) : f32[2,3,1]", "%std = Power<1>(%ve, %minus_half) : f32[2,3,1]")
    text = text.replace("%n = Divide<1>(%d, %std)", "%n = Multiply<1>(%std, %d)")
    text = text.replace("%eps = Constant", "%minus_half = Constant<1>() {value=tensor<f32[]: [-0.5]>} : f32[]\n      %eps = Constant")
    graph = assert_same_numbers(text, "recognize-mvn", rtol=1e-4, atol=1e-5)
    assert "MVN<6>" in graph.op_histogram() and "Power<1>" not in graph.op_histogram()


def test_normalization_over_different_axes_is_not_mvn():
    other = LAYER_NORM.replace("%var = ReduceMean<1>(%sq, %axes)", "%var = ReduceMean<1>(%sq, %ax2)")
    other = other.replace("%two = Constant", "%ax2 = Constant<1>() {value=tensor<i64[1]: [1]>} : i64[1]\n      %two = Constant")
    other = other.replace("%var = ReduceMean<1>(%sq, %ax2) {keep_dims=true} : f32[2,3,1]", "%var = ReduceMean<1>(%sq, %ax2) {keep_dims=true} : f32[2,1,8]")
    other = other.replace("%ve = Add<1>(%var, %eps) : f32[2,3,1]", "%ve = Add<1>(%var, %eps) : f32[2,1,8]")
    other = other.replace("%std = Sqrt<1>(%ve) : f32[2,3,1]", "%std = Sqrt<1>(%ve) : f32[2,1,8]")
    assert_unchanged(other, "recognize-mvn")


ATTENTION = """
    graph "g" {
      %q = Parameter<1>() {element_type=f32, shape=[2,4,8]} : f32[2,4,8]
      %k = Parameter<1>() {element_type=f32, shape=[2,5,8]} : f32[2,5,8]
      %v = Parameter<1>() {element_type=f32, shape=[2,5,3]} : f32[2,5,3]
      %mask = Parameter<1>() {element_type=f32, shape=[4,5]} : f32[4,5]
      %s = MatMul<1>(%q, %k) {transpose_b=true} : f32[2,4,5]
      %c = Constant<1>() {value=tensor<f32[]: [0.25]>} : f32[]
      %t = Multiply<1>(%s, %c) : f32[2,4,5]
      %u = Add<1>(%t, %mask) : f32[2,4,5]
      %p = Softmax<8>(%u) {axis=-1} : f32[2,4,5]
      %y = MatMul<1>(%p, %v) : f32[2,4,3]
      Result<1>(%y)
    }"""


def test_attention_becomes_scaled_dot_product_attention():
    graph = assert_same_numbers(ATTENTION, "recognize-attention", rtol=1e-5)
    assert_ir(graph, """
        graph "g" {
          %q = Parameter<1>() {element_type=f32, shape=[2,4,8]} : f32[2,4,8]
          %k = Parameter<1>() {element_type=f32, shape=[2,5,8]} : f32[2,5,8]
          %v = Parameter<1>() {element_type=f32, shape=[2,5,3]} : f32[2,5,3]
          %mask = Parameter<1>() {element_type=f32, shape=[4,5]} : f32[4,5]
          %0 = Constant<1>() {value=tensor<f32[]: [0.25]>} : f32[] name="y/Constant"
          %y = ScaledDotProductAttention<13>(%q, %k, %v, %mask, %0) : f32[2,4,3]
          Result<1>(%y)
        }""")


def test_attention_without_mask_and_with_explicit_key_transpose():
    text = ATTENTION.replace("%u = Add<1>(%t, %mask) : f32[2,4,5]\n", "").replace(
        "Softmax<8>(%u)", "Softmax<8>(%t)").replace("%s = MatMul<1>(%q, %k) {transpose_b=true}",
        "%kt = Transpose<1>(%k, %perm) : f32[2,8,5]\n      %s = MatMul<1>(%q, %kt)").replace(
        "%v = Parameter", "%perm = Constant<1>() {value=tensor<i64[3]: [0, 2, 1]>} : i64[3]\n      %v = Parameter")
    graph = assert_same_numbers(text, "recognize-attention")
    assert [n.op.name for n in graph.nodes()].count("ScaledDotProductAttention") == 1


def test_softmax_over_another_axis_is_not_attention():
    assert_unchanged(ATTENTION.replace("{axis=-1}", "{axis=1}"), "recognize-attention")
