"""vinify: a deep-learning model compiler and inference toolkit.

The public API is loaded lazily, so that `import vinify.runtime` (a deployed application) pulls in
neither the compiler side (lark, onnx, llvmlite) nor its frontends, passes or codegen.
"""

from importlib import import_module

__version__ = "0.1.0"

_API = {
    "Core": "vinify.runtime",
    "CompiledModel": "vinify.runtime",
    "InferRequest": "vinify.runtime",
    "AsyncInferQueue": "vinify.runtime",
    "Tensor": "vinify.runtime",
    "properties": "vinify.runtime",
    "Graph": "vinify.ir",
    "Node": "vinify.ir",
    "Value": "vinify.ir",
    "Model": "vinify.ir",
    "parse": "vinify.text",
    "print_graph": "vinify.text",
    "verify": "vinify.verify",
    "read_model": "vinify.api",
    "convert_model": "vinify.api",
    "compile_model": "vinify.api",
    "save_model": "vinify.api",
    "get_opset": "vinify.opsets",
    "reshape": "vinify.reshape",
}


def __getattr__(name: str):
    if name in _API:
        value = getattr(import_module(_API[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'vinify' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_API))
