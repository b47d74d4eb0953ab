"""A project whose suite already fails: candidates are judged by the tests that pass on the
original (a real pytest run of a small project, no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfopt.commands.optimize import optimize_project
from perfopt.events import Silent
from perfopt.pipeline import RunOptions

pytestmark = pytest.mark.slow

HOT = """\
def distinct(items):
    # the items without repeats, in the order they first appear
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return seen
"""

TESTS = """\
import pytest

from lib.hot import distinct


def test_distinct():
    assert distinct([3, 1, 3, 2, 1]) == [3, 1, 2]


def test_a_bug_nobody_fixed_yet():
    assert distinct([]) is None


@pytest.fixture
def broken():
    raise RuntimeError("no database here")


def test_needs_a_database(broken):
    pass
"""


def test_tests_failing_on_the_original_do_not_reject_every_candidate(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "lib").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'lib'\n")
    (root / "lib" / "__init__.py").write_text("")
    (root / "lib" / "hot.py").write_text(HOT)
    (root / "tests" / "test_hot.py").write_text(TESTS)
    (root / "tests" / "test_broken_import.py").write_text("import not_installed_xyz\n")
    (root / "bench.py").write_text("from lib.hot import distinct\n"
                                   "for _ in range(10):\n"
                                   "    distinct([i % 2000 for i in range(20000)])\n")
    result = optimize_project(root, {"workload": "python bench.py"}, RunOptions(), Silent())
    (accepted,) = [r for r in result.results if r.verdict.accepted]
    assert accepted.candidate.target.qualname == "distinct"
    (warning,) = [w for w in result.warnings if "fail on the original" in w]
    assert warning.startswith("3 tests fail on the original (")
    for name in ("tests/test_hot.py::test_a_bug_nobody_fixed_yet",
                 "tests/test_hot.py::test_needs_a_database", "tests/test_broken_import.py"):
        assert name in warning
    # a candidate that breaks a test passing on the original is still rejected by it
    assert "judged by the tests that pass on it" in warning
