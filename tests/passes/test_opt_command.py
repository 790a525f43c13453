"""`vinify opt`: passes over text IR or a model, printed as text IR (like mlir-opt)."""

from vinify.cli import main
from vinify.text import parse

MODEL = """graph "g" {
  %x = Parameter<1>() {element_type=f32, shape=[2,3]} : f32[2,3]
  %one = Constant<1>() {value=tensor<f32[3]: [1.0, 1.0, 1.0]>} : f32[3]
  %a = Multiply<1>(%x, %one) : f32[2,3]
  %r = Relu<1>(%a) : f32[2,3]
  %y = Sigmoid<1>(%r) : f32[2,3]
  Result<1>(%y)
}
"""


def test_opt_runs_the_named_passes_and_prints_text_ir(tmp_path, capsys):
    path = tmp_path / "model.vir"
    path.write_text(MODEL)
    assert main(["opt", str(path), "-p", "simplify-algebra,fuse-elementwise", "--timing",
                 "--print-after", "simplify-algebra"]) == 0
    out, err = capsys.readouterr()
    graph = parse(out)
    assert [n.op.name for n in graph.nodes()] == ["Parameter", "ElementwiseGroup", "Result"]
    assert "// ----- IR after pass 'simplify-algebra' -----" in err
    assert "%r = Relu<1>(%x) : f32[2,3]" in err
    timing = err.strip().splitlines()[-3:]
    assert timing[0].endswith("simplify-algebra") and timing[2].endswith("total")


def test_opt_disable_and_default_pipeline(tmp_path, capsys):
    path = tmp_path / "model.vir"
    path.write_text(MODEL)
    assert main(["opt", str(path), "--disable", "simplify-algebra"]) == 0
    assert "Multiply<1>" in capsys.readouterr().out
    assert main(["opt", str(path), "-d", "CPU", "--inline-limit", "all"]) == 0
    assert "ElementwiseGroup<1>(%x)" in capsys.readouterr().out


def test_opt_errors_name_the_problem_and_return_1(tmp_path, capsys):
    path = tmp_path / "model.vir"
    path.write_text(MODEL)
    assert main(["opt", str(path), "-p", "fold-constants,no-such-pass"]) == 1
    assert "unknown pass 'no-such-pass'" in capsys.readouterr().err
    assert main(["opt", str(tmp_path / "missing.vir")]) == 1
    assert "not found" in capsys.readouterr().err
    assert main(["opt", "--list"]) == 0
    assert "fuse-conv-bias-activation" in capsys.readouterr().out


def test_opt_output_reads_back_as_a_model_with_every_constant(tmp_path, capsys):
    values = ", ".join(str(float(i)) for i in range(20))
    path = tmp_path / "big.vir"
    path.write_text(MODEL.replace("shape=[2,3]} : f32[2,3]", "shape=[20]} : f32[20]")
                    .replace("f32[2,3]", "f32[20]")
                    .replace("tensor<f32[3]: [1.0, 1.0, 1.0]>} : f32[3]",
                             f"tensor<f32[20]: [{values}]>}} : f32[20]"))
    assert main(["opt", str(path), "-p", "eliminate-dead-code"]) == 0
    graph = parse(capsys.readouterr().out)
    weights = graph.outputs[0].node.inputs[0].node.inputs[0].node.inputs[1].node.attrs["value"]
    assert weights.tolist() == [float(i) for i in range(20)]
    assert main(["opt", str(path), "--inline-limit", "16", "-p", "eliminate-dead-code"]) == 0
    assert "sha256" in capsys.readouterr().out
