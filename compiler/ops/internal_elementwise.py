"""ElementwiseGroup (domain "vinify"): a fused chain of elementwise ops, for code generation.

The fuse-elementwise pass replaces a connected set of elementwise ops by one node whose `body`
attribute holds the set as a small graph in the text form (one Parameter per group input, small
constants inline, one Result). A code generator emits the body as one loop nest over the
output; the reference here interprets the body with each op's own numpy reference, so a fused
graph gives TEMPLATE the same numbers as the unfused one. The output shape is the numpy
broadcast of the inputs (every op in the body broadcasts elementwise).
"""

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import broadcast_shapes
from vinify.shapes import PartialShape, TensorType

if TYPE_CHECKING:
    from vinify.ir import Graph


@lru_cache(maxsize=256)
def parse_body(text: str) -> "Graph":
    """The body graph of a group (parsed once per distinct body)."""
    from vinify.text import parse

    return parse(text)


def evaluate_body(body: "Graph", inputs: tuple[np.ndarray, ...]) -> np.ndarray:
    values: dict[int, np.ndarray] = {}
    for parameter, array in zip(body.parameters, inputs):
        values[id(parameter.outputs[0])] = array
    for node in body.nodes():
        if node.op.name == "Parameter":
            continue
        results = node.evaluate([values[id(v)] for v in node.inputs])
        for value, array in zip(node.outputs, results):
            values[id(value)] = array
    return values[id(body.outputs[0])]


@register
class ElementwiseGroup(Op):
    """body(inputs...): the elementwise graph in `body`, applied with numpy broadcasting."""

    name, version = "ElementwiseGroup", 1
    domain = "vinify"
    num_inputs = (1, None)
    attributes = (Attr("body", "str"),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        try:
            body = parse_body(ctx.attrs["body"])
        except Exception as error:
            raise ctx.error(f"body does not parse: {error}") from None
        if len(body.parameters) != len(ctx.input_types) or len(body.results) != 1:
            raise ctx.error(f"body has {len(body.parameters)} parameters and "
                            f"{len(body.results)} results for {len(ctx.input_types)} inputs")
        for index, parameter in enumerate(body.parameters):
            if parameter.outputs[0].element_type != ctx.element_type(index):
                raise ctx.error(f"input {index} is {ctx.input_types[index]}, body parameter "
                                f"is {parameter.outputs[0].type}")
        shape = PartialShape(())
        for index in range(len(ctx.input_types)):
            shape = broadcast_shapes(ctx, shape, ctx.shape(index))
        return [TensorType(body.outputs[0].element_type, shape)]

    @classmethod
    def evaluate(cls, attrs: dict, *inputs: np.ndarray) -> np.ndarray:
        result = evaluate_body(parse_body(attrs["body"]), inputs)
        shape = np.broadcast_shapes(*(np.shape(a) for a in inputs))
        return np.broadcast_to(result, shape) if np.shape(result) != shape else result
