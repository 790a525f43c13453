"""simplify-algebra: identities removed, transposes and reshapes merged."""

from tests.passes.ir_check import assert_ir, assert_same_numbers, assert_unchanged


def test_identities_disappear_and_users_read_the_original_value():
    graph = assert_same_numbers("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,3]} : f32[2,3]
          %one = Constant<1>() {value=tensor<f32[3]: [1.0, 1.0, 1.0]>} : f32[3]
          %zero = Constant<1>() {value=tensor<f32[]: [0.0]>} : f32[]
          %a = Multiply<1>(%one, %x) : f32[2,3]
          %b = Add<1>(%a, %zero) : f32[2,3]
          %c = Subtract<1>(%b, %zero) : f32[2,3]
          %d = Divide<1>(%c, %one) : f32[2,3]
          %e = Convert<1>(%d) {destination_type=f32} : f32[2,3]
          %y = Relu<1>(%e) : f32[2,3]
          Result<1>(%y)
        }""", "simplify-algebra")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,3]} : f32[2,3]
          %y = Relu<1>(%x) : f32[2,3]
          Result<1>(%y)
        }""")


def test_identity_that_broadcasts_or_converts_is_kept():
    text = """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[3]} : f32[3]
          %one = Constant<1>() {value=tensor<f32[2,3]: [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]>} : f32[2,3]
          %a = Multiply<1>(%x, %one) : f32[2,3]
          Result<1>(%a)
          %half = Constant<1>() {value=tensor<f32[3]: [1.0, 0.5, 1.0]>} : f32[3]
          %b = Multiply<1>(%x, %half) : f32[3]
          %c = Convert<1>(%b) {destination_type=f16} : f16[3]
          Result<1>(%c)
        }"""
    assert_unchanged(text, "simplify-algebra")


def test_double_transpose_merges_and_cancels():
    graph = assert_same_numbers("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,3,4]} : f32[2,3,4]
          %p = Constant<1>() {value=tensor<i64[3]: [0, 2, 1]>} : i64[3]
          %q = Constant<1>() {value=tensor<i64[3]: [1, 0, 2]>} : i64[3]
          %t1 = Transpose<1>(%x, %p) : f32[2,4,3]
          %t2 = Transpose<1>(%t1, %q) : f32[4,2,3]
          %u1 = Transpose<1>(%x, %p) : f32[2,4,3]
          %u2 = Transpose<1>(%u1, %p) : f32[2,3,4]
          %y = Relu<1>(%u2) : f32[2,3,4]
          Result<1>(%t2)
          Result<1>(%y)
        }""", "simplify-algebra")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,3,4]} : f32[2,3,4]
          %0 = Constant<1>() {value=tensor<i64[3]: [2, 0, 1]>} : i64[3] name="t2/Constant"
          %t2 = Transpose<1>(%x, %0) : f32[4,2,3]
          Result<1>(%t2)
          %y = Relu<1>(%x) : f32[2,3,4]
          Result<1>(%y)
        }""")


def test_reshape_chains_merge_and_noop_reshapes_vanish():
    graph = assert_same_numbers("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,6]} : f32[2,6]
          %s1 = Constant<1>() {value=tensor<i64[3]: [3, 2, 2]>} : i64[3]
          %s2 = Constant<1>() {value=tensor<i64[2]: [4, -1]>} : i64[2]
          %s3 = Constant<1>() {value=tensor<i64[2]: [2, 6]>} : i64[2]
          %a = Reshape<1>(%x, %s1) {special_zero=false} : f32[3,2,2]
          %b = Reshape<1>(%a, %s2) {special_zero=false} : f32[4,3]
          %c = Reshape<1>(%x, %s3) {special_zero=false} : f32[2,6]
          %y = Relu<1>(%c) : f32[2,6]
          Result<1>(%b)
          Result<1>(%y)
        }""", "simplify-algebra")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,6]} : f32[2,6]
          %0 = Constant<1>() {value=tensor<i64[2]: [4, 3]>} : i64[2] name="b/Constant"
          %b = Reshape<1>(%x, %0) {special_zero=false} : f32[4,3]
          Result<1>(%b)
          %y = Relu<1>(%x) : f32[2,6]
          Result<1>(%y)
        }""")


def test_graph_output_is_not_renamed_to_a_parameter():
    text = """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2]} : f32[2]
          %one = Constant<1>() {value=tensor<f32[2]: [1.0, 1.0]>} : f32[2]
          %y = Multiply<1>(%x, %one) : f32[2]
          Result<1>(%y)
        }"""
    assert_unchanged(text, "simplify-algebra")


def test_squeeze_unsqueeze_reshape_chains_become_one_reshape():
    graph = assert_same_numbers("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[3,4]} : f32[3,4]
          %a0 = Constant<1>() {value=tensor<i64[1]: [0]>} : i64[1]
          %u = Unsqueeze<1>(%x, %a0) : f32[1,3,4]
          %s = Squeeze<1>(%u, %a0) : f32[3,4]
          %y = Relu<1>(%s) : f32[3,4]
          %v = Unsqueeze<1>(%y, %a0) : f32[1,3,4]
          %shape = Constant<1>() {value=tensor<i64[2]: [2, 6]>} : i64[2]
          %r = Reshape<1>(%v, %shape) {special_zero=false} : f32[2,6]
          Result<1>(%r)
        }""", "simplify-algebra")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[3,4]} : f32[3,4]
          %y = Relu<1>(%x) : f32[3,4]
          %0 = Constant<1>() {value=tensor<i64[2]: [2, 6]>} : i64[2] name="r/Constant"
          %r = Reshape<1>(%y, %0) {special_zero=false} : f32[2,6]
          Result<1>(%r)
        }""")


def test_a_single_view_op_that_changes_the_shape_stays():
    assert_unchanged("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[3,4]} : f32[3,4]
          %a0 = Constant<1>() {value=tensor<i64[1]: [0]>} : i64[1]
          %u = Unsqueeze<1>(%x, %a0) : f32[1,3,4]
          %d = Parameter<1>() {element_type=f32, shape="[...]"} : f32[...]
          %one = Constant<1>() {value=tensor<f32[1]: [1.0]>} : f32[1]
          %m = Multiply<1>(%d, %one) : f32[...]
          Result<1>(%u)
          Result<1>(%m)
        }""", "simplify-algebra")
