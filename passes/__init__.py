"""vinify.passes: the pass manager, the pattern rewriter, and the graph optimization passes.

Importing this package imports every module in it, which registers each built-in pass: a new
pass is a new module here, nothing else to edit. Pipelines are plain lists (see `pipelines`).
"""

import pkgutil
from importlib import import_module

from vinify.passes.pass_manager import (
    Pass,
    PassError,
    PassManager,
    lookup_pass,
    make_pass,
    register_pass,
    registered_passes,
    run_pipeline,
)

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    import_module(f"{__name__}.{_module}")

from vinify.passes.pipelines import COMMON, DEVICE_PIPELINES, optimize, pipeline_for  # noqa: E402

__all__ = ["Pass", "PassError", "PassManager", "lookup_pass", "make_pass", "register_pass",
           "registered_passes", "run_pipeline", "COMMON", "DEVICE_PIPELINES", "optimize",
           "pipeline_for"]
