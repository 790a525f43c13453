"""The IR writer: attribute text as OpenVINO writes it, constants, FP16 compression, atomicity."""

import xml.etree.ElementTree as ElementTree

import ml_dtypes
import numpy as np
import openvino
import pytest
import vinify
from vinify.errors import IRError, ModelFileError
from vinify.ir import Graph, constant, make, parameter


def _layers(path) -> dict[str, ElementTree.Element]:
    return {layer.get("name"): layer for layer in ElementTree.parse(path).getroot().iter("layer")}


def _data(layer: ElementTree.Element) -> dict[str, str]:
    data = layer.find("data")
    return dict(data.attrib) if data is not None else {}


def _attribute_zoo() -> Graph:
    """Ops with int, float, bool, str, ints, type and shape attributes."""
    rng = np.random.default_rng(0)
    x = parameter("x", "f32", ["1..4", 3, 8, 8])
    kernel = constant(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), name="kernel")
    conv = make("Convolution", 1, [x, kernel], name="conv", strides=[1, 1], pads_begin=[1, 1],
                pads_end=[1, 1], dilations=[1, 1])
    lrn = make("LRN", 1, [conv, constant(np.array([1], np.int64), name="lrn_axes")], name="lrn",
               alpha=0.0001, beta=0.75, bias=1.0, size=5)
    ones, zeros = constant(np.ones(4, np.float32)), constant(np.zeros(4, np.float32))
    norm = make("BatchNormInference", 5, [lrn, ones, zeros, zeros, ones], name="bn",
                epsilon=1e-5)
    pool = make("MaxPool", 8, [norm], name="pool", strides=[2, 2], pads_begin=[0, 0],
                pads_end=[0, 0], kernel=[2, 2], dilations=[1, 1])
    flat = make("Reshape", 1, [pool.outputs[0], constant(np.array([0, -1], np.int64))],
                name="reshape", special_zero=True)
    picked = make("Gather", 8, [flat, constant(np.array([1, 0], np.int32)),
                                constant(np.array(1, np.int64))], name="gather")
    soft = make("Softmax", 8, [picked], name="softmax", axis=-1)
    half = make("Convert", 1, [soft], name="convert", destination_type="f16")
    shape = make("ShapeOf", 3, [x], name="shapeof", output_type="i32")
    resized = make("Interpolate", 11, [norm, constant(np.array([16, 16], np.int64)),
                                       constant(np.array([2, 3], np.int64))], name="resize",
                   mode="nearest", shape_calculation_mode="sizes", pads_begin=[0, 0, 0, 0],
                   pads_end=[0, 0, 0, 0])
    return Graph([x], [half, shape, resized], name="zoo")


def test_attribute_text_is_what_openvino_writes(tmp_path):
    vinify.save_model(_attribute_zoo(), tmp_path / "vinify.xml", compress_to_fp16=False)
    model = openvino.Core().read_model(tmp_path / "vinify.xml")
    openvino.save_model(model, tmp_path / "openvino.xml", compress_to_fp16=False)

    ours, theirs = _layers(tmp_path / "vinify.xml"), _layers(tmp_path / "openvino.xml")
    assert set(ours) == set(theirs)
    for name, layer in ours.items():
        other = theirs[name]
        assert (layer.get("type"), layer.get("version")) == (other.get("type"),
                                                             other.get("version"))
        data, expected = _data(layer), _data(other)
        if layer.get("type") == "Const":  # layer order differs, so offsets do
            data.pop("offset"), expected.pop("offset")
        assert data == expected, name
    assert _data(ours["x"])["shape"] == "1..4,3,8,8"
    assert _data(ours["lrn"]) == {"alpha": "0.0001", "beta": "0.75", "bias": "1", "size": "5"}
    assert _data(ours["bn"])["epsilon"] == "1.0000000000000001e-05"


def test_ports_list_precision_and_dims_with_minus_one_for_dynamic(tmp_path):
    vinify.save_model(_attribute_zoo(), tmp_path / "m.xml", compress_to_fp16=False)
    port = _layers(tmp_path / "m.xml")["conv"].find("output/port")
    assert port.get("id") == "2" and port.get("precision") == "FP32"
    assert [d.text for d in port.findall("dim")] == ["-1", "4", "8", "8"]
    shape_port = _layers(tmp_path / "m.xml")["shapeof"].find("output/port")
    assert shape_port.get("precision") == "I32"


def test_identical_constant_bytes_are_stored_once(tmp_path):
    x = parameter("x", "i64", [2])
    first = make("Add", 1, [x, constant(np.array([7, 7], np.int64), name="a")])
    second = make("Multiply", 1, [first, constant(np.array([7, 7], np.int64), name="b")])
    third = make("Add", 1, [second, constant(np.array([[7], [7]], np.int64), name="c")])
    vinify.save_model(Graph([x], [third]), tmp_path / "m.xml")

    layers = _layers(tmp_path / "m.xml")
    assert {_data(layers[n])["offset"] for n in "abc"} == {"0"}
    assert (tmp_path / "m.bin").stat().st_size == 16


def test_fp16_compression_is_openvinos_const_convert_pair(tmp_path):
    x = parameter("x", "f32", [3])
    weights = constant(np.array([1.5, 1e6, -np.inf], np.float32), name="weights")
    out = make("Multiply", 1, [x, weights], name="scaled")
    vinify.save_model(Graph([x], [out]), tmp_path / "m.xml")

    layers = _layers(tmp_path / "m.xml")
    packed, convert = layers["weights_compressed"], layers["weights"]
    assert _data(packed) == {"element_type": "f16", "shape": "3", "offset": "0", "size": "6"}
    assert convert.get("type") == "Convert" and _data(convert) == {"destination_type": "f32"}
    assert convert.find("rt_info/attribute").attrib == {"name": "decompression", "version": "0"}
    stored = np.frombuffer((tmp_path / "m.bin").read_bytes(), np.float16)
    np.testing.assert_array_equal(stored, [1.5, 65504, -np.inf])  # clipped, infinities kept

    compiled = openvino.Core().compile_model(tmp_path / "m.xml", "CPU",
                                             {"INFERENCE_PRECISION_HINT": "f32"})
    np.testing.assert_array_equal(compiled({"x": np.ones(3, np.float32)})[0],
                                  [1.5, 65504, -np.inf])


def test_dynamic_rank_scalar_and_names_with_commas(tmp_path):
    x = parameter("x", "f32", "...")
    s = parameter("s", "f32", [])
    out = make("Multiply", 1, [x, s], name="product")
    out.outputs[0].name = "a,b"
    vinify.save_model(Graph([x, s], [out]), tmp_path / "m.xml")

    assert 'names="a\\,b"' in (tmp_path / "m.xml").read_text()
    assert _data(_layers(tmp_path / "m.xml")["x"])["shape"] == "..."
    graph = vinify.read_model(tmp_path / "m.xml")
    assert [str(v.shape) for v in graph.inputs] == ["[...]", "[]"]
    assert graph.outputs[0].name == "a,b"
    model = openvino.Core().read_model(tmp_path / "m.xml")
    assert model.inputs[0].get_partial_shape().rank.is_dynamic
    assert model.outputs[0].get_names() == {"a,b"}


def test_four_bit_constants_are_packed_two_to_a_byte(tmp_path):
    values = np.array([-8, 7, 1, -1, 3], dtype=ml_dtypes.int4)
    x = parameter("x", "i4", [5])
    out = make("Add", 1, [x, constant(values, name="nibbles")])
    vinify.save_model(Graph([x], [out]), tmp_path / "m.xml")

    assert (tmp_path / "m.bin").read_bytes() == bytes([0x78, 0xF1, 0x03])
    graph = vinify.read_model(tmp_path / "m.xml")
    stored = [n for n in graph.nodes() if n.op.name == "Constant"][0].attrs["value"]
    np.testing.assert_array_equal(stored.astype(np.int8), [-8, 7, 1, -1, 3])


def test_a_failed_save_leaves_nothing_and_keeps_old_files(tmp_path):
    x = parameter("x", "f32", [2])
    good = Graph([x], [make("Relu", 1, [x])])
    vinify.save_model(good, tmp_path / "m.xml")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    words = constant(np.array(["a", "b"], dtype=object), name="words")
    bad = Graph([x], [make("Relu", 1, [x]), words])
    with pytest.raises(IRError, match="'words'.*string constants"):
        vinify.save_model(bad, tmp_path / "m.xml")

    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_saving_into_a_missing_folder_is_a_model_file_error(tmp_path):
    x = parameter("x", "f32", [2])
    with pytest.raises(ModelFileError, match="cannot save the model"):
        vinify.save_model(Graph([x], [make("Relu", 1, [x])]), tmp_path / "no" / "m.xml")
    assert list(tmp_path.iterdir()) == []


def test_model_rt_info_round_trips(tmp_path):
    x = parameter("x", "f32", [2])
    graph = Graph([x], [make("Relu", 1, [x])])
    graph.rt_info = {"framework": {"name": "vinify"}, "OpenVINO Runtime": "n/a", "note": "hi"}
    vinify.save_model(graph, tmp_path / "m.xml")
    assert vinify.read_model(tmp_path / "m.xml").rt_info == graph.rt_info


def test_a_graph_that_does_not_verify_is_not_saved(tmp_path):
    x, stray = parameter("x", "f32", [2]), parameter("stray", "f32", [2])
    graph = Graph([x], [make("Add", 1, [x, stray], name="sum")])
    with pytest.raises(IRError, match="'stray'.*not one of the graph's parameters"):
        vinify.save_model(graph, tmp_path / "m.xml")
    assert list(tmp_path.iterdir()) == []
