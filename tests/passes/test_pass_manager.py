"""PassManager: pipelines of names, user passes, verification, timing, print-after, disable."""

import io
from dataclasses import dataclass

import pytest
from vinify.ir import Graph, make
from vinify.passes import Pass, PassError, PassManager, register_pass, registered_passes
from vinify.passes.pipelines import COMMON, DEVICE_PIPELINES, pipeline_for
from vinify.shapes import PartialShape, TensorType
from vinify.text import parse

from tests.passes.ir_check import ir_text

TEXT = """graph "g" {
  %x = Parameter<1>() {element_type=f32, shape=[2]} : f32[2]
  %one = Constant<1>() {value=tensor<f32[2]: [1.0, 1.0]>} : f32[2]
  %a = Multiply<1>(%x, %one) : f32[2]
  %y = Relu<1>(%a) : f32[2]
  Result<1>(%y)
}"""


@register_pass
@dataclass(frozen=True)
class ReluToSigmoid(Pass):
    """A user pass, registered from a test: every Relu becomes a Sigmoid (or `replacement`)."""

    name = "test-relu-to-sigmoid"
    replacement: str = "Sigmoid"

    def run(self, graph: Graph) -> None:
        from vinify.passes.graph_edit import replace_value

        for node in graph.nodes():
            if node.op.name == "Relu":
                new = make(self.replacement, 1, node.inputs)
                replace_value(node.outputs[0], new.outputs[0], [node], existing=set())


@register_pass
@dataclass(frozen=True)
class BreakTypes(Pass):
    name = "test-break-types"

    def run(self, graph: Graph) -> None:
        output = graph.outputs[0]
        output.type = TensorType(output.element_type, PartialShape.of([7]))


def test_every_builtin_pass_is_registered_and_common_pipeline_names_exist():
    names = set(registered_passes())
    for name in COMMON + [n for extra in DEVICE_PIPELINES.values() for n in extra]:
        assert name in names
    assert pipeline_for("CPU.0")[: len(COMMON)] == COMMON
    assert pipeline_for("TEMPLATE") == COMMON


def test_user_pass_runs_by_name_with_options_and_keeps_names():
    graph = PassManager(["simplify-algebra", "test-relu-to-sigmoid"], verify=True).run(parse(TEXT))
    assert [n.op.name for n in graph.nodes()] == ["Parameter", "Sigmoid", "Result"]
    assert graph.outputs[0].name == "y" and graph.outputs[0].node.name == "y"
    assert graph.outputs[0].node.rt_info["provenance"] == ["y"]
    tanh = PassManager([ReluToSigmoid(replacement="Tanh")]).run(parse(TEXT))
    assert tanh.op_histogram() == {"Parameter<1>": 1, "Result<1>": 1, "Tanh<1>": 1,
                                   "Constant<1>": 1, "Multiply<1>": 1}


def test_disable_skips_a_pass_by_name():
    graph = PassManager(["simplify-algebra", "test-relu-to-sigmoid"],
                        disabled=["test-relu-to-sigmoid"]).run(parse(TEXT))
    assert [n.op.name for n in graph.nodes()] == ["Parameter", "Relu", "Result"]


def test_print_after_dumps_the_text_form_after_that_pass_only():
    stream = io.StringIO()
    PassManager(["simplify-algebra", "test-relu-to-sigmoid"], print_after=["simplify-algebra"],
                stream=stream).run(parse(TEXT))
    dump = stream.getvalue()
    assert dump.startswith("// ----- IR after pass 'simplify-algebra' -----\n")
    assert "%y = Relu<1>(%x) : f32[2]" in dump and "Sigmoid" not in dump


def test_timing_records_every_pass_in_order():
    manager = PassManager(["simplify-algebra", "eliminate-dead-code"], timing_enabled=True)
    manager.run(parse(TEXT))
    assert [name for name, _ in manager.timing.entries] == ["simplify-algebra",
                                                            "eliminate-dead-code"]
    assert all(seconds >= 0 for _, seconds in manager.timing.entries)
    assert manager.timing.report().splitlines()[-1].endswith("total")


def test_verification_names_the_pass_that_broke_the_graph():
    with pytest.raises(PassError, match="after pass 'test-break-types'.*Relu"):
        PassManager(["simplify-algebra", "test-break-types"], verify=True).run(parse(TEXT))
    PassManager(["test-break-types"], verify=False).run(parse(TEXT))  # unchecked: no error


def test_unknown_pass_names_and_options_are_errors():
    with pytest.raises(PassError, match="unknown pass 'no-such-pass'; known passes: .*fold"):
        PassManager(["fold-constants", "no-such-pass"])
    with pytest.raises(PassError, match="unknown pass 'nope'"):
        PassManager(["fold-constants"], disabled=["nope"])
    from vinify.passes import make_pass

    with pytest.raises(PassError, match="has no option"):
        make_pass("fold-constants", max_elementz=3)


def test_passes_are_frozen_dataclasses_with_typed_options():
    from vinify.passes import make_pass

    folding = make_pass("fold-constants", max_elements=10)
    assert folding.max_elements == 10 and folding.name == "fold-constants"
    with pytest.raises(Exception):
        folding.max_elements = 3


def test_running_the_common_pipeline_twice_changes_nothing_more():
    graph = PassManager(COMMON, verify=True).run(parse(TEXT))
    once = ir_text(graph)
    assert ir_text(PassManager(COMMON, verify=True).run(graph)) == once


def test_dump_dir_receives_the_ir_after_each_pass(tmp_path):
    PassManager(["simplify-algebra", "test-relu-to-sigmoid"], dump_dir=tmp_path).run(parse(TEXT))
    files = sorted(path.name for path in tmp_path.iterdir())
    assert files == ["00-simplify-algebra.vir", "01-test-relu-to-sigmoid.vir"]
    dumped = parse((tmp_path / files[1]).read_text())
    assert [n.op.name for n in dumped.nodes()] == ["Parameter", "Sigmoid", "Result"]


def test_observers_see_every_pass():
    seen = []
    PassManager(["simplify-algebra", "eliminate-dead-code"],
                observers=[lambda item, graph: seen.append((item.name, len(graph.nodes())))]
                ).run(parse(TEXT))
    assert seen == [("simplify-algebra", 3), ("eliminate-dead-code", 3)]


def test_options_can_be_written_in_the_pass_name():
    from vinify.passes import make_pass

    folding = make_pass("fold-constants:max_elements=12")
    assert folding.max_elements == 12
    assert make_pass("test-relu-to-sigmoid:replacement=Tanh").replacement == "Tanh"
    with pytest.raises(PassError, match="option 'max_elements' = 'many'"):
        make_pass("fold-constants:max_elements=many")
    with pytest.raises(PassError, match="has no option"):
        make_pass("fold-constants:size=3")
