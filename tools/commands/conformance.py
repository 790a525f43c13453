"""Run the ONNX backend conformance suite on a device and report passed/total per op type."""

import json
import sys
from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("-d", "--device", default="TEMPLATE", help="device to run on")
    parser.add_argument("-k", "--filter", default=None,
                        help="run only cases whose name contains this text")
    parser.add_argument("--kinds", default="node,model,light",
                        help="comma-separated case kinds: node, model, light (default all)")
    parser.add_argument("--report", type=Path, default=None, help="write a JSON report here")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per case")
    parser.add_argument("--verbose", action="store_true", help="print each case as it runs")
    parser.add_argument("--write-passes", type=Path, default=None,
                        help="write the passing cases (kind/name, one a line) to this file")


def run(args) -> int:
    from vinify.api import atomic_write
    from vinify.frontends.onnx.conformance import run_suite, select_cases

    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    cases = select_cases(kinds, args.filter)
    if not cases:
        print("no cases match", file=sys.stderr)
        return 1

    def show(result):
        if args.verbose:
            mark = "ok  " if result.passed else "FAIL"
            print(f"{mark} {result.name} ({result.seconds:.2f}s) {result.reason}", flush=True)

    report = run_suite(cases, args.device, args.timeout, show)
    print_report(report)
    if args.report is not None:
        atomic_write(args.report, json.dumps(report.to_json(), indent=1).encode())
    if args.write_passes is not None:
        keys = sorted(f"{r.kind}/{r.name}" for r in report.results if r.passed)
        atomic_write(args.write_passes, ("\n".join(keys) + "\n").encode())
    return 0


def print_report(report) -> None:
    print(f"\nop type{'':25} passed/total")
    for op_type, (passed, total) in report.by_op_type().items():
        flag = "" if passed == total else "  <"
        print(f"  {op_type:30} {passed:4d}/{total:<4d}{flag}")
    failures = [r for r in report.results if not r.passed]
    if failures:
        print(f"\nfailures ({len(failures)}):")
        for result in failures:
            print(f"  {result.name} [{result.stage}] {result.reason}")
    by_kind = report.to_json()["by_kind"]
    kinds = ", ".join(f"{kind} {p}/{t}" for kind, (p, t) in by_kind.items())
    percent = 100.0 * report.passed / max(report.total, 1)
    print(f"\n{report.device}: passed {report.passed}/{report.total} ({percent:.1f}%)  [{kinds}]")
