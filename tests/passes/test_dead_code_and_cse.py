"""eliminate-dead-code and eliminate-common-subexpressions."""

from vinify.text import parse

from tests.passes.ir_check import assert_ir, assert_same_numbers, assert_unchanged, run_passes

DEAD = """
    graph "g" {
      %x = Parameter<1>() {element_type=f32, shape=[4]} : f32[4]
      %r = Relu<1>(%x) : f32[4]
      %dead = Sigmoid<1>(%x) : f32[4]
      %dead2 = Exp<1>(%dead) : f32[4]
      Result<1>(%r)
    }"""


def test_dead_nodes_are_detached_from_their_producers():
    graph = parse(DEAD.strip())
    assert len(graph.inputs[0].uses) == 2
    graph = run_passes(DEAD, "eliminate-dead-code")
    assert [user.op.name for user, _ in graph.inputs[0].uses] == ["Relu"]
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[4]} : f32[4]
          %r = Relu<1>(%x) : f32[4]
          Result<1>(%r)
        }""")


def test_live_nodes_and_unused_parameters_stay():
    text = """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[4]} : f32[4]
          %unused = Parameter<1>() {element_type=f32, shape=[4]} : f32[4]
          %r = Relu<1>(%x) : f32[4]
          Result<1>(%r)
          %s = Sigmoid<1>(%x) : f32[4]
          Result<1>(%s)
        }"""
    graph = run_passes(text, "eliminate-dead-code")
    assert_ir(graph, text)
    assert len(graph.inputs[0].uses) == 2


CSE = """
    graph "g" {
      %x = Parameter<1>() {element_type=f32, shape=[2,2]} : f32[2,2]
      %c1 = Constant<1>() {value=tensor<f32[2]: [1.0, 2.0]>} : f32[2]
      %c2 = Constant<1>() {value=tensor<f32[2]: [1.0, 2.0]>} : f32[2]
      %a = Add<1>(%x, %c1) : f32[2,2]
      %b = Add<1>(%x, %c2) : f32[2,2]
      %ra = Relu<1>(%a) : f32[2,2]
      %rb = Relu<1>(%b) : f32[2,2]
      %y = Multiply<1>(%ra, %rb) : f32[2,2]
      Result<1>(%y)
    }"""


def test_equal_constants_then_equal_nodes_merge():
    graph = assert_same_numbers(CSE, "eliminate-common-subexpressions")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,2]} : f32[2,2]
          %c1 = Constant<1>() {value=tensor<f32[2]: [1.0, 2.0]>} : f32[2]
          %a = Add<1>(%x, %c1) : f32[2,2]
          %ra = Relu<1>(%a) : f32[2,2]
          %y = Multiply<1>(%ra, %ra) : f32[2,2]
          Result<1>(%y)
        }""")


def test_different_constants_attributes_or_dtypes_do_not_merge():
    text = """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2]} : f32[2]
          %c1 = Constant<1>() {value=tensor<f32[2]: [1.0, 2.0]>} : f32[2]
          %c2 = Constant<1>() {value=tensor<f32[2]: [1.0, 3.0]>} : f32[2]
          %a = Divide<1>(%x, %c1) : f32[2]
          %b = Divide<1>(%x, %c2) : f32[2]
          %d = Divide<1>(%x, %c1) {m_pythondiv=false} : f32[2]
          %i = Constant<1>() {value=tensor<i32[2]: [1, 2]>} : i32[2]
          %j = Constant<1>() {value=tensor<i64[2]: [1, 2]>} : i64[2]
          Result<1>(%a)
          Result<1>(%b)
          Result<1>(%d)
          Result<1>(%i)
          Result<1>(%j)
        }"""
    assert_unchanged(text, "eliminate-common-subexpressions")


def test_two_graph_outputs_keep_their_own_names():
    text = """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2]} : f32[2]
          %first = Relu<1>(%x) : f32[2]
          %second = Relu<1>(%x) : f32[2]
          Result<1>(%first)
          Result<1>(%second)
        }"""
    graph = run_passes(text, "eliminate-common-subexpressions")
    assert [v.name for v in graph.outputs] == ["first", "second"]
