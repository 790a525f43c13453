"""A deployed application imports vinify.runtime only: no compiler-side modules may load."""

import subprocess
import sys

FORBIDDEN = ("llvmlite", "lark", "onnx", "vinify.frontends", "vinify.passes", "vinify.codegen",
             "vinify.text", "vinify.ops")


def test_runtime_import_pulls_in_no_compiler_modules():
    code = (
        "import sys, vinify.runtime\n"
        "core = vinify.runtime.Core()\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True).stdout.split()
    offending = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert offending == []
    assert "vinify.runtime" in loaded
