"""ONNX Attention (opset 23+) onto vinify's internal Attention op (no OpenVINO op covers its
caches, softcap and qk_matmul_output modes)."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.converters.control_flow import make_with_bodies
from vinify.frontends.onnx.registry import converter
from vinify.frontends.onnx.types import element_type_of
from vinify.shapes import DYNAMIC_RANK, TensorType
from vinify.types import f32, f64


@converter("Attention", since=23)
def attention(ctx: NodeContext):
    q, k, v = ctx.input(0), ctx.input(1), ctx.input(2)
    mask, past_key, past_value = (ctx.optional_input(i) for i in (3, 4, 5))
    nonpad = ctx.optional_input(6)
    if (past_key is None) != (past_value is None):
        raise ctx.error("past_key and past_value must be given together")
    inputs = [q, k, v] + [x for x in (mask, past_key, past_value, nonpad) if x is not None]
    # softmax_precision needs no attribute: the reference computes softmax in f64 anyway
    node = ctx.make("Attention", 1, *inputs,
                    is_causal=bool(ctx.attr("is_causal", 0)),
                    kv_num_heads=ctx.attr("kv_num_heads", 0),
                    q_num_heads=ctx.attr("q_num_heads", 0),
                    qk_matmul_output_mode=ctx.attr("qk_matmul_output_mode", 0),
                    scale=ctx.attr("scale", 0.0), softcap=ctx.attr("softcap", 0.0),
                    left_window_size=ctx.attr("left_window_size", -1),
                    right_window_size=ctx.attr("right_window_size", -1),
                    has_attn_mask=mask is not None, has_past=past_key is not None,
                    has_nonpad_kv_seqlen=nonpad is not None)
    return list(node.outputs)


@converter("LinearAttention", since=27)
def linear_attention(ctx: NodeContext):
    past, decay, beta = (ctx.optional_input(i) for i in (3, 4, 5))
    inputs = [ctx.input(0), ctx.input(1), ctx.input(2)]
    inputs += [x for x in (past, decay, beta) if x is not None]
    node = ctx.make("LinearAttention", 1, *inputs, q_num_heads=ctx.attr("q_num_heads"),
                    kv_num_heads=ctx.attr("kv_num_heads"), scale=ctx.attr("scale", 0.0),
                    update_rule=ctx.attr("update_rule", "gated_delta"),
                    has_past_state=past is not None, has_decay=decay is not None,
                    has_beta=beta is not None)
    return list(node.outputs)


@converter("FlexAttention", since=1, domain="ai.onnx.preview")
def flex_attention(ctx: NodeContext):
    q, k, v = ctx.input(0), ctx.input(1), ctx.input(2)
    if q.element_type.name == "f64":
        precision = f64
    elif ctx.has_attr("softmax_precision"):
        precision = element_type_of(ctx.attr("softmax_precision"), f"ONNX node '{ctx.name}'")
    else:
        precision = f32
    scores = TensorType(precision, DYNAMIC_RANK)
    bodies = [ctx.importer.convert_body(ctx.attr(name), ctx.scope, [scores])
              for name in ("score_mod", "prob_mod") if ctx.has_attr(name)]
    if any(body.captured_outer for body in bodies):
        raise ctx.error("score_mod/prob_mod bodies may not read values of the enclosing graph")
    return make_with_bodies(ctx, "FlexAttention", 1, [q, k, v], bodies,
                            scale=ctx.attr("scale", 0.0),
                            has_score_mod=ctx.has_attr("score_mod"),
                            has_prob_mod=ctx.has_attr("prob_mod")).outputs[0]


