"""Workload guidance: a benchmark file or folder as the workload, a thin profile said in one
warning, and a workload that failed to import named as such (real profiles of small
projects, in perfopt's own interpreter)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from perfopt.commands.optimize import optimize_project
from perfopt.errors import TargetError
from perfopt.events import Silent
from perfopt.models import Workload
from perfopt.pipeline import RunOptions
from perfopt.profilers import ProfileOptions, run_profile
from perfopt.workloads import drivers, from_setting, import_failure, thin_profile

PY = "/p/.venv/bin/python"

HOT = """\
def count_unique(items):
    seen = []
    for x in items:
        if x not in seen:
            seen.append(x)
    return len(seen)
"""


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "lib").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'lib'\n")
    (root / "lib" / "__init__.py").write_text("")
    (root / "lib" / "hot.py").write_text(HOT)
    return root


def test_a_benchmark_file_or_folder_becomes_the_workload(tmp_path: Path) -> None:
    root = project(tmp_path)
    bench = root / "benchmarks"
    bench.mkdir()
    (bench / "bench_a.py").write_text("def test_a(benchmark):\n    pass\n")
    (bench / "bench_b.py").write_text("class TestB:\n    def test_b(self):\n        pass\n")
    (bench / "conftest.py").write_text("")
    (bench / "helpers.py").write_text("X = 1\n")
    assert from_setting(root, "benchmarks/", PY) == Workload(
        kind="pytest", tests="benchmarks/bench_a.py benchmarks/bench_b.py")
    assert from_setting(root, "benchmarks/bench_b.py", PY).tests == "benchmarks/bench_b.py"
    (root / "run.py").write_text("import lib\n")
    assert from_setting(root, "run.py", PY) == Workload(kind="command", command=f"{PY} run.py")
    scripts = root / "scripts"
    scripts.mkdir()
    for name in ("a.py", "b.py"):
        (scripts / name).write_text("print(1)\n")
    assert from_setting(root, "scripts", PY).command == (f"{PY} scripts/a.py && "
                                                         f"{PY} scripts/b.py")
    # anything else is a shell command, as written
    assert from_setting(root, "python run.py", PY) == Workload(kind="command",
                                                               command="python run.py")
    (root / "empty").mkdir()
    with pytest.raises(TargetError, match="no Python files there; --workload names"):
        from_setting(root, "empty/", PY)


def test_a_thin_profile_says_how_to_pass_a_workload() -> None:
    cmd = Workload(kind="command", command="python bench.py")
    assert thin_profile(cmd, 5.0, 0.40) is None
    short = thin_profile(cmd, 0.7, 0.40)
    assert short is not None and short.startswith("the workload ran 0.7 s: too little")
    assert "--workload 'python bench.py'" in short and "--workload benchmarks/" in short
    flat = thin_profile(cmd, 9.0, 0.03)
    assert flat is not None and flat.startswith("the top hotspot holds 3% of the samples")
    both = thin_profile(Workload(), 1.0, 0.01)
    assert both is not None and " s and the top hotspot holds 1%" in both
    # stdin programs: their inputs are the workload
    assert thin_profile(Workload(kind="stdin", command="p.py"), 0.1, 0.01) is None


PYTEST_COLLECTION = """\
==================================== ERRORS ====================================
____________________ ERROR collecting tests/test_stats.py ______________________
ImportError while importing test module '/w/tests/test_stats.py'.
tests/test_stats.py:1: in <module>
    import numpy as np
E   ModuleNotFoundError: No module named 'numpy'
=========================== short test summary info ============================
ERROR tests/test_stats.py
!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
"""


def test_import_failures_are_read_from_the_output() -> None:
    found = import_failure(PYTEST_COLLECTION, PY)
    assert found is not None
    assert found.startswith("the workload failed to import numpy (collecting "
                            "tests/test_stats.py): /p/.venv/bin/python has no module named")
    assert "--python PATH" in found
    skipped = "SKIPPED [1] tests/test_a.py:1: could not import 'scipy.sparse': No module"
    assert "failed to import scipy.sparse" in (import_failure(skipped, PY) or "")
    other = "ImportError: cannot import name 'fast' from 'lib.hot' (/w/lib/hot.py)"
    assert "ImportError: cannot import name 'fast'" in (import_failure(other, PY) or "")
    fixture = "E       fixture 'benchmark' not found"
    assert "pip install pytest-benchmark" in (import_failure(fixture, PY) or "")
    assert import_failure("1 passed in 0.01s", PY) is None


def test_a_profile_whose_tests_fail_to_import_says_so(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "tests").mkdir()
    (root / "tests" / "test_hot.py").write_text(
        "import lib.hot\nimport not_installed_anywhere_xyz\n\n\ndef test_it():\n"
        "    assert lib.hot.count_unique([1, 1]) == 1\n")
    notes: list[str] = []
    run_profile(root, ProfileOptions(profiler="cprofile"), note=notes.append)
    assert notes and notes[0].startswith(
        "the workload failed to import not_installed_anywhere_xyz (collecting "
        "tests/test_hot.py)")
    assert not any("a longer workload helps" in n for n in notes)
    # optimize stops there, with the same line (exit 2 through the CLI)
    with pytest.raises(TargetError, match="failed to import not_installed_anywhere_xyz"):
        optimize_project(root, {"profiler": "cprofile"}, RunOptions(), Silent())


def test_a_benchmark_folder_is_profiled_through_pytest(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "benchmarks").mkdir()
    (root / "benchmarks" / "bench_hot.py").write_text(
        "from lib.hot import count_unique\n\n\ndef test_hot():\n"
        "    assert count_unique(list(range(3000)) * 2) == 3000\n")
    notes: list[str] = []
    report = run_profile(root, ProfileOptions(workload="benchmarks/", profiler="cprofile"),
                         note=notes.append)
    assert report.returncode == 0 and report.workload == "pytest [benchmarks/bench_hot.py]"
    assert report.hotspots[0].target.key == "lib/hot.py::count_unique"
    assert report.python is not None and report.python.path == sys.executable
    # a short run: said once, with how to pass a longer workload
    assert [n for n in notes if "too little to rank hotspots on" in n] == notes
    plain = root / "plain.py"
    plain.write_text("from lib.hot import count_unique\ncount_unique(list(range(3000)) * 2)\n")
    report = run_profile(root, ProfileOptions(workload="plain.py", profiler="cprofile"))
    assert report.workload == f"command: {shlex.quote(sys.executable)} plain.py"
    assert report.hotspots[0].target.key == "lib/hot.py::count_unique"


def test_the_workload_script_drives_and_is_not_ranked(tmp_path: Path) -> None:
    # The script's own loop takes real time; it is the driver, as tests are, unless PATH
    # names it. (Seen on h11, attrs and pathspec: the workload's `exchange`, `make_order`
    # and `tree` ranked among the library's functions.)
    root = project(tmp_path)
    (root / "bench.py").write_text(
        "from lib.hot import count_unique\n\n\ndef build(n):\n"
        "    return [str(i % 997) * 3 for i in range(n)]\n\n\n"
        "for _ in range(20):\n    count_unique(build(30000))\n")
    assert drivers(root, Workload(kind="command", command="python bench.py")) == ("bench.py",)
    assert drivers(root, Workload(kind="command", command="python bench.py"),
                   focus="bench.py") == ()
    assert drivers(root, Workload(kind="command", command="make bench 'x")) == ()
    options = ProfileOptions(workload="python bench.py", profiler="cprofile")
    keys = [h.target.key for h in run_profile(root, options).hotspots]
    assert keys == ["lib/hot.py::count_unique"]
    named = run_profile(root / "bench.py", options).hotspots
    assert named[0].target.key == "bench.py::build"
    assert {h.target.file for h in named} == {"bench.py"}


def test_test_data_that_does_not_compile_is_not_refused(tmp_path: Path) -> None:
    # pygments keeps broken Python under tests/examplefiles/ on purpose; the project's own
    # code must still compile
    root = project(tmp_path)
    (root / "tests" / "examplefiles").mkdir(parents=True)
    (root / "tests" / "examplefiles" / "switch_case.py").write_text("return 1\n")
    (root / "legacy.py").write_text("print 'py2'\n")
    (root / "bench.py").write_text("from lib.hot import count_unique\n"
                                   "count_unique(list(range(3000)) * 2)\n")
    flags = {"workload": "python bench.py", "profiler": "cprofile"}
    with pytest.raises(TargetError, match="legacy.py:1: Missing parentheses"):
        optimize_project(root, flags, RunOptions(), Silent())
    (root / "pyproject.toml").write_text(
        "[project]\nname = 'lib'\n[tool.perfopt]\nexclude = ['legacy.py']\n")
    report = run_profile(root, ProfileOptions(workload="python bench.py", profiler="cprofile"))
    assert [h.target.key for h in report.hotspots] == ["lib/hot.py::count_unique"]
