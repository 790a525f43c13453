"""sink-transposes, fuse-elementwise, compress-weights-fp16, fold-shape-of, propagate-types."""
# ruff: noqa: E501  (IR text lines are as long as the printer makes them)

import numpy as np
from vinify.passes import run_pipeline
from vinify.text import parse

from tests.passes.ir_check import assert_ir, assert_same_numbers, assert_unchanged, run_passes

TRANSPOSED_BLOCK = """
    graph "g" {
      %x = Parameter<1>() {element_type=f32, shape=[1,3,2,2]} : f32[1,3,2,2]
      %nhwc = Constant<1>() {value=tensor<i64[4]: [0, 2, 3, 1]>} : i64[4]
      %nchw = Constant<1>() {value=tensor<i64[4]: [0, 3, 1, 2]>} : i64[4]
      %t = Transpose<1>(%x, %nhwc) : f32[1,2,2,3]
      %r = Relu<1>(%t) : f32[1,2,2,3]
      %bias = Constant<1>() {value=tensor<f32[3]: [1.0, 2.0, 3.0]>} : f32[3]
      %a = Add<1>(%r, %bias) : f32[1,2,2,3]
      %y = Transpose<1>(%a, %nchw) : f32[1,3,2,2]
      Result<1>(%y)
    }"""


def test_transposes_sink_through_elementwise_ops_and_cancel():
    graph = assert_same_numbers(TRANSPOSED_BLOCK, "sink-transposes")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[1,3,2,2]} : f32[1,3,2,2]
          %0 = Relu<1>(%x) : f32[1,3,2,2] name="r/Relu"
          %1 = Constant<1>() {value=tensor<f32[1,3,1,1]: [1.0, 2.0, 3.0]>} : f32[1,3,1,1] name="a/Constant"
          %y = Add<1>(%0, %1) : f32[1,3,2,2] name="a/Add"
          Result<1>(%y)
        }""")


def test_a_transpose_with_two_users_or_before_a_non_elementwise_op_stays():
    assert_unchanged("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,3]} : f32[2,3]
          %p = Constant<1>() {value=tensor<i64[2]: [1, 0]>} : i64[2]
          %t = Transpose<1>(%x, %p) : f32[3,2]
          %r = Relu<1>(%t) : f32[3,2]
          Result<1>(%r)
          Result<1>(%t)
          %u = Transpose<1>(%x, %p) : f32[3,2]
          %s = Softmax<8>(%u) : f32[3,2]
          Result<1>(%s)
        }""", "sink-transposes")


def test_elementwise_chain_becomes_one_group_that_computes_the_same():
    graph = assert_same_numbers("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,3]} : f32[2,3]
          %y = Parameter<1>() {element_type=f32, shape=[3]} : f32[3]
          %two = Constant<1>() {value=tensor<f32[]: [2.0]>} : f32[]
          %m = Multiply<1>(%x, %y) : f32[2,3]
          %a = Add<1>(%m, %two) : f32[2,3]
          %r = Relu<1>(%a) : f32[2,3]
          %s = Softmax<8>(%r) : f32[2,3]
          %e = Exp<1>(%s) : f32[2,3]
          Result<1>(%e)
        }""", "fuse-elementwise")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,3]} : f32[2,3]
          %y = Parameter<1>() {element_type=f32, shape=[3]} : f32[3]
          %r = ElementwiseGroup<1>(%x, %y) {body="graph \\"group\\" { %p0 = Parameter<1>() {element_type=f32, shape=[2,3]} : f32[2,3] %p1 = Parameter<1>() {element_type=f32, shape=[3]} : f32[3] %0 = Multiply<1>(%p0, %p1) : f32[2,3] %1 = Constant<1>() {value=tensor<f32[]: [2.0]>} : f32[] %2 = Add<1>(%0, %1) : f32[2,3] %3 = Relu<1>(%2) : f32[2,3] Result<1>(%3) }"} : f32[2,3]
          %s = Softmax<8>(%r) : f32[2,3]
          %e = Exp<1>(%s) : f32[2,3]
          Result<1>(%e)
        }""")
    assert graph.outputs[0].node.inputs[0].node.inputs[0].node.rt_info["provenance"] == ["m", "a", "r"]


def test_a_value_needed_outside_the_chain_ends_the_group():
    assert_unchanged("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[4]} : f32[4]
          %a = Exp<1>(%x) : f32[4]
          %s = Softmax<8>(%a) {axis=0} : f32[4]
          %b = Relu<1>(%a) : f32[4]
          Result<1>(%s)
          Result<1>(%b)
        }""", "fuse-elementwise")


def test_fp16_compression_stores_weights_as_f16_with_a_decompression_convert():
    weights = ", ".join(f"{v}" for v in [0.1 * i for i in range(15)] + [1e6])
    text = f"""
        graph "g" {{
          %x = Parameter<1>() {{element_type=f32, shape=[16]}} : f32[16]
          %w = Constant<1>() {{value=tensor<f32[16]: [{weights}]>}} : f32[16]
          %y = Multiply<1>(%x, %w) : f32[16]
          %small = Constant<1>() {{value=tensor<f32[2]: [0.1, 0.2]>}} : f32[2]
          Result<1>(%y)
          Result<1>(%small)
        }}"""
    graph = run_passes(text, "compress-weights-fp16", "fold-constants")
    convert = graph.outputs[0].node.inputs[1].node
    assert convert.op.name == "Convert" and convert.name == "w"
    assert str(convert.attrs["destination_type"]) == "f32"
    stored = convert.inputs[0].node.attrs["value"]
    assert stored.dtype == np.float16 and stored[-1] == np.float16(65504)
    expected = np.array([0.1 * i for i in range(15)], np.float32).astype(np.float16)
    np.testing.assert_array_equal(stored[:15], expected)
    assert graph.outputs[1].node.attrs["value"].dtype == np.float32  # small constants stay


def test_shape_of_a_static_value_folds_and_a_dynamic_one_stays():
    graph = run_passes("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,3]} : f32[2,3]
          %z = Parameter<1>() {element_type=f32, shape=[?,3]} : f32[?,3]
          %s = ShapeOf<3>(%x) {output_type=i32} : i32[2]
          %t = ShapeOf<3>(%z) : i64[2]
          Result<1>(%s)
          Result<1>(%t)
        }""", "fold-shape-of")
    assert_ir(graph, """
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,3]} : f32[2,3]
          %z = Parameter<1>() {element_type=f32, shape=[?,3]} : f32[?,3]
          %s = Constant<1>() {value=tensor<i32[2]: [2, 3]>} : i32[2]
          Result<1>(%s)
          %t = ShapeOf<3>(%z) : i64[2]
          Result<1>(%t)
        }""")


def test_type_propagation_refines_stale_types_static_and_dynamic():
    graph = parse("""graph "g" {
      %x = Parameter<1>() {element_type=f32, shape=[2,?,1..8]} : f32[2,?,1..8]
      %r = Relu<1>(%x) : f32[?,?,?]
      %y = Add<1>(%r, %r) : f32[...]
      Result<1>(%y)
    }""")
    run_pipeline(graph, ["propagate-types"], verify=True)
    # Relu keeps the bounds; Add cannot (a 1 could broadcast), so the last dim becomes dynamic
    assert [str(v.type) for v in (graph.outputs[0].node.inputs[0], graph.outputs[0])] == \
        ["f32[2,?,1..8]", "f32[2,?,?]"]
    assert_unchanged("""
        graph "g" {
          %x = Parameter<1>() {element_type=f32, shape=[2,?]} : f32[2,?]
          %r = Relu<1>(%x) : f32[2,?]
          Result<1>(%r)
        }""", "propagate-types")


def test_fp16_compression_text_form_and_what_it_leaves_alone():
    values = ", ".join(str(0.5 * i) for i in range(16))
    graph = run_passes(f"""
        graph "g" {{
          %x = Parameter<1>() {{element_type=f32, shape=[16]}} : f32[16]
          %w = Constant<1>() {{value=tensor<f32[16]: [{values}]>}} : f32[16]
          %y = Multiply<1>(%x, %w) : f32[16]
          Result<1>(%y)
        }}""", "compress-weights-fp16")
    assert_ir(graph, f"""
        graph "g" {{
          %x = Parameter<1>() {{element_type=f32, shape=[16]}} : f32[16]
          %0 = Constant<1>() {{value=tensor<f16[16]: [{values}]>}} : f16[16] name="w/fp16"
          %w = Convert<1>(%0) {{destination_type=f32}} : f32[16]
          %y = Multiply<1>(%x, %w) : f32[16]
          Result<1>(%y)
        }}""")
    assert graph.outputs[0].node.inputs[1].node.rt_info["decompression"] is True
    ints = ", ".join(str(i) for i in range(16))
    assert_unchanged(f"""
        graph "g" {{
          %x = Parameter<1>() {{element_type=i32, shape=[16]}} : i32[16]
          %w = Constant<1>() {{value=tensor<i32[16]: [{ints}]>}} : i32[16]
          %y = Multiply<1>(%x, %w) : i32[16]
          Result<1>(%y)
          %h = Constant<1>() {{value=tensor<f16[16]: [{values}]>}} : f16[16]
          Result<1>(%h)
        }}""", "compress-weights-fp16")


def test_a_constant_only_chain_is_left_to_constant_folding():
    assert_unchanged("""
        graph "g" {
          %c = Constant<1>() {value=tensor<f32[2]: [1.0, 2.0]>} : f32[2]
          %d = Constant<1>() {value=tensor<f32[2]: [3.0, 4.0]>} : f32[2]
          %a = Add<1>(%c, %d) : f32[2]
          %t = Tanh<1>(%a) : f32[2]
          Result<1>(%t)
        }""", "fuse-elementwise")


def test_static_dims_gathered_from_a_partly_dynamic_shape_fold():
    graph = run_passes("""
        graph "g" {
          %z = Parameter<1>() {element_type=f32, shape=[?,3,4]} : f32[?,3,4]
          %s = ShapeOf<3>(%z) : i64[3]
          %i = Constant<1>() {value=tensor<i64[2]: [-1, 1]>} : i64[2]
          %a = Constant<1>() {value=tensor<i64[]: [0]>} : i64[]
          %d = Gather<8>(%s, %i, %a) : i64[2]
          Result<1>(%d)
          %j = Constant<1>() {value=tensor<i64[1]: [0]>} : i64[1]
          %b = Gather<8>(%s, %j, %a) : i64[1]
          Result<1>(%b)
        }""", "fold-shape-of")
    assert_ir(graph, """
        graph "g" {
          %z = Parameter<1>() {element_type=f32, shape=[?,3,4]} : f32[?,3,4]
          %d = Constant<1>() {value=tensor<i64[2]: [4, 3]>} : i64[2]
          Result<1>(%d)
          %s = ShapeOf<3>(%z) : i64[3]
          %j = Constant<1>() {value=tensor<i64[1]: [0]>} : i64[1]
          %a = Constant<1>() {value=tensor<i64[]: [0]>} : i64[]
          %b = Gather<8>(%s, %j, %a) : i64[1]
          Result<1>(%b)
        }""")
