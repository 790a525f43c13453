"""The code base stays lint-clean (ruff, line length 100) and within the size habits of
STYLE.md: no source file over 600 lines."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["compiler", "frontends", "passes", "codegen", "runtime", "tools", "bench"]


def test_ruff_finds_nothing():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--output-format", "concise",
                             *SOURCES], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_source_file_is_over_600_lines():
    long_files = {str(path.relative_to(ROOT)): count
                  for folder in SOURCES for path in (ROOT / folder).rglob("*.py")
                  if (count := len(path.read_text().splitlines())) > 600}
    assert long_files == {}
