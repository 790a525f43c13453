"""Kept for lowering modules that still call `allow_any_element_type`: it declares the element
types the kernel IR carried before the wider types were added (see context.accept_element_types,
which new code uses directly, through `@lowers(..., dtypes=...)`)."""

from vinify.codegen.lowering.context import BASIC_ELEMENT_TYPES, accept_element_types


def allow_any_element_type(*op_names: str) -> None:
    """Lets the support check accept `op_names` on f32, i64, i32, i8, u8 and boolean."""
    accept_element_types(BASIC_ELEMENT_TYPES, *op_names)
