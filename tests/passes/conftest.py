"""Pass tests: show text diffs from the shared checks in tests/passes/ir_check.py."""

import pytest

pytest.register_assert_rewrite("tests.passes.ir_check")
