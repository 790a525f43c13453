"""Typed errors raised across vinify.

Every error names the model item it is about (node, tensor, port, file, offset) in its message,
so a user can find the culprit without a debugger. This module imports nothing heavy: the runtime
uses it too.
"""


class VinifyError(Exception):
    """Base class of every error vinify raises on purpose."""


class IRError(VinifyError):
    """The graph is malformed (dangling value, cycle, arity, attribute of the wrong kind)."""


class VerificationError(IRError):
    """The verifier found a graph that breaks an IR invariant."""


class TypeInferenceError(IRError):
    """An op's inputs or attributes do not fit its type and shape rules."""


class UnknownOpError(IRError):
    """An op name/version that no opset declares."""


class ParseError(VinifyError):
    """Text IR that does not parse; carries line and column."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(where + message)
        self.line = line
        self.column = column


class ConversionError(VinifyError):
    """A model could not be converted into the IR."""


class UnsupportedOpError(ConversionError):
    """One or more source ops have no converter; the message lists all of them."""


class ModelFileError(VinifyError):
    """A model file is unreadable, truncated, hostile or refers outside its folder."""


class DeviceError(VinifyError):
    """A device is unknown, unavailable, or cannot compile the model."""


class InferenceError(VinifyError):
    """A request got bad inputs (missing, extra, wrong shape or element type) or failed."""


class RequestBusyError(InferenceError):
    """An infer request was used while it was already running."""


class PropertyError(VinifyError):
    """An unknown property, or a property value of the wrong kind."""


class BlobError(VinifyError):
    """A compiled blob is truncated, tampered, of another format version, or needs other CPU."""
