"""Every op version vinify knows, declared once each, grouped by family.

Importing this package registers all ops. A family module declares op classes with `@register`;
shared shape rules live in `shape_rules`.
"""

from vinify.ops import io  # noqa: F401
from vinify.ops import elementwise  # noqa: F401
from vinify.ops import matmul  # noqa: F401
from vinify.ops import activation  # noqa: F401
