"""The nine light_* models shipped in the onnx wheel: loaded, run on TEMPLATE and compared with
onnxruntime on the same random inputs (rtol 1e-3, atol 1e-4)."""

import numpy as np
import onnx
import onnxruntime
import pytest
import vinify
from vinify.frontends.onnx.conformance import LIGHT_MODELS, data_root


@pytest.mark.parametrize("name", sorted(LIGHT_MODELS))
def test_light_model_matches_onnxruntime(name):
    path = data_root() / "light" / f"light_{name}.onnx"
    model = onnx.load(str(path))
    graph = vinify.read_model(path)
    assert [v.name for v in graph.inputs] == [
        i.name for i in model.graph.input if i.name not in {t.name for t in
                                                            model.graph.initializer}]
    generator = np.random.default_rng(7)
    feeds = {value.name: generator.random(value.shape.to_tuple(), np.float32)
             for value in graph.inputs}
    actual = vinify.compile_model(graph, "TEMPLATE")(feeds).to_tuple()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = session.run(None, feeds)
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)
