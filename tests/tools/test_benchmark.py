"""`vinify benchmark`: figures printed, JSON report, histogram PNG, per-layer counters."""

import json
import struct
import zlib

import numpy as np
import pytest
from vinify.cli import main
from vinify.tools.benchmark.png_plot import png_bytes
from vinify.tools.benchmark.progress import ProgressBar
from vinify.tools.benchmark.statistics import LatencyStatistics
from vinify.tools.commands.benchmark import parse_shapes

MODEL = "tools/models/tiny_classifier.vir"
FIGURES = ("Count:", "Duration:", "Median:", "Average:", "Min:", "Max:", "P90:", "P99:",
           "Throughput:")


def read_png(data: bytes) -> np.ndarray:
    """Decodes the PNGs the tool writes (8-bit RGB, filter 0), checking every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert crc == zlib.crc32(kind + body)
        chunks[kind] = body
        position += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 2)
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(height, -1)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, 3)


def test_async_benchmark_prints_figures_and_writes_report_and_plot(tmp_path, capsys):
    report_path, plot_path = tmp_path / "out.json", tmp_path / "out.png"
    code = main(["benchmark", "-m", MODEL, "-d", "TEMPLATE", "-niter", "40", "-nireq", "4",
                 "-nstreams", "2", "--report", str(report_path), "--plot", str(plot_path)])
    assert code == 0
    out = capsys.readouterr().out
    for figure in FIGURES:
        assert figure in out
    assert "Count:          40 iterations" in out
    assert "Compile model took" in out and "on TEMPLATE" in out
    report = json.loads(report_path.read_text())
    assert report["count"] == 40 and report["duration_ms"] > 0 and report["compile_ms"] > 0
    assert report["settings"]["nireq"] == 4 and report["settings"]["nstreams"] == 2
    assert report["settings"]["input_shapes"] == {"image": [1, 64]}
    latency = report["latency_ms"]
    assert latency["min"] <= latency["median"] <= latency["p90"] <= latency["p99"]
    assert latency["p99"] <= latency["max"]
    assert report["throughput_fps"] == pytest.approx(40 / (report["duration_ms"] / 1000))
    assert sum(report["histogram"]["counts"]) == 40
    image = read_png(plot_path.read_bytes())
    assert image.shape == (360, 640, 3)
    assert (image == (52, 101, 164)).all(axis=2).any()  # bars were drawn


def test_sync_latency_benchmark_with_per_layer_counters(capsys):
    code = main(["benchmark", "-m", MODEL, "-d", "TEMPLATE", "-api", "sync", "-hint", "latency",
                 "-niter", "10", "-pc"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Count:          10 iterations" in out
    assert "fc1" in out and "ref_MatMul<1>" in out and "EXECUTED" in out


def test_time_limit_stops_the_run(capsys):
    assert main(["benchmark", "-m", MODEL, "-d", "TEMPLATE", "-t", "0.3", "-api", "sync"]) == 0
    count = int(capsys.readouterr().out.split("Count:")[1].split()[0])
    assert count >= 1


def test_light_onnx_model_with_a_dynamic_batch_and_shape(tmp_path, capsys):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.ones((8, 4), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
        "light", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])], [weights])
    path = tmp_path / "light.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    report_path = tmp_path / "light.json"
    code = main(["benchmark", "-m", str(path), "-d", "TEMPLATE", "-niter", "8", "-shape",
                 "x[5,8]", "--report", str(report_path)])
    assert code == 0
    assert "Throughput:" in capsys.readouterr().out
    report = json.loads(report_path.read_text())
    assert report["settings"]["input_shapes"] == {"x": [5, 8]} and report["count"] == 8


def test_bad_arguments_are_reported_not_raised(capsys):
    assert main(["benchmark", "-m", MODEL, "-d", "TEMPLATE", "-niter", "2", "-shape",
                 "[1,65]"]) == 1
    assert "MatMul" in capsys.readouterr().err
    assert main(["benchmark", "-m", MODEL, "-d", "NOPE", "-niter", "2"]) == 1
    assert "unknown device 'NOPE'" in capsys.readouterr().err
    assert main(["benchmark", "-m", MODEL, "-d", "TEMPLATE", "-niter", "0"]) == 1
    assert "-niter and -nireq must be at least 1" in capsys.readouterr().err


def test_parse_shapes():
    assert parse_shapes("[1,3,224,224]") == ["1", "3", "224", "224"]
    assert parse_shapes("a[2,?],b[1..4]") == {"a": ["2", "?"], "b": ["1..4"]}
    with pytest.raises(Exception, match="cannot read"):
        parse_shapes("a(1,2)")


def test_statistics_and_png_writer():
    statistics = LatencyStatistics.of([1.0, 2.0, 3.0, 4.0, 10.0])
    assert (statistics.median, statistics.min, statistics.max) == (3.0, 1.0, 10.0)
    assert statistics.average == pytest.approx(4.0)
    assert statistics.p90 == pytest.approx(7.6)
    image = np.zeros((2, 3, 3), np.uint8)
    image[1, 2] = (9, 8, 7)
    np.testing.assert_array_equal(read_png(png_bytes(image)), image)


def test_progress_bar_only_on_a_terminal():
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    quiet, loud = io.StringIO(), Terminal()
    for stream in (quiet, loud):
        bar = ProgressBar("run", stream)
        bar.update(0.5)
        bar.close()
    assert quiet.getvalue() == ""
    assert "100.0%" in loud.getvalue() and "50.0%" in loud.getvalue()


def test_auto_is_measured_on_the_device_it_chose(tmp_path, capsys):
    report_path = tmp_path / "auto.json"
    assert main(["benchmark", "-m", MODEL, "-niter", "5", "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["settings"]["device"] == "AUTO"
    chosen = report["settings"]["execution_devices"]
    assert len(chosen) == 1 and f"on {chosen[0]}" in capsys.readouterr().out


def test_light_squeezenet_on_cpu_prints_figures_and_writes_the_report(tmp_path, capsys):
    from vinify.tools.light_models import light_model_path

    report_path = tmp_path / "squeezenet.json"
    code = main(["benchmark", "-m", str(light_model_path("squeezenet")), "-d", "CPU",
                 "-niter", "12", "-nireq", "2", "--report", str(report_path)])
    assert code == 0
    out = capsys.readouterr().out
    for figure in FIGURES:
        assert figure in out
    assert "Count:          12 iterations" in out and "on CPU" in out
    report = json.loads(report_path.read_text())
    assert report["count"] == 12 and report["settings"]["input_shapes"] == {
        "data_0": [1, 3, 224, 224]}
    latency = report["latency_ms"]
    assert 0 < latency["min"] <= latency["median"] <= latency["max"]
