"""The ONNX backend conformance suite, run through vinify: ONNX -> vinify IR -> a device.

Cases come from the installed `onnx` package: the node cases it generates in memory
(`onnx.backend.test.case.node.collect_testcases`) and the model cases shipped under
`onnx/backend/test/data/` (simple, pytorch-converted, pytorch-operator, light). Each case is
converted with vinify's importer, compiled on the chosen device, run, and compared with the
case's expected outputs at its rtol/atol. No other runtime is consulted.
"""

import functools
import json
import signal
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import onnx

MODEL_KINDS = ("simple", "pytorch-converted", "pytorch-operator")
LIGHT_MODELS = {  # model name -> rtol, as the onnx package states them
    "bvlc_alexnet": 1e-3, "densenet121": 2e-3, "inception_v1": 1e-3, "inception_v2": 1e-3,
    "resnet50": 1e-3, "shufflenet": 1e-3, "squeezenet": 1e-3, "vgg19": 1e-3, "zfnet512": 1e-3,
}


@dataclass
class ConformanceCase:
    name: str
    kind: str  # "node", one of MODEL_KINDS, or "light"
    rtol: float
    atol: float
    model_source: Any  # a ModelProto, or the path of a model file
    data_loader: Callable[[], list[tuple[list, list]]] = field(repr=False)

    def load_model(self) -> onnx.ModelProto:
        if isinstance(self.model_source, onnx.ModelProto):
            return self.model_source
        return onnx.load(str(self.model_source), load_external_data=False)


@dataclass
class CaseResult:
    name: str
    kind: str
    op_type: str
    passed: bool
    stage: str  # where it stopped: "convert", "compile", "run", "compare", "timeout", or "ok"
    reason: str
    seconds: float


class CaseTimeout(Exception):
    pass


def data_root() -> Path:
    return Path(onnx.__file__).parent / "backend" / "test" / "data"


@functools.cache
def node_cases() -> tuple[ConformanceCase, ...]:
    """The ~1,900 node cases onnx generates in memory (a few seconds to collect)."""
    from onnx.backend.test.case import node

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        collected = node.collect_testcases(None)
    return tuple(
        ConformanceCase(case.name, "node", case.rtol, case.atol, case.model,
                        functools.partial(lambda sets: list(sets), case.data_sets))
        for case in collected)


def model_cases(kinds: Iterable[str] = MODEL_KINDS) -> list[ConformanceCase]:
    """The model cases stored as folders of model.onnx + test_data_set_*/ under the data root."""
    cases = []
    for kind in kinds:
        folder = data_root() / kind
        for case_dir in sorted(p for p in folder.iterdir() if (p / "model.onnx").is_file()):
            rtol, atol = _tolerances(case_dir)
            cases.append(ConformanceCase(case_dir.name, kind, rtol, atol, case_dir / "model.onnx",
                                         functools.partial(_folder_data_sets, case_dir)))
    return cases


def light_cases() -> list[ConformanceCase]:
    """The nine light_* models; inputs are arange(n)/n as the onnx runner builds them."""
    cases = []
    for name, rtol in LIGHT_MODELS.items():
        path = data_root() / "light" / f"light_{name}.onnx"
        cases.append(ConformanceCase(f"test_{name}", "light", rtol, 1e-7, path,
                                     functools.partial(_light_data_sets, path)))
    return cases


def _tolerances(case_dir: Path) -> tuple[float, float]:
    settings = case_dir / "data.json"
    if not settings.is_file():
        return 1e-3, 1e-7
    data = json.loads(settings.read_text())
    return float(data.get("rtol", 1e-3)), float(data.get("atol", 1e-7))


def _read_tensor(path: Path) -> np.ndarray:
    return onnx.numpy_helper.to_array(onnx.load_tensor(str(path)))


def _folder_data_sets(case_dir: Path) -> list[tuple[list, list]]:
    sets = []
    for set_dir in sorted(case_dir.glob("test_data_set_*")):
        inputs = [_read_tensor(p) for p in sorted(set_dir.glob("input_*.pb"), key=_index)]
        outputs = [_read_tensor(p) for p in sorted(set_dir.glob("output_*.pb"), key=_index)]
        sets.append((inputs, outputs))
    return sets


def _index(path: Path) -> int:
    return int(path.stem.rsplit("_", 1)[1])


def light_inputs(model: onnx.ModelProto) -> list[np.ndarray]:
    """arange(n)/n in each float input's shape (dynamic dimensions taken as 1)."""
    initializers = {t.name for t in model.graph.initializer}
    inputs = []
    for info in model.graph.input:
        if info.name in initializers:
            continue
        dims = info.type.tensor_type.shape.dim
        shape = tuple(d.dim_value if d.HasField("dim_value") else 1 for d in dims)
        count = int(np.prod(shape))
        inputs.append((np.arange(count).reshape(shape) / count).astype(np.float32))
    return inputs


def _light_data_sets(path: Path) -> list[tuple[list, list]]:
    model = onnx.load(str(path), load_external_data=False)
    expected = _read_tensor(path.with_name(path.stem + "_output_0.pb"))
    return [(light_inputs(model), [expected])]


# ------------------------------------------------------------------------------- running
def case_op_type(model: onnx.ModelProto, name: str) -> str:
    """The op a case is about: the single node's type, else the node type named by the case."""
    op_types = [n.op_type for n in model.graph.node]
    if len(set(op_types)) == 1:
        return op_types[0]
    compact = name.replace("_", "").lower()
    named = [t for t in set(op_types) if t.lower() in compact]
    if named:
        return max(named, key=len)
    return "(model)" if op_types else "(empty)"


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raises CaseTimeout after `seconds` (main thread only; elsewhere no guard)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum, frame):
        raise CaseTimeout(f"ran longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_case(case: ConformanceCase, device: str = "TEMPLATE", timeout: float | None = 30.0
             ) -> CaseResult:
    """Converts, compiles and runs one case; never raises for a failing case."""
    start = time.perf_counter()
    stage, op_type = "load", "(unknown)"
    try:
        with time_limit(timeout), warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            model = _attempt("load", case.load_model)
            op_type = case_op_type(model, case.name)
            stage = _run_stages(case, model, device)
        passed, reason = stage == "ok", ""
    except CaseTimeout as error:
        passed, stage, reason = False, "timeout", str(error)
    except _StageFailure as failure:
        passed, stage, reason = False, failure.stage, failure.reason
    return CaseResult(case.name, case.kind, op_type, passed, stage, reason,
                      round(time.perf_counter() - start, 4))


class _StageFailure(Exception):
    def __init__(self, stage: str, reason: str):
        super().__init__(reason)
        self.stage, self.reason = stage, reason


def _attempt(stage: str, action: Callable[[], Any]) -> Any:
    try:
        return action()
    except CaseTimeout:
        raise
    except Exception as error:  # a failing case is a result, not a crash
        text = str(error).strip().splitlines()
        raise _StageFailure(stage, f"{type(error).__name__}: {text[0] if text else ''}"
                            [:400]) from None


def _run_stages(case: ConformanceCase, model: onnx.ModelProto, device: str) -> str:
    from vinify.api import compile_model
    from vinify.frontends.onnx.importer import read_onnx_model

    base_dir = None if isinstance(case.model_source, onnx.ModelProto) else \
        Path(case.model_source).parent
    graph = _attempt("convert", lambda: read_onnx_model(model, base_dir=base_dir))
    compiled = _attempt("compile", lambda: compile_model(graph, device))
    for inputs, expected in case.data_loader():
        feeds = [as_feed(value.element_type, x) for value, x in zip(graph.inputs, inputs)]
        results = _attempt("run", lambda: compiled(feeds).to_tuple())
        _attempt("compare", lambda: compare_outputs(expected, results, case.rtol, case.atol))
    return "ok"


def _plain(item: Any) -> Any:
    if isinstance(item, onnx.TensorProto):
        return onnx.numpy_helper.to_array(item)
    if isinstance(item, np.generic):
        return np.asarray(item)
    return item


def as_feed(elem: Any, item: Any) -> Any:
    """A case's input as vinify takes it: sequences and optionals become object containers."""
    from vinify.ops.onnx_sequences import is_optional, is_sequence, item_type, make_container

    if is_sequence(elem):
        return make_container([as_feed(item_type(elem), x) for x in item])
    if is_optional(elem):
        return make_container([] if item is None else [as_feed(item_type(elem), item)])
    return _plain(item)


def compare_outputs(expected: list, actual: Iterable, rtol: float, atol: float) -> None:
    """Raises AssertionError naming the first output that differs (count, dtype, shape, values)."""
    actual = list(actual)
    if len(expected) != len(actual):
        raise AssertionError(f"{len(actual)} outputs, expected {len(expected)}")
    for index, (want, got) in enumerate(zip(expected, actual)):
        compare_value(index, _plain(want), got, rtol, atol)


def compare_value(index: Any, want: Any, got: Any, rtol: float, atol: float) -> None:
    """One output: a tensor, a sequence (list) or an optional (None, or its content)."""
    is_container = isinstance(got, np.ndarray) and got.dtype == object and got.ndim == 1 and \
        all(isinstance(x, np.ndarray) or x is None for x in got)
    if want is None:
        if not (is_container and len(got) == 0):
            raise AssertionError(f"output {index}: expected an empty optional")
        return
    if isinstance(want, list):
        if not is_container or len(got) != len(want):
            raise AssertionError(f"output {index}: expected a sequence of {len(want)}")
        for position, (item, value) in enumerate(zip(want, got)):
            compare_value(f"{index}[{position}]", _plain(item), value, rtol, atol)
        return
    if is_container and len(got) == 1 and isinstance(want, np.ndarray) and want.dtype != object:
        got = got[0]  # an optional holding a tensor
    if not isinstance(want, np.ndarray):
        raise AssertionError(f"output {index}: expected a {type(want).__name__}, which "
                             "vinify cannot produce")
    _compare_tensor(index, want, got, rtol, atol)


def _compare_tensor(index: Any, want: np.ndarray, got: Any, rtol: float, atol: float) -> None:
    got = np.asarray(got)
    if got.dtype != want.dtype:
        raise AssertionError(f"output {index}: dtype {got.dtype}, expected {want.dtype}")
    if got.shape != want.shape:
        raise AssertionError(f"output {index}: shape {got.shape}, expected {want.shape}")
    if want.dtype.kind in "OUS":
        if not np.array_equal(got.astype(object), want.astype(object)):
            raise AssertionError(f"output {index}: values differ")
        return
    if want.dtype.kind not in "fcbiu":  # ml_dtypes (bf16, f8, i4): compare as f32
        got, want = got.astype(np.float32), want.astype(np.float32)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True,
                               err_msg=f"output {index}")


# ------------------------------------------------------------------------------- reports
@dataclass
class ConformanceReport:
    device: str
    results: list[CaseResult]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    def by_op_type(self) -> dict[str, tuple[int, int]]:
        table: dict[str, list[int]] = {}
        for result in self.results:
            counts = table.setdefault(result.op_type, [0, 0])
            counts[0] += result.passed
            counts[1] += 1
        return {op: (p, t) for op, (p, t) in sorted(table.items())}

    def to_json(self) -> dict:
        kinds = sorted({r.kind for r in self.results})
        return {
            "device": self.device, "passed": self.passed, "total": self.total,
            "by_kind": {k: [sum(r.passed for r in self.results if r.kind == k),
                            sum(r.kind == k for r in self.results)] for k in kinds},
            "by_op_type": {op: list(counts) for op, counts in self.by_op_type().items()},
            "results": [asdict(r) for r in self.results],
        }


def select_cases(kinds: Iterable[str], pattern: str | None = None) -> list[ConformanceCase]:
    """Cases of the given kinds ("node", "model", "light") whose name contains `pattern`."""
    kinds = set(kinds)
    cases: list[ConformanceCase] = []
    if "node" in kinds:
        cases += node_cases()
    if "model" in kinds:
        cases += model_cases()
    if "light" in kinds:
        cases += light_cases()
    if pattern:
        cases = [c for c in cases if pattern in c.name]
    return cases


def run_suite(cases: Iterable[ConformanceCase], device: str = "TEMPLATE",
              timeout: float | None = 30.0,
              progress: Callable[[CaseResult], None] | None = None) -> ConformanceReport:
    results = []
    for case in cases:
        result = run_case(case, device, timeout)
        results.append(result)
        if progress is not None:
            progress(result)
    return ConformanceReport(device, results)
