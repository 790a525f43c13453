"""CPU-only behaviour: refusals and the kernel cache. The op families shared with the GPU are
checked on both devices in tests/codegen/test_device_ops.py."""

import pytest
from vinify import ir
from vinify.errors import DeviceError
from vinify.runtime import Core


def test_unsupported_node_is_a_device_error_naming_it_and_the_reason():
    x = ir.parameter("x", "f32", [6])
    node = ir.make("Unique", 10, [x], name="distinct")  # output sizes depend on the data
    after = ir.make("Relu", 1, [node.outputs[0]])  # a count-sized value computed on: refused
    with pytest.raises(DeviceError, match="distinct.*Unique"):
        Core().compile_model(ir.Graph([x], [after]), "CPU")


def test_kernels_are_cached_by_content_in_cache_dir(tmp_path, monkeypatch):
    from vinify.codegen import cpu_compiler
    from vinify.codegen.llvm import native

    x = ir.parameter("x", "f32", [3, 33])
    graph = ir.Graph([x], [ir.make("Relu", 1, [x])])
    cpu_compiler._MEMORY_CACHE.clear()
    first = cpu_compiler.compile_to_blob(graph, {"CACHE_DIR": str(tmp_path)})
    assert len(list((tmp_path / "cpu-kernels").glob("*.so"))) == 1
    cpu_compiler._MEMORY_CACHE.clear()

    def no_llvm(*args, **kwargs):
        raise AssertionError("LLVM ran although the kernels were cached")

    monkeypatch.setattr(native, "compile_objects", no_llvm)
    second = cpu_compiler.compile_to_blob(graph, {"CACHE_DIR": str(tmp_path)})
    assert len(second) == len(first)
