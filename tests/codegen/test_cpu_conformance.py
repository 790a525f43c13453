"""The ONNX node conformance cases on CPU against an include-list that only grows.

`cpu_conformance_expected_passes.txt` lists the node cases that pass on CPU; regenerate it with
`vinify conformance -d CPU --kinds node --write-passes <that file>`. Native compiles are fast
(the whole suite takes under a minute on one core), so every listed case runs, split into shards
for `pytest -n 2`. A case that passes but is not listed yet is printed, so the list can grow.
"""

import zlib
from pathlib import Path

import pytest
from vinify.frontends.onnx.conformance import node_cases, run_suite

EXPECTED_PASSES = Path(__file__).with_name("cpu_conformance_expected_passes.txt")
SHARDS = 4


def expected_passes() -> list[str]:
    return [line.strip() for line in EXPECTED_PASSES.read_text().splitlines() if line.strip()]


def shard_of(name: str) -> int:
    return zlib.crc32(name.encode()) % SHARDS


@pytest.mark.parametrize("shard", range(SHARDS))
def test_listed_cases_pass_on_cpu(shard):
    cases = [case for case in node_cases() if shard_of(case.name) == shard]
    report = run_suite(cases, "CPU", timeout=60.0)
    results = {r.name: r for r in report.results}
    wanted = [key.split("/", 1)[1] for key in expected_passes()]
    wanted = [name for name in wanted if shard_of(name) == shard]
    missing = sorted(set(wanted) - set(results))
    assert not missing, f"listed cases that no longer exist: {missing}"
    failures = [f"{n} [{results[n].stage}] {results[n].reason}" for n in wanted
                if not results[n].passed]
    newly = sorted(n for n, r in results.items() if r.passed and n not in set(wanted))
    if newly:
        print(f"shard {shard}: {len(newly)} newly passing case(s), add them to "
              f"{EXPECTED_PASSES.name}:\n  " + "\n  ".join(newly))
    assert not failures, "previously passing CPU cases fail:\n" + "\n".join(failures)


def test_expected_list_is_sorted_unique_and_names_node_cases():
    lines = expected_passes()
    assert lines == sorted(set(lines))
    assert all(line.startswith("node/") for line in lines)
    assert len(lines) > 0
