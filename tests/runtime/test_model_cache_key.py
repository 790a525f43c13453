"""The CACHE_DIR key changes when the compiler changes, so an upgrade never serves stale code."""

import sys

from vinify.runtime import model_cache


def test_fingerprint_follows_the_compiler_sources(tmp_path, monkeypatch):
    package = tmp_path / "fake_codegen"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "kernels.py").write_text("TILE = 6\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(model_cache, "COMPILER_PACKAGES", ("fake_codegen",))
    model_cache.compiler_fingerprint.cache_clear()
    before = model_cache.compiler_fingerprint()
    (package / "kernels.py").write_text("TILE = 8\n")
    model_cache.compiler_fingerprint.cache_clear()
    after = model_cache.compiler_fingerprint()
    model_cache.compiler_fingerprint.cache_clear()
    assert before != after
    assert "fake_codegen" not in sys.modules  # located, never imported


def test_real_fingerprint_covers_the_compiler_packages():
    model_cache.compiler_fingerprint.cache_clear()
    assert len(model_cache.compiler_fingerprint()) == 64
    assert "vinify.codegen" in model_cache.COMPILER_PACKAGES
