"""LLVM IR text -> object code (llvmlite) -> shared library (the system linker, through gcc).

The shared library needs libgomp (the thread pool behind `GOMP_parallel`) and libm (expf, ...);
both are named by full path when no development symlink exists, which is the case on slim images.
"""

import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from vinify.errors import DeviceError

GOMP_CANDIDATES = ("/usr/lib/x86_64-linux-gnu/libgomp.so.1", "/usr/lib64/libgomp.so.1",
                   "/usr/lib/libgomp.so.1")


def compile_objects(ir_texts: list[str], cpu_name: str, feature_string: str) -> list[bytes]:
    """Object code for each module, compiled in parallel threads (llvmlite releases the GIL
    inside LLVM; each thread has its own LLVM context and TargetMachine)."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    if len(ir_texts) == 1:
        return [compile_object(ir_texts[0], cpu_name, feature_string)]
    with ThreadPoolExecutor(max_workers=len(ir_texts)) as pool:
        return list(pool.map(lambda text: compile_object(text, cpu_name, feature_string),
                             ir_texts))


def compile_object(ir_text: str, cpu_name: str, feature_string: str) -> bytes:
    """Object code for the module; one TargetMachine per call (sharing one is unsafe)."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    module = llvm.parse_assembly(ir_text, context=llvm.create_context())
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


def link_shared_object(objects: list[bytes]) -> bytes:
    """A shared library built from object files with the system linker."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise DeviceError("CPU: no system linker (gcc/cc) found to build the shared library")
    with tempfile.TemporaryDirectory(prefix="vinify-link-") as folder:
        sources = []
        for index, code in enumerate(objects):
            sources.append(Path(folder) / f"part{index}.o")
            sources[-1].write_bytes(code)
        target = Path(folder) / "model.so"
        command = [compiler, "-shared", "-o", str(target), *map(str, sources), gomp_library(),
                   "-lm"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise DeviceError(f"CPU: linking the generated code failed: {done.stderr.strip()}")
        return target.read_bytes()
