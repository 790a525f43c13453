"""Attribute names and defaults of the data-movement ops equal OpenVINO's own (as its Python
API reports them for a node built with default arguments), so IR files map one to one."""

import numpy as np
import openvino.opset1 as ov1
import openvino.opset3 as ov3
import openvino.opset8 as ov8
import openvino.opset9 as ov9
import openvino.opset10 as ov10
import openvino.opset12 as ov12
import openvino.opset15 as ov15
import openvino.opset16 as ov16
import pytest
from vinify.op import lookup_op

DATA = ov15.parameter([2, 3], np.float32)
C = ov15.constant


def _vector(*values):
    return C(np.array(values, np.int64))


# (op, version, OpenVINO node built with default arguments)
NODES = [
    ("SearchSorted", 15, lambda: ov15.search_sorted(DATA, DATA)),
    ("Unique", 10, lambda: ov10.unique(DATA)),
    ("Bucketize", 3, lambda: ov3.bucketize(DATA, C(np.array([1.0], np.float32)))),
    ("Squeeze", 15, lambda: ov15.squeeze(DATA, _vector(0))),
    ("ScatterElementsUpdate", 12, lambda: ov12.scatter_elements_update(
        DATA, C(np.zeros((2, 3), np.int64)), DATA, C(np.int64(0)))),
    ("ScatterNDUpdate", 15, lambda: ov15.scatter_nd_update(
        DATA, C(np.zeros((1, 1), np.int64)), C(np.zeros((1, 3), np.float32)))),
    ("StridedSlice", 1, lambda: ov1.strided_slice(DATA, _vector(0), _vector(1), _vector(1),
                                                  [0], [0])),
    ("NonZero", 3, lambda: ov3.non_zero(DATA)),
    ("Gather", 8, lambda: ov8.gather(DATA, C(np.int64(0)), C(np.int64(0)))),
    ("GatherND", 8, lambda: ov8.gather_nd(DATA, C(np.zeros((1, 1), np.int64)))),
    ("OneHot", 16, lambda: ov16.one_hot(_vector(1), C(np.int64(3)), C(np.float32(1)),
                                        C(np.float32(0)), 0)),
    ("ShapeOf", 3, lambda: ov3.shape_of(DATA)),
    ("Broadcast", 1, lambda: ov1.broadcast(DATA, _vector(2, 3))),
    ("Broadcast", 3, lambda: ov3.broadcast(DATA, _vector(2, 3))),
    ("ReverseSequence", 1, lambda: ov1.reverse_sequence(DATA, _vector(1, 1), 0, 1)),
    ("Select", 1, lambda: ov1.select(C(np.array([True])), DATA, DATA)),
    ("EmbeddingBagOffsets", 15, lambda: ov15.embedding_bag_offsets(DATA, _vector(0),
                                                                   _vector(0))),
    ("EmbeddingBagPacked", 15, lambda: ov15.embedding_bag_packed(DATA, C(np.zeros((1, 1),
                                                                                  np.int64)))),
    ("Eye", 9, lambda: ov9.eye(C(np.int64(2)), C(np.int64(2)), C(np.int64(0)), "f32")),
    ("Range", 4, lambda: ov15.range(C(np.int64(0)), C(np.int64(2)), C(np.int64(1)), "i64")),
    ("ConvertPromoteTypes", 14, lambda: ov15.convert_promote_types(DATA, DATA)),
    ("Split", 1, lambda: ov1.split(DATA, C(np.int64(0)), 2)),
    ("Concat", 1, lambda: ov1.concat([DATA, DATA], 0)),
    ("Reshape", 1, lambda: ov1.reshape(DATA, _vector(6), False)),
    ("Convert", 1, lambda: ov1.convert(DATA, "i32")),
]


def _text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return ",".join(_text(v) for v in value)
    return str(value)


@pytest.mark.parametrize("op_name, version, build", NODES, ids=[f"{n}-{v}" for n, v, _ in NODES])
def test_attributes_match_openvino(op_name, version, build):
    node = build()
    assert node.get_type_info().version_id == f"opset{version}"
    expected = {name: _text(value) for name, value in node.get_attributes().items()}
    declared = {attr.name: attr for attr in lookup_op(op_name, version, "").attributes}
    assert set(declared) == set(expected)
    for name, attr in declared.items():
        if attr.default is not None and repr(attr.default) != "REQUIRED":
            assert _text(attr.default) == expected[name], name
