"""The opset tables: facts from the OpenVINO specification, agreement with the op lists that
ship with the OpenVINO runtime, the lookup API, and that every declared op belongs to an opset."""

import re
from pathlib import Path

import numpy as np
import openvino
import pytest
from vinify import ir
from vinify.errors import UnknownOpError
from vinify.op import registered_ops
from vinify.opsets import Opset, available_opsets, get_opset, opsets_containing

OPENVINO_TABLES = Path(openvino.__file__).parent / "include" / "openvino" / "opsets"


@pytest.mark.parametrize("opset, op_name, version", [
    ("opset1", "Softmax", 1), ("opset8", "Softmax", 8), ("opset8", "Gather", 8),
    ("opset8", "MaxPool", 8), ("opset7", "Gather", 7), ("opset7", "Gelu", 7),
    ("opset2", "Gelu", 2), ("opset3", "ShapeOf", 3), ("opset4", "Range", 4),
    ("opset5", "GatherND", 5), ("opset8", "GatherND", 8), ("opset12", "ScatterElementsUpdate", 12),
    ("opset15", "Squeeze", 15), ("opset14", "Squeeze", 1), ("opset13", "ScaledDotProductAttention",
                                                           13),
    ("opset10", "Unique", 10), ("opset9", "Eye", 9), ("opset1", "Convolution", 1),
    ("opset15", "Convolution", 1), ("opset14", "MaxPool", 14), ("opset11", "TopK", 11),
])
def test_spec_facts(opset, op_name, version):
    assert get_opset(opset).version_of(op_name) == version


def test_ops_join_and_leave():
    assert "Reverse" in get_opset(1) and "Reverse" not in get_opset(2)
    assert "ShuffleChannels" not in get_opset(2) and get_opset(3).version_of("ShuffleChannels") == 1
    assert "Eye" not in get_opset(8) and "Eye" in get_opset(9)
    assert "SearchSorted" in get_opset(15) and "SearchSorted" not in get_opset(14)
    assert opsets_containing("Gather", 7) == ["opset7"]
    assert available_opsets()[:2] == ["opset1", "opset2"] and "opset15" in available_opsets()


@pytest.mark.parametrize("number", range(1, 17))
def test_names_agree_with_openvino_runtime_tables(number):
    text = (OPENVINO_TABLES / f"opset{number}_tbl.hpp").read_text()
    names = set(re.findall(r"^_OPENVINO_OP_REG\((\w+),", text, re.MULTILINE))
    assert set(get_opset(number).names()) == names


@pytest.mark.parametrize("number", [1, 3, 6, 8, 11, 15])
def test_versions_agree_with_openvino_node_factory(number):
    from openvino._pyopenvino import NodeFactory

    factory = NodeFactory(f"opset{number}")
    checked = 0
    for name, version in get_opset(number).items():
        if name in ("Constant", "LogicalXor"):  # no default node; LogicalXor: see module doc
            continue
        try:
            tag = factory.create(name).get_type_info().version_id
        except RuntimeError:
            continue
        assert tag == f"opset{version}", name
        checked += 1
    assert checked > 0.8 * len(get_opset(number))


def test_every_declared_openvino_op_is_in_an_opset():
    missing = sorted((name, version) for (domain, name, version) in registered_ops()
                     if domain == "" and not opsets_containing(name, version))
    assert missing == []


def test_lookup_api():
    opset8 = get_opset("opset8")
    assert get_opset(8).names() == opset8.names() == get_opset(" OPSET8 ").names()
    assert "Relu" in opset8 and "Foo" not in opset8
    assert opset8.op("Gather").version == 8 and opset8.op("Softmax").version == 8
    node = opset8.make("Gather", [ir.parameter("x", "f32", [3, 4]), ir.constant(np.int64(1)),
                                  ir.constant(np.int64(0))], name="g")
    assert node.op.key() == "Gather<8>" and node.name == "g"
    assert str(node.outputs[0].type) == "f32[4]"


def test_undeclared_lists_what_is_missing():
    opset = get_opset(8)
    missing = opset.undeclared()
    assert "Gather<8>" not in missing
    assert Opset(99, {"Gather": 8, "NotDeclared": 99}).undeclared() == ["NotDeclared<99>"]
    for item in missing:
        name = item.split("<")[0]
        with pytest.raises(UnknownOpError, match=f"has {name}<"):
            opset.op(name)


def test_lookup_errors_name_the_op_and_opset():
    with pytest.raises(UnknownOpError, match="unknown opset 'opset99'"):
        get_opset("opset99")
    with pytest.raises(UnknownOpError, match="opset8 has no op named 'Foo'"):
        get_opset(8).version_of("Foo")
    with pytest.raises(UnknownOpError, match="opset99 has NotDeclared<99>, but vinify has "
                                             "not declared it yet"):
        Opset(99, {"NotDeclared": 99}).op("NotDeclared")
