"""The ONNX node conformance cases on GPU against an include-list that only grows.

`gpu_conformance_expected_passes.txt` lists the node cases that pass on GPU; regenerate it with
`vinify conformance -d GPU --kinds node --write-passes <that file>`.
Every OpenCL program is built by PoCL here (a fraction of a second each), so the test runs a
deterministic sample, every SAMPLE_STEP-th listed case, split into shards for `pytest -n 2`;
`vinify conformance -d GPU` runs them all.
"""

from pathlib import Path

import pytest
from vinify.frontends.onnx.conformance import node_cases, run_suite

EXPECTED_PASSES = Path(__file__).with_name("gpu_conformance_expected_passes.txt")
SAMPLE_STEP = 10
SHARDS = 2


def expected_passes() -> list[str]:
    return [line.strip() for line in EXPECTED_PASSES.read_text().splitlines() if line.strip()]


def sampled_names(shard: int) -> list[str]:
    """Every SAMPLE_STEP-th listed case (names without the "node/" kind), this shard's part."""
    sample = expected_passes()[::SAMPLE_STEP]
    return [key.split("/", 1)[1] for key in sample[shard::SHARDS]]


@pytest.mark.parametrize("shard", range(SHARDS))
def test_sampled_listed_cases_pass_on_gpu(shard):
    wanted = set(sampled_names(shard))
    cases = [case for case in node_cases() if case.name in wanted]
    assert len(cases) == len(wanted), f"listed cases that no longer exist: " \
        f"{sorted(wanted - {case.name for case in cases})}"
    report = run_suite(cases, "GPU", timeout=60.0)
    failures = [f"{r.name} [{r.stage}] {r.reason}" for r in report.results if not r.passed]
    assert not failures, "previously passing GPU cases fail:\n" + "\n".join(failures)


def test_expected_list_is_sorted_unique_and_names_node_cases():
    lines = expected_passes()
    assert lines == sorted(set(lines))
    assert all(line.startswith("node/") for line in lines)
    existing = {case.name for case in node_cases()}
    missing = [line for line in lines if line.split("/", 1)[1] not in existing]
    assert not missing, f"listed cases that no longer exist: {missing[:10]}"
