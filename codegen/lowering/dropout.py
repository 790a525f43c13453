"""TrainingDropout (ONNX Dropout whose ratio or training flag is a run-time value).

Outside training, or with ratio 0, it is the identity with an all-true mask, exactly as the
reference. In training with a non-zero ratio an element is kept when its uniform number is at
least the ratio, and kept elements are scaled by 1 / (1 - ratio). The uniform numbers come from
a counter-based generator (the splitmix64 finalizer of element index + seed): numpy's generator
cannot be reproduced, so random masks differ from TEMPLATE's in which elements they drop, not in
the rule. Without a seed attribute the seed is a fixed constant, so runs are repeatable.
"""

from typing import Any

from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import (
    FLOAT_ELEMENT_TYPES,
    LoweringContext,
    lowers,
    static_shape,
)

GOLDEN = -7046029254386353131  # 0x9E3779B97F4A7C15 as i64: same bits, wrapping multiply
MIX1 = -4658895280553007687  # 0xBF58476D1CE4E5B9
MIX2 = -7723592293110705685  # 0x94D049BB133111EB
DEFAULT_SEED = 0x5EED
PARALLEL_MIN_ELEMENTS = 16384


def _b(op: str, a: K.Expr, b: K.Expr | int) -> K.Expr:
    return K.Binary(op, a, b if isinstance(b, K.Expr) else K.Const(b))


def _shift_right(value: K.Expr, bits: int) -> K.Expr:
    """A logical right shift: unsigned division by 2**bits."""
    return K.Cast(K.Binary("div", K.Cast(value, "u64"), K.Const(1 << bits, "u64")), "i64")


def uniform(index: K.Expr, seed: int) -> K.Expr:
    """A number in [0, 1) (f64) from the element index: splitmix64's finalizer."""
    mixed = _b("mul", _b("add", index, seed), GOLDEN)
    mixed = _b("mul", _b("xor", mixed, _shift_right(mixed, 30)), MIX1)
    mixed = _b("mul", _b("xor", mixed, _shift_right(mixed, 27)), MIX2)
    mixed = _b("xor", mixed, _shift_right(mixed, 31))
    top = K.Cast(_shift_right(mixed, 11), "f64")  # 53 random bits
    return K.Binary("mul", top, K.Const(2.0 ** -53, "f64"))


@lowers("TrainingDropout", dtypes=FLOAT_ELEMENT_TYPES)
def lower_training_dropout(ctx: LoweringContext, node: Any) -> None:
    size = 1
    for dim in static_shape(node.inputs[0]):
        size *= dim
    x, ratio_buffer, training = (ctx.buffer(v) for v in node.inputs)
    y, mask = ctx.output(node.outputs[0]), ctx.output(node.outputs[1])
    seed = node.attrs["seed"] if node.attrs["has_seed"] else DEFAULT_SEED
    ratio, inactive, scale = K.Var("ratio", "f64"), K.Var("inactive", "i1"), K.Var("scale", "f64")
    i, keep = K.Var("i"), K.Var("keep", "i1")
    scalars = [
        K.Let(ratio, K.Cast(K.Load(ratio_buffer, K.Const(0)), "f64")),
        K.Let(inactive, _b("or", _b("eq", K.Cast(K.Load(training, K.Const(0)), "i64"), 0),
                           K.Binary("eq", ratio, K.Const(0.0, "f64")))),
        K.Let(scale, K.Binary("div", K.Const(1.0, "f64"),
                              K.Binary("sub", K.Const(1.0, "f64"), ratio)))]
    value = K.Cast(K.Load(x, i), "f64")
    dropped = K.Select(keep, K.Binary("mul", value, scale), K.Const(0.0, "f64"))
    body = (K.Let(keep, _b("or", inactive, K.Binary("ge", uniform(i, seed), ratio))),
            K.Store(y, i, K.Cast(K.Select(inactive, value, dropped), y.dtype)),
            K.Store(mask, i, K.Select(keep, K.Const(1, mask.dtype), K.Const(0, mask.dtype))))
    loop = K.Loop(i, K.Const(0), K.Const(size), body)
    ctx.emit("training_dropout", scalars + [loop], node.describe())
