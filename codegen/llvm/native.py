"""LLVM IR text -> object code (llvmlite) -> shared library (the system linker, through gcc).

The shared library needs libgomp (the thread pool behind `GOMP_parallel`) and libm (expf, ...);
both are named by full path when no development symlink exists, which is the case on slim images.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path

from vinify.errors import DeviceError

GOMP_CANDIDATES = ("/usr/lib/x86_64-linux-gnu/libgomp.so.1", "/usr/lib64/libgomp.so.1",
                   "/usr/lib/libgomp.so.1")


def compile_object(ir_text: str, cpu_name: str, feature_string: str) -> bytes:
    """Object code for the module; one TargetMachine per call (sharing one is unsafe)."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    module = llvm.parse_assembly(ir_text)
    module.verify()
    machine = llvm.Target.from_default_triple().create_target_machine(
        cpu=cpu_name, features=feature_string, opt=3, reloc="pic", codemodel="default")
    module.triple = machine.triple
    module.data_layout = str(machine.target_data)
    return machine.emit_object(module)


def linker_available() -> bool:
    return shutil.which("gcc") is not None or shutil.which("cc") is not None


def gomp_library() -> str:
    for candidate in GOMP_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return "-lgomp"


def link_shared_object(object_code: bytes) -> bytes:
    """A shared library built from one object file with the system linker."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise DeviceError("CPU: no system linker (gcc/cc) found to build the shared library")
    with tempfile.TemporaryDirectory(prefix="vinify-link-") as folder:
        source = Path(folder) / "model.o"
        target = Path(folder) / "model.so"
        source.write_bytes(object_code)
        command = [compiler, "-shared", "-o", str(target), str(source), gomp_library(), "-lm"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise DeviceError(f"CPU: linking the generated code failed: {done.stderr.strip()}")
        return target.read_bytes()
