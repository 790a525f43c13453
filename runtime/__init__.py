"""The vinify runtime: loads compiled models and runs inference. Imports no compiler code."""

from vinify.runtime.compiled_model import CompiledModel, InferRequest, Results
from vinify.runtime.core import Core
from vinify.runtime.device import Device, Executable, Port

__all__ = ["Core", "CompiledModel", "InferRequest", "Results", "Device", "Executable", "Port"]
