"""The compiled-model blob: one file with a header, metadata, weights and code.

Layout (little endian):

    magic        8 bytes  b"VINIFYB\\0"
    version      u32      BLOB_FORMAT_VERSION
    header size  u32      length of the JSON header that follows
    header       JSON     {"vinify_version", "device", "target_cpu", "required_features",
                           "sections": [{"name", "offset", "size", "sha256"}, ...]}
    header hash  32 bytes SHA-256 of the JSON header bytes
    sections     each at its (64-byte aligned) offset from the start of the file

Reading verifies the magic, the format version, the header hash, that every section lies inside
the file and matches its SHA-256, and that this CPU has every feature the code was built for.
Any failure is a `BlobError` naming what is wrong and where; nothing here imports the compiler.
"""

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path

from vinify.errors import BlobError

MAGIC = b"VINIFYB\0"
BLOB_FORMAT_VERSION = 1
SECTION_ALIGNMENT = 64
_FIXED = struct.Struct("<8sII")

# LLVM feature names that /proc/cpuinfo spells differently.
CPUINFO_NAMES = {"sse4.1": "sse4_1", "sse4.2": "sse4_2", "sahf": "lahf_lm", "crc32": "sse4_2",
                 "cx16": "cx16", "pclmul": "pclmulqdq", "64bit": "lm", "prfchw": "3dnowprefetch",
                 "lzcnt": "abm", "bmi": "bmi1", "avx512vnni": "avx512_vnni",
                 "avx512bf16": "avx512_bf16", "avx512fp16": "avx512_fp16",
                 "avx512vbmi2": "avx512_vbmi2"}
# Features whose absence would make generated code fault; the rest are tuning hints.
CODE_FEATURES = ("sse4.1", "sse4.2", "avx", "avx2", "fma", "f16c", "bmi", "bmi2", "avx512f",
                 "avx512bw", "avx512dq", "avx512vl", "avx512cd", "avx512vnni", "avx512bf16",
                 "avx512fp16", "avx512vbmi", "avx512ifma")


@dataclass
class Blob:
    header: dict
    sections: dict[str, memoryview]  # views into the blob's bytes: weights are not copied

    @property
    def metadata(self) -> dict:
        return json.loads(bytes(self.sections["metadata"]).decode())


def write_blob(header: dict, sections: dict[str, bytes]) -> bytes:
    """The blob bytes for `header` (without "sections") and named section payloads."""
    entries, offset = [], 0
    for name, payload in sections.items():
        entries.append({"name": name, "size": len(payload),
                        "sha256": hashlib.sha256(payload).hexdigest()})
    for _ in range(2):  # offsets depend on the header length, which depends on the offsets
        header_bytes = _header_bytes(header, entries)
        offset = _align(_FIXED.size + len(header_bytes) + 32)
        for entry in entries:
            entry["offset"] = offset
            offset = _align(offset + entry["size"])
    header_bytes = _header_bytes(header, entries)
    chunks = [_FIXED.pack(MAGIC, BLOB_FORMAT_VERSION, len(header_bytes)), header_bytes,
              hashlib.sha256(header_bytes).digest()]
    length = sum(len(c) for c in chunks)
    for entry, payload in zip(entries, sections.values()):
        chunks.append(b"\0" * (entry["offset"] - length))
        chunks.append(payload)
        length = entry["offset"] + entry["size"]
    return b"".join(chunks)  # one copy of the (possibly large) weights


def _header_bytes(header: dict, entries: list[dict]) -> bytes:
    return json.dumps({**header, "sections": entries}, sort_keys=True).encode()


def _align(value: int) -> int:
    return (value + SECTION_ALIGNMENT - 1) // SECTION_ALIGNMENT * SECTION_ALIGNMENT


def read_blob(data: bytes, where: str = "blob", expected_device: str | None = None) -> Blob:
    """The verified header and sections of a blob; BlobError on any defect."""
    data = memoryview(data).cast("B")
    if len(data) < _FIXED.size:
        raise BlobError(f"{where}: truncated: {len(data)} bytes is shorter than the blob header")
    magic, version, header_size = _FIXED.unpack_from(data)
    if bytes(magic) != MAGIC:
        raise BlobError(f"{where}: not a vinify blob (bad magic {magic!r} at offset 0)")
    if version != BLOB_FORMAT_VERSION:
        raise BlobError(f"{where}: blob format version {version}; this runtime reads version "
                        f"{BLOB_FORMAT_VERSION} (recompile the model)")
    end = _FIXED.size + header_size
    if len(data) < end + 32:
        raise BlobError(f"{where}: truncated inside the header (offset {_FIXED.size}, "
                        f"{header_size} bytes declared, file has {len(data)})")
    header_bytes = bytes(data[_FIXED.size:end])
    if hashlib.sha256(header_bytes).digest() != data[end:end + 32]:
        raise BlobError(f"{where}: header checksum mismatch at offset {_FIXED.size} "
                        f"(the blob was modified)")
    header = _parse_header(header_bytes, where)
    if expected_device and header.get("device") != expected_device:
        raise BlobError(f"{where}: blob was compiled for device {header.get('device')}, "
                        f"not {expected_device}")
    sections = {entry["name"]: _section(data, entry, where) for entry in header["sections"]}
    return Blob(header, sections)


def _parse_header(header_bytes: bytes, where: str) -> dict:
    """The header's JSON, checked for the shape the format defines (a header with a matching
    hash can still be forged)."""
    try:
        header = json.loads(header_bytes.decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BlobError(f"{where}: the header is not valid JSON ({error})") from None
    sections = header.get("sections") if isinstance(header, dict) else None
    if not isinstance(sections, list):
        raise BlobError(f"{where}: the header has no section table")
    for entry in sections:
        fields = [entry.get(k) for k in ("offset", "size")] if isinstance(entry, dict) else []
        if (len(fields) != 2 or not all(isinstance(f, int) and f >= 0 for f in fields)
                or not isinstance(entry.get("name"), str)
                or not isinstance(entry.get("sha256"), str)):
            raise BlobError(f"{where}: malformed section entry {entry!r}")
    return header


def _section(data: memoryview, entry: dict, where: str) -> memoryview:
    start, size = entry["offset"], entry["size"]
    if start + size > len(data):
        raise BlobError(f"{where}: truncated: section '{entry['name']}' needs bytes "
                        f"{start}..{start + size}, file has {len(data)}")
    payload = data[start:start + size]
    if hashlib.sha256(payload).hexdigest() != entry["sha256"]:
        raise BlobError(f"{where}: section '{entry['name']}' at offset {start} fails its "
                        f"SHA-256 check (the blob was modified)")
    return payload


def host_cpu_flags() -> set[str]:
    """This machine's CPU flags, from /proc/cpuinfo (no compiler imports)."""
    path = Path("/proc/cpuinfo")
    if not path.exists():
        return set()
    for line in path.read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def required_features(enabled: list[str]) -> list[str]:
    """The features generated code may rely on, out of the features it was compiled with."""
    return [f for f in CODE_FEATURES if f in enabled]


def check_cpu_features(required: list[str], where: str = "blob") -> None:
    flags = host_cpu_flags()
    if not flags:
        return
    missing = [f for f in required if CPUINFO_NAMES.get(f, f.replace(".", "_")) not in flags]
    if missing:
        raise BlobError(f"{where}: this CPU lacks feature(s) {missing} the blob's code needs")
