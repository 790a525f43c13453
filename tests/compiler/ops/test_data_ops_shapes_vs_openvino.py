"""Shape inference of the data ops against OpenVINO's own, for dynamic and bounded inputs:
the same intervals, dimension by dimension."""

import numpy as np
import openvino as ov
import openvino.opset1 as ov1
import openvino.opset2 as ov2
import openvino.opset3 as ov3
import openvino.opset5 as ov5
import openvino.opset6 as ov6
import openvino.opset7 as ov7
import openvino.opset8 as ov8
import openvino.opset9 as ov9
import openvino.opset10 as ov10
import openvino.opset15 as ov15
import pytest
from vinify.shapes import PartialShape

from tests.compiler.ops.inferred import inferred

C = ov15.constant


def P(shape: str, dtype=np.float32):  # noqa: N802 (reads like the text form's types)
    return ov15.parameter(ov.PartialShape(shape), dtype)


def v(*values) -> np.ndarray:
    return np.array(values, np.int64)


CASES = [
    (
        "Reshape",
        1,
        ["[?,3,4]", v(0, -1)],
        dict(special_zero=True),
        lambda: ov1.reshape(P("[?,3,4]"), C(v(0, -1)), True),
    ),
    (
        "Reshape",
        1,
        ["[2..4,3,4]", v(0, -1)],
        dict(special_zero=True),
        lambda: ov1.reshape(P("[2..4,3,4]"), C(v(0, -1)), True),
    ),
    (
        "Reshape",
        1,
        ["[2..4,3,4]", v(-1, 12)],
        dict(special_zero=True),
        lambda: ov1.reshape(P("[2..4,3,4]"), C(v(-1, 12)), True),
    ),
    (
        "Reshape",
        1,
        ["[2..4,3,?]", v(-1)],
        dict(special_zero=True),
        lambda: ov1.reshape(P("[2..4,3,?]"), C(v(-1)), True),
    ),
    (
        "Transpose",
        1,
        ["[?,1..4,5]", v(2, 0, 1)],
        {},
        lambda: ov1.transpose(P("[?,1..4,5]"), C(v(2, 0, 1))),
    ),
    (
        "Concat",
        1,
        ["[2,1..4]", "[?,3]"],
        dict(axis=1),
        lambda: ov1.concat([P("[2,1..4]"), P("[?,3]")], 1),
    ),
    (
        "Split",
        1,
        ["[2..8,3]", np.int64(0)],
        dict(num_splits=2),
        lambda: ov1.split(P("[2..8,3]"), C(np.int64(0)), 2),
    ),
    (
        "VariadicSplit",
        1,
        ["[2,4..10]", np.int64(1), v(2, -1)],
        {},
        lambda: ov1.variadic_split(P("[2,4..10]"), C(np.int64(1)), C(v(2, -1))),
    ),
    ("Squeeze", 1, ["[?,3]", v(0)], {}, lambda: ov1.squeeze(P("[?,3]"), C(v(0)))),
    (
        "Squeeze",
        15,
        ["[?,3]", v(0)],
        dict(allow_axis_skip=True),
        lambda: ov15.squeeze(P("[?,3]"), C(v(0)), True),
    ),
    (
        "Unsqueeze",
        1,
        ["[?,1..3]", v(0, -1, 2)],
        {},
        lambda: ov1.unsqueeze(P("[?,1..3]"), C(v(0, -1, 2))),
    ),
    ("Tile", 1, ["[?,1..2]", v(3, 2, 2)], {}, lambda: ov1.tile(P("[?,1..2]"), C(v(3, 2, 2)))),
    (
        "Broadcast",
        3,
        ["[1..3,1]", v(1, 4)],
        dict(mode="bidirectional"),
        lambda: ov3.broadcast(P("[1..3,1]"), C(v(1, 4)), broadcast_spec="BIDIRECTIONAL"),
    ),
    ("Broadcast", 3, ["[?,1]", v(2, 5, 4)], {}, lambda: ov3.broadcast(P("[?,1]"), C(v(2, 5, 4)))),
    (
        "Slice",
        8,
        ["[2..10,?,6]", v(1, 0), v(2**62, 3), v(1, 1), v(0, 1)],
        {},
        lambda: ov8.slice(P("[2..10,?,6]"), C(v(1, 0)), C(v(2**62, 3)), C(v(1, 1)), C(v(0, 1))),
    ),
    (
        "Slice",
        8,
        ["[2..10,?,6]", v(-2), v(2**62), v(1), v(0)],
        {},
        lambda: ov8.slice(P("[2..10,?,6]"), C(v(-2)), C(v(2**62)), C(v(1)), C(v(0))),
    ),
    (
        "Slice",
        8,
        ["[2..10]", v(-1), v(-(2**62)), v(-1), v(0)],
        {},
        lambda: ov8.slice(P("[2..10]"), C(v(-1)), C(v(-(2**62))), C(v(-1)), C(v(0))),
    ),
    (
        "Gather",
        8,
        ["[?,4,1..5]", "i32[2,7]", np.int64(1)],
        {},
        lambda: ov8.gather(P("[?,4,1..5]"), P("[2,7]", np.int32), C(np.int64(1))),
    ),
    (
        "GatherND",
        8,
        ["[2,?,4,5]", "i64[2,3,6,2]"],
        dict(batch_dims=1),
        lambda: ov8.gather_nd(P("[2,?,4,5]"), P("[2,3,6,2]", np.int64), 1),
    ),
    (
        "GatherND",
        5,
        ["[2,3,4,5]", "i64[2,3,6,1]"],
        dict(batch_dims=2),
        lambda: ov5.gather_nd(P("[2,3,4,5]"), P("[2,3,6,1]", np.int64), 2),
    ),
    (
        "GatherElements",
        6,
        ["[3,?,5]", "i64[?,2,5]"],
        dict(axis=1),
        lambda: ov6.gather_elements(P("[3,?,5]"), P("[?,2,5]", np.int64), 1),
    ),
    ("NonZero", 3, ["[3,1..4]"], {}, lambda: ov3.non_zero(P("[3,1..4]"))),
    (
        "OneHot",
        1,
        ["i64[?,3]", np.int64(4), np.float32(1), np.float32(0)],
        dict(axis=-1),
        lambda: ov1.one_hot(
            P("[?,3]", np.int64), C(np.int64(4)), C(np.float32(1)), C(np.float32(0)), -1
        ),
    ),
    (
        "SpaceToBatch",
        2,
        ["[?,4,5]", v(1, 2, 3), v(0, 1, 0), v(0, 1, 1)],
        {},
        lambda: ov2.space_to_batch(P("[?,4,5]"), C(v(1, 2, 3)), C(v(0, 1, 0)), C(v(0, 1, 1))),
    ),
    (
        "BatchToSpace",
        2,
        ["[12,3,1..4]", v(1, 2, 3), v(0, 1, 0), v(0, 1, 1)],
        {},
        lambda: ov2.batch_to_space(P("[12,3,1..4]"), C(v(1, 2, 3)), C(v(0, 1, 0)), C(v(0, 1, 1))),
    ),
    ("Unique", 10, ["[2,3]"], {}, lambda: ov10.unique(P("[2,3]"))),
    (
        "Einsum",
        7,
        ["[?,2,3]", "[4,3,1..9]"],
        dict(equation="bij,bjk->bik"),
        lambda: ov7.einsum([P("[?,2,3]"), P("[4,3,1..9]")], "bij,bjk->bik"),
    ),
    (
        "ExtractImagePatches",
        3,
        ["[?,3,10..20,?]"],
        dict(sizes=[3, 3], strides=[5, 5], rates=[1, 1], auto_pad="valid"),
        lambda: ov3.extract_image_patches(P("[?,3,10..20,?]"), [3, 3], [5, 5], [1, 1], "valid"),
    ),
    (
        "StridedSlice",
        1,
        ["[?,2..9,1..5]", v(0, 2, 0), v(0, 3, 0), v(1, 1, 1)],
        dict(
            begin_mask=[0, 0, 0],
            end_mask=[0, 0, 0],
            new_axis_mask=[1, 0, 0],
            shrink_axis_mask=[0, 1, 0],
        ),
        lambda: ov1.strided_slice(
            P("[?,2..9,1..5]"),
            C(v(0, 2, 0)),
            C(v(0, 3, 0)),
            C(v(1, 1, 1)),
            [0, 0, 0],
            [0, 0, 0],
            [1, 0, 0],
            [0, 1, 0],
        ),
    ),
    (
        "StridedSlice",
        1,
        ["[2..10,8]", v(1, 0), v(-1, 4), v(1, 1)],
        dict(begin_mask=[0, 1], end_mask=[0, 0]),
        lambda: ov1.strided_slice(
            P("[2..10,8]"), C(v(1, 0)), C(v(-1, 4)), C(v(1, 1)), [0, 1], [0, 0]
        ),
    ),
    (
        "Range",
        4,
        ["i64[]", np.int64(7), np.int64(1)],
        dict(output_type="f32"),
        lambda: ov15.range(P("[]", np.int64), C(np.int64(7)), C(np.int64(1)), "f32"),
    ),
    (
        "Eye",
        9,
        [np.int64(3), "i64[]", np.int64(0)],
        dict(output_type="f32"),
        lambda: ov9.eye(C(np.int64(3)), P("[]", np.int64), C(np.int64(0)), "f32"),
    ),
]


def _openvino_shape(node) -> PartialShape:
    shape = node.get_output_partial_shape(0)
    if shape.rank.is_dynamic:
        return PartialShape(None)
    dims = []
    for dim in shape:
        low, high = dim.get_min_length(), dim.get_max_length()
        dims.append(f"{low}..{'' if high < 0 else high}" if low != high else str(low))
    return PartialShape.parse("[" + ",".join(dims) + "]")


@pytest.mark.parametrize(
    "op, version, inputs, attrs, build",
    CASES,
    ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)],
)
def test_inference_equals_openvino(op, version, inputs, attrs, build):
    specs = ["f32" + s if isinstance(s, str) and s.startswith("[") else s for s in inputs]
    mine = inferred(op, version, *specs, **attrs).split(", ")[0]
    assert PartialShape.parse(mine[mine.index("[") :]) == _openvino_shape(build())
