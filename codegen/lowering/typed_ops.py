"""Ops whose CPU lowerings handle every kernel element type themselves.

The per-node support check (support.py) accepts a non-f32 output only for the ops it lists as
views, because the f32 activations build f32 constants. Comparisons, Select, gathers and splits
built by the coverage lowerings carry their operands' own types, so they are added to that list
here when their modules load, and the check keeps one place to look.
"""

from vinify.codegen.lowering import support

ANY_ELEMENT_TYPE_OPS: set[str] = set()


def allow_any_element_type(*op_names: str) -> None:
    """Lets the support check accept `op_names` on any element type the kernel IR carries."""
    ANY_ELEMENT_TYPE_OPS.update(op_names)
    listed = tuple(getattr(support, "VIEW_OPS", ()))
    support.VIEW_OPS = listed + tuple(n for n in op_names if n not in listed)
