"""Every op version vinify knows, declared once each, grouped by family.

Importing this package imports every module in it, which registers all ops: a new family is a new
module here, nothing else to edit. Shared shape rules live in `shape_rules`.
"""

import pkgutil
from importlib import import_module

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    import_module(f"{__name__}.{_module}")
