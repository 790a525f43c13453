"""Which nodes the CPU lowerings can compile, decided per node before any code is generated.

HETERO asks this to split a graph; the compiler asks it to name every node it cannot compile in
one error. The checks mirror the lowerings' own limits (element types per op, constant axes),
so a node reported supported does not fail later for these reasons. MatMul, convolutions and
pools of any rank compile (batched_matmul.py, conv_nd.py, pool_nd.py take what the fast 2-D
paths do not), so they need no check here.
"""

from typing import Any

import numpy as np
from vinify.codegen.lowering.context import (
    ALL_ELEMENT_TYPES,
    KERNEL_DTYPES,
    LOWERINGS,
    STORAGE_ELEMENT_TYPES,
    WEIGHT_FOLD_LIMIT,
    accept_element_types,
    accepted_element_types,
)

BOUNDARY_OPS = ("Parameter", "Result", "Constant")
VIEW_OPS = ("Reshape", "Squeeze", "Unsqueeze", "Convert", "Concat", "Transpose")
accept_element_types(ALL_ELEMENT_TYPES | STORAGE_ELEMENT_TYPES, *VIEW_OPS)


def _rank(value: Any) -> int | None:
    return value.shape.rank if value.shape.rank_is_static else None


def _constant(value: Any):
    from vinify.ir import constant_value

    return constant_value(value, WEIGHT_FOLD_LIMIT)


def unsupported_reason(node: Any) -> str | None:
    """Why the CPU device cannot compile `node`, or None when it can."""
    name = node.op.name
    if name in BOUNDARY_OPS:
        return None
    if name not in LOWERINGS:
        return "no CPU lowering"
    for value in list(node.inputs) + list(node.outputs):
        if value.element_type.name not in KERNEL_DTYPES:
            return f"element type {value.element_type.name}"
        # the runtime compiles per input shape and per value of the inputs that decide shapes
        # (vinify.specialize): a shape still dynamic here cannot be compiled
        if not value.shape.is_static:
            return f"dynamic shape {value.shape}"
    output_type = node.outputs[0].element_type.name
    if output_type not in accepted_element_types(name):
        return f"the CPU lowering of {name} does not compute {output_type}"
    for value in node.inputs:  # storage-only types are read by the ops that declare them only
        kind = value.element_type.name
        if kind in STORAGE_ELEMENT_TYPES and kind not in accepted_element_types(name):
            return f"the CPU lowering of {name} does not read {kind}"
    check = _CHECKS.get(name)
    return check(node) if check else None


def _lrn(node: Any) -> str | None:
    axes, rank = _constant(node.inputs[1]), _rank(node.inputs[0])
    if axes is None or rank is None or [int(a) % rank for a in np.ravel(axes)] != [1]:
        return "only LRN across channels (axes=[1])"
    return None


def _reduce(node: Any) -> str | None:
    axes, rank = _constant(node.inputs[1]), _rank(node.inputs[0])
    if axes is None or rank is None:
        return "reduction axes must be constant"
    return None


def _constant_second_input(node: Any) -> str | None:
    return None if _constant(node.inputs[1]) is not None else "needs a constant second input"


def _resize(node: Any) -> str | None:
    from vinify.codegen.lowering.resize import unsupported_resize_reason

    return unsupported_resize_reason(node, _constant)


def _if_branches(node: Any) -> str | None:
    from vinify.codegen.lowering.control_flow import unsupported_if_reason

    return unsupported_if_reason(node)


def _loop_body(node: Any) -> str | None:
    from vinify.codegen.lowering.control_flow import unsupported_loop_reason

    return unsupported_loop_reason(node)


_CHECKS = {
    "If": _if_branches, "Loop": _loop_body,
    "LRN": _lrn, "ReduceMean": _reduce,
    "ReduceSum": _reduce, "ReduceMax": _reduce, "Transpose": _constant_second_input,
    "Interpolate": _resize, "OnnxResize": _resize,
}
