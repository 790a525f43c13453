"""The ONNX backend suite on TEMPLATE against an include-list that only grows.

Every case in `conformance_expected_passes.txt` must pass; a case passing that is not listed yet
is printed so the list can be regenerated (`vinify conformance --write-passes FILE`). The suite
is split into shards so that `pytest -n 2` spreads it over both workers.
"""

import zlib
from pathlib import Path

import numpy as np
import pytest
from vinify.frontends.onnx.conformance import run_suite, select_cases

EXPECTED_PASSES = Path(__file__).with_name("conformance_expected_passes.txt")
SHARDS = 6


def case_key(kind: str, name: str) -> str:
    return f"{kind}/{name}"


def shard_of(key: str) -> int:
    return zlib.crc32(key.encode()) % SHARDS


def expected_passes() -> set[str]:
    lines = EXPECTED_PASSES.read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


@pytest.mark.parametrize("shard", range(SHARDS))
def test_conformance_shard(shard):
    cases = [c for c in select_cases(("node", "model")) if shard_of(case_key(c.kind, c.name))
             == shard]
    report = run_suite(cases, "TEMPLATE", timeout=60.0)
    results = {case_key(r.kind, r.name): r for r in report.results}
    expected = {key for key in expected_passes()
                if shard_of(key) == shard and not key.startswith("light/")}  # test_light_models
    missing = sorted(expected - set(results))
    regressions = sorted(key for key in expected & set(results) if not results[key].passed)
    newly_passing = sorted(key for key, r in results.items() if r.passed and key not in expected)
    if newly_passing:
        print(f"shard {shard}: {len(newly_passing)} newly passing case(s), add them to "
              f"{EXPECTED_PASSES.name}:\n  " + "\n  ".join(newly_passing))
    assert not missing, f"expected cases that no longer exist: {missing}"
    details = [f"{key} [{results[key].stage}] {results[key].reason}" for key in regressions]
    assert not regressions, "previously passing cases fail:\n" + "\n".join(details)
    assert report.passed >= len(expected)


def test_expected_list_is_sorted_and_unique():
    lines = [line for line in EXPECTED_PASSES.read_text().splitlines() if line.strip()]
    assert lines == sorted(set(lines))


def test_conformance_command_prints_table_and_writes_reports(tmp_path, capsys):
    import json

    from vinify.cli import main

    report, passes = tmp_path / "report.json", tmp_path / "passes.txt"
    code = main(["conformance", "-k", "test_softmax_axis_0", "--report", str(report),
                 "--write-passes", str(passes)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Softmax" in out and "TEMPLATE: passed" in out
    data = json.loads(report.read_text())
    assert data["device"] == "TEMPLATE" and data["total"] >= 2
    assert data["passed"] == len(passes.read_text().split())
    assert all(r["stage"] == "ok" for r in data["results"] if r["passed"])


def test_failure_reasons_name_the_stage():
    from vinify.frontends.onnx.conformance import compare_outputs

    with pytest.raises(AssertionError, match="output 0: shape"):
        compare_outputs([np.zeros(3, np.float32)], [np.zeros(4, np.float32)], 1e-3, 1e-7)
    with pytest.raises(AssertionError, match="output 0: dtype"):
        compare_outputs([np.zeros(3, np.float32)], [np.zeros(3, np.float64)], 1e-3, 1e-7)
    with pytest.raises(AssertionError, match="expected a sequence of 2"):
        compare_outputs([[np.zeros(1), np.zeros(1)]], [np.zeros(2)], 1e-3, 1e-7)
