"""CACHE_DIR: compiled blobs kept on disk, keyed by model, device and config.

The key hashes the model's full text form, the device name, every property except CACHE_DIR
itself, and a fingerprint of the compiler (vinify's version and the sources of its ops, passes
and code generators), so a changed model, setting or compiler never loads a stale blob. A blob
that fails to import (truncated, other version) is recompiled and overwritten; writes go to a
temporary name first.
"""

import hashlib
import json
import logging
import os
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Callable

from vinify.errors import VinifyError

log = logging.getLogger("vinify.runtime")


def cache_key(graph: Any, device_name: str, config: dict[str, Any]) -> str:
    from vinify.text import print_graph  # only a compile (compiler side present) gets here

    digest = hashlib.sha256(print_graph(graph, inline_limit=None).encode())
    settings = {k: str(v) for k, v in sorted(config.items()) if k != "CACHE_DIR"}
    digest.update(json.dumps([device_name, settings, compiler_fingerprint()]).encode())
    return digest.hexdigest()


COMPILER_PACKAGES = ("vinify.ops", "vinify.passes", "vinify.codegen")


@lru_cache(maxsize=1)
def compiler_fingerprint() -> str:
    """SHA-256 over vinify's version and the source files of the packages that decide what a
    compile produces; located with find_spec, so nothing is imported."""
    import vinify

    digest = hashlib.sha256(vinify.__version__.encode())
    for package in COMPILER_PACKAGES:
        spec = find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            for path in sorted(Path(folder).rglob("*.py")):
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def compile_with_cache(folder: str, key: str, compile: Callable[[], Any],
                       import_blob: Callable[[bytes], Any]) -> tuple[Any, bool]:
    """(executable, True if it came from the cache)."""
    path = Path(folder) / f"{key}.blob"
    if path.is_file():
        try:
            return import_blob(path.read_bytes()), True
        except VinifyError as error:
            log.warning("cached blob %s is unusable (%s); recompiling", path, error)
    executable = compile()
    try:
        blob = executable.export()
    except VinifyError:
        return executable, False  # this device cannot export: nothing to cache
    write_atomically(path, blob)
    return executable, False


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)
