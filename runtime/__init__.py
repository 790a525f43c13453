"""The vinify runtime: loads compiled models and runs inference. Imports no compiler code."""

from vinify.runtime import properties
from vinify.runtime.async_queue import AsyncInferQueue
from vinify.runtime.compiled_model import CompiledModel, Results
from vinify.runtime.core import Core
from vinify.runtime.device import Device, Executable, Port
from vinify.runtime.infer_request import InferRequest
from vinify.runtime.profiling import ProfilingInfo
from vinify.runtime.tensor import Tensor

__all__ = ["Core", "CompiledModel", "InferRequest", "AsyncInferQueue", "Results", "Tensor",
           "ProfilingInfo", "Device", "Executable", "Port", "properties"]
