"""Inferred output types of one node, written in the text form's type syntax.

`inferred("Reshape", 1, "f32[2,?]", np.array([-1]), special_zero=False)` builds a Parameter for
each type string and a Constant for each array, and returns the output type as text.
"""

import numpy as np
from vinify import ir
from vinify.shapes import PartialShape


def _value(index: int, spec) -> ir.Node:
    if isinstance(spec, (np.ndarray, np.generic)):
        return ir.constant(np.asarray(spec))
    elem, _, shape = spec.partition("[")
    return ir.parameter(f"in{index}", elem, PartialShape.parse("[" + shape))


def make_node(op_name: str, version: int, *inputs, **attrs) -> ir.Node:
    return ir.make(op_name, version, [_value(i, s) for i, s in enumerate(inputs)], name="op",
                   **attrs)


def inferred(op_name: str, version: int, *inputs, **attrs) -> str:
    """The first output's type; all outputs' types joined by ', ' when there are several."""
    node = make_node(op_name, version, *inputs, **attrs)
    return ", ".join(str(v.type) for v in node.outputs)
