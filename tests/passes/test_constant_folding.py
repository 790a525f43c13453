"""fold-constants: constant subgraphs become Constants computed by the ops' references."""

import numpy as np
from vinify import ir
from vinify.passes import make_pass, run_pipeline

from tests.passes.ir_check import assert_ir, assert_unchanged, run_passes


def test_folds_a_constant_subgraph_with_the_reference_values():
    graph = run_passes("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2]} : f32[2]
          %a = Constant<1>() {value=tensor<f32[2]: [1.0, 2.0]>} : f32[2]
          %b = Constant<1>() {value=tensor<f32[2]: [3.0, 4.0]>} : f32[2]
          %c = Multiply<1>(%a, %b) : f32[2]
          %d = Subtract<1>(%c, %a) : f32[2]
          %y = Add<1>(%x, %d) : f32[2]
          Result<1>(%y)
        }""", "fold-constants")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2]} : f32[2]
          %d = Constant<1>() {value=tensor<f32[2]: [2.0, 6.0]>} : f32[2]
          %y = Add<1>(%x, %d) : f32[2]
          Result<1>(%y)
        }""")
    folded = graph.outputs[0].node.inputs[1].node
    assert folded.name == "d"
    assert folded.rt_info["provenance"] == ["d"]


def test_does_not_fold_what_depends_on_a_parameter():
    text = """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2]} : f32[2]
          %a = Constant<1>() {value=tensor<f32[2]: [1.0, 2.0]>} : f32[2]
          %y = Multiply<1>(%x, %a) : f32[2]
          %r = Relu<1>(%y) : f32[2]
          Result<1>(%r)
        }"""
    assert_unchanged(text, "fold-constants")


def test_size_cap_keeps_large_results_unfolded_but_folds_a_splat_broadcast():
    x = ir.parameter("x", "f32", [64, 64])
    big = ir.make("Add", 1, [ir.constant(np.ones((64, 64), np.float32)),
                             ir.constant(np.float32(1.0))])
    splat = ir.make("Broadcast", 3, [ir.constant(np.float32(0.5)),
                                     ir.constant(np.array([64, 64], np.int64))])
    graph = ir.Graph([x], [ir.make("Add", 1, [ir.make("Multiply", 1, [x, big]), splat])])
    run_pipeline(graph, [make_pass("fold-constants", max_elements=100)], verify=True)
    ops = [n.op.name for n in graph.nodes()]
    assert ops.count("Add") == 2  # the 4096-element Add stayed
    assert ops.count("Broadcast") == 0
    folded = graph.outputs[0].node.inputs[1].node.attrs["value"]
    assert folded.shape == (64, 64) and folded.strides == (0, 0) and np.all(folded == 0.5)


def test_folds_integer_shape_arithmetic():
    graph = run_passes("""
        graph "g" {
          %a = Constant<1>() {value=tensor<i64[2]: [7, -3]>} : i64[2]
          %b = Constant<1>() {value=tensor<i64[2]: [2, 2]>} : i64[2]
          %c = Divide<1>(%a, %b) : i64[2]
          Result<1>(%c)
        }""", "fold-constants")
    assert_ir(graph, """
        graph "g" {
          %c = Constant<1>() {value=tensor<i64[2]: [3, -2]>} : i64[2]
          Result<1>(%c)
        }""")

