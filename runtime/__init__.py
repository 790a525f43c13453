"""The vinify runtime: loads compiled models and runs inference. Imports no compiler code.

The concepts and names are OpenVINO's::

    core = Core()
    core.available_devices                    # ['CPU', 'TEMPLATE']; core.unavailable_devices()
    core.set_property("CPU", {"PERFORMANCE_HINT": "THROUGHPUT"})
    compiled = core.compile_model("model.onnx", "AUTO")     # or "HETERO:CPU,TEMPLATE", "MULTI:..."
    request = compiled.create_infer_request()
    request.infer({"input": array})["output"]
    queue = AsyncInferQueue(compiled)        # size: OPTIMAL_NUMBER_OF_INFER_REQUESTS
    queue.set_callback(lambda request, userdata: ...)
    queue.start_async({"input": array}, userdata=0)
    queue.wait_all()

Compiling (compile_model with a graph or a model path) needs the compiler side, imported lazily;
import_model of an exported blob does not, for devices whose blobs carry native code.
"""

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
