"""Malformed and hostile IR files: each is a ModelFileError that names the layer (id and name),
the process keeps running, and `vinify convert` on such a file writes nothing."""

import random
import re
from pathlib import Path

import numpy as np
import pytest
import vinify
from vinify.cli import main
from vinify.errors import ModelFileError
from vinify.ir import Graph, constant, make, parameter


@pytest.fixture
def good_model(tmp_path) -> Path:
    """x[2,3] + bias -> Relu, saved uncompressed; layers: 0 x, 1 bias, 2 add, 3 relu, 4 out."""
    x = parameter("x", "f32", [2, 3])
    bias = constant(np.array([[1, 2, 3]], np.float32), name="bias")
    add = make("Add", 1, [x, bias], name="add")
    relu = make("Relu", 1, [add], name="relu")
    relu.outputs[0].name = "out"
    path = tmp_path / "model" / "good.xml"
    path.parent.mkdir()
    vinify.save_model(Graph([x], [relu], name="tiny"), path, compress_to_fp16=False)
    return path


def _tampered(good: Path, old: str, new: str, count: int = 1) -> Path:
    text = good.read_text()
    assert text.count(old) == count, f"{old!r} occurs {text.count(old)} times"
    bad = good.with_name("bad.xml")
    bad.write_text(text.replace(old, new))
    bad.with_suffix(".bin").write_bytes(good.with_suffix(".bin").read_bytes())
    return bad


def _assert_rejected(path: Path, pattern: str, tmp_path: Path, capsys) -> None:
    with pytest.raises(ModelFileError, match=pattern):
        vinify.read_model(path)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["convert", str(path), "-o", str(out / "converted.xml"), "--no-optimize"]) == 1
    assert "error" in capsys.readouterr().err
    assert list(out.iterdir()) == []  # nothing written, not even a partial file


BIAS = r"layer id=1 name='bias' type=Const"
ADD = r"layer id=2 name='add' type=Add"
RELU = r"layer id=3 name='relu' type=ReLU"

CASES = {
    "offset past the end": ('offset="0" size="12"', 'offset="8" size="12"',
                            BIAS + r": Const bytes 8\.\.20 lie past the end .*12 bytes"),
    "enormous offset": ('offset="0"', 'offset="18446744073709551000"', BIAS + ".*past the end"),
    "size disagrees with shape": ('size="12"', 'size="8"', BIAS + ".*needs 12 bytes.*size=8"),
    "enormous Const dim": ('shape="1, 3"', 'shape="1, 3000000000000000"',
                           BIAS + ".*dimension 3000000000000000 is larger than"),
    "huge Const shape": ('shape="1, 3"', 'shape="1000000000000, 1000000000"',
                         BIAS + ".*needs 4000000000000000000000 bytes, the layer says size=12"),
    "negative Const offset": ('offset="0"', 'offset="-4"', BIAS + ".*negative Const offset"),
    "negative Parameter dim": ('shape="2,3"', 'shape="2,-3"',
                               r"layer id=0 name='x'.*negative dimension -3"),
    "enormous Parameter dim": ('shape="2,3"', 'shape="2,99999999999999999"',
                               r"layer id=0 name='x'.*larger than"),
    "negative port dim": ('<port id="0" precision="FP32">\n\t\t\t\t\t<dim>1</dim>',
                          '<port id="0" precision="FP32">\n\t\t\t\t\t<dim>-7</dim>',
                          BIAS + r": port 0: bad dimension: negative dimension -7"),
    "unknown layer type": ('type="ReLU"', 'type="Frobnicate"',
                           r"layer id=3 name='relu' type=Frobnicate: unknown layer type"),
    "unknown op version": ('type="ReLU" version="opset1"', 'type="ReLU" version="opset0"',
                           RELU + ": unknown layer type ReLU version 'opset0'"),
    "unknown opset name": ('type="ReLU" version="opset1"', 'type="ReLU" version="my_ops"',
                           RELU + ".*version 'my_ops'"),
    "unknown attribute": ('auto_broadcast="numpy"', 'auto_broadcast="numpy" frobs="2"',
                          ADD + ".*no attribute 'frobs'"),
    "bad attribute value": ('auto_broadcast="numpy"', 'auto_broadcast="sideways"',
                            ADD + ".*auto_broadcast"),
    "edge from a missing layer": ('from-layer="0" from-port="0"', 'from-layer="42" from-port="0"',
                                  r"missing layer id=42 \(a dangling edge\)"),
    "edge into a missing port": ('to-layer="3" to-port="0"', 'to-layer="3" to-port="5"',
                                 RELU + ".*enters port 5"),
    "unconnected input": ('\t\t<edge from-layer="2" from-port="2" to-layer="3" to-port="0" />\n',
                          "", RELU + ": input port 0 is not connected"),
    "cycle": ('from-layer="0" from-port="0" to-layer="2"',
              'from-layer="3" from-port="1" to-layer="2"',
              r"layer id=2 name='add'.*lies on a cycle"),
    "two edges into one port": ('\t</edges>',
                                '\t\t<edge from-layer="0" from-port="0" to-layer="3" to-port="0" />'
                                '\n\t</edges>', RELU + ": input port 0 has two incoming edges"),
    "wrong port precision": ('<port id="2" precision="FP32"', '<port id="2" precision="FP16"',
                             ADD + ": output port 2 says f16"),
    "wrong port dims": ('<port id="1" precision="FP32" names="out">\n\t\t\t\t\t<dim>2</dim>',
                        '<port id="1" precision="FP32" names="out">\n\t\t\t\t\t<dim>5</dim>',
                        RELU + r": output port 1 has dims \[5,3\]"),
    "duplicate layer id": ('<layer id="3"', '<layer id="2"', r"layer id 2 is used twice"),
    "IR version 7": ('version="11"', 'version="7"', r"IR version '7' is not supported"),
    "truncated XML": ("\t</edges>\n</net>\n", "\t</edges>\n", r"not well-formed XML"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_file_is_a_model_file_error(good_model, tmp_path, capsys, case):
    old, new, pattern = CASES[case]
    _assert_rejected(_tampered(good_model, old, new), pattern, tmp_path, capsys)


def test_the_untampered_model_reads(good_model):
    graph = vinify.read_model(good_model)
    results = vinify.compile_model(graph, "TEMPLATE")({"x": np.full((2, 3), -2, np.float32)})
    np.testing.assert_array_equal(results[0], [[0, 0, 1], [0, 0, 1]])


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE net [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<net name="&lol9;" version="11"><layers/><edges/></net>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE net [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<net name="&secret;" version="11"><layers/><edges/></net>
"""

PLAIN_DTD = """<?xml version="1.0"?>
<!DOCTYPE net SYSTEM "http://example.com/net.dtd">
<net name="n" version="11"><layers/><edges/></net>
"""


@pytest.mark.parametrize("text", [BILLION_LAUGHS, EXTERNAL_ENTITY, PLAIN_DTD],
                         ids=["billion-laughs", "external-entity", "external-dtd"])
def test_entity_expansion_and_dtds_are_refused(tmp_path, capsys, text):
    path = tmp_path / "model" / "entities.xml"
    path.parent.mkdir()
    path.write_text(text)
    _assert_rejected(path, r"refusing a document type declaration", tmp_path, capsys)


def test_missing_weights_file_names_the_constant(good_model, tmp_path, capsys):
    good_model.with_suffix(".bin").unlink()
    _assert_rejected(good_model, BIAS + r": the weights file .*good.bin\) is missing",
                     tmp_path, capsys)


def test_weights_from_a_given_path(good_model, tmp_path):
    moved = tmp_path / "elsewhere.bin"
    good_model.with_suffix(".bin").rename(moved)
    graph = vinify.read_model(good_model, weights=moved)
    constants = [n for n in graph.nodes() if n.op.name == "Constant"]
    np.testing.assert_array_equal(constants[0].attrs["value"], [[1, 2, 3]])


def test_mutated_files_only_ever_raise_model_file_errors(tmp_path):
    """Seeded random damage (numbers changed, spans cut, lines repeated) to a model with a
    TensorIterator body: reading either works or is a ModelFileError, never anything else."""
    from tests.compiler.irfile.onnx_models import BODY_MODELS

    model, _ = BODY_MODELS["scan"](np.random.default_rng(0))
    vinify.save_model(vinify.convert_model(model), tmp_path / "good.xml")
    text = (tmp_path / "good.xml").read_text()
    numbers = [m.span() for m in re.finditer(r'"-?\d+"', text)]
    rng = random.Random(0)
    (tmp_path / "bad.bin").write_bytes((tmp_path / "good.bin").read_bytes())
    for _ in range(150):
        damaged = _damage(text, numbers, rng)
        (tmp_path / "bad.xml").write_text(damaged)
        try:
            vinify.read_model(tmp_path / "bad.xml")
        except ModelFileError:
            pass


def _damage(text: str, numbers: list[tuple[int, int]], rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.5:
        start, end = rng.choice(numbers)
        value = rng.choice(["-1", "0", "1", "2", "7", "-5", "999999", "x", ""])
        return f'{text[:start]}"{value}"{text[end:]}'
    if choice < 0.8:
        start = rng.randrange(len(text))
        return text[:start] + text[start + rng.randrange(1, 40):]
    lines = text.split("\n")
    lines.insert(rng.randrange(len(lines)), rng.choice(lines))
    return "\n".join(lines)
