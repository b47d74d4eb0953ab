"""The project's interpreter: which one is found, what its processes get, and perfopt's own
child-side files (harness, timing worker) running in an older Python by their paths, where
perfopt is not importable. Real venvs, real interpreters (pyenv's, skipped when absent)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from perfopt.config import Settings
from perfopt.discover import discover
from perfopt.errors import UserError
from perfopt.interpreter import MIN_VERSION, find_interpreter, probe, tree_env
from perfopt.models import StressCase, StressSuite, Target

PYENV = Path.home() / ".pyenv" / "versions"


def pyenv_python(minor: str) -> Path | None:
    """pyenv's newest 3.<minor>.x interpreter, or None."""
    found = sorted(PYENV.glob(f"3.{minor}.*/bin/python3.{minor}")) if PYENV.is_dir() else []
    return found[-1] if found else None


OLD = pyenv_python("8") or pyenv_python("9")  # the oldest project Python perfopt supports


def make_venv(folder: Path, python: str = sys.executable) -> Path:
    subprocess.run([python, "-m", "venv", "--without-pip", str(folder)], check=True,
                   capture_output=True, timeout=120)
    return folder / "bin" / "python"


def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    (root / "src" / "pkg" / "__init__.py").write_text("")
    (root / "src" / "pkg" / "core.py").write_text("def f(n):\n    return n + 1\n")
    return root


def test_the_named_one_then_the_projects_venv_then_the_active_one_then_perfopts(
        tmp_path: Path) -> None:
    root = project(tmp_path)
    other = make_venv(tmp_path / "other")
    active = make_venv(tmp_path / "active")
    env = {"VIRTUAL_ENV": str(tmp_path / "active")}

    def found(settings: Settings = Settings(), flag: str | None = None) -> tuple[str, str]:
        interp = find_interpreter(root, settings, flag=flag, environ=env)
        return interp.path, interp.source

    assert found(Settings()) == (str(active), "VIRTUAL_ENV")
    plain = make_venv(root / "venv")
    assert found() == (str(plain), "venv/")
    dot = make_venv(root / ".venv")
    assert found() == (str(dot), ".venv/")  # kept unresolved: the venv's own bin/python
    # [tool.perfopt] python is relative to the project root; --python to the working folder
    assert found(Settings(python="venv/bin/python")) == (str(plain),
                                                          "[tool.perfopt] python")
    assert found(Settings(python="venv/bin/python"), flag=str(other)) == (str(other),
                                                                          "--python")
    assert find_interpreter(root, Settings(), environ={}).source == ".venv/"
    interp = find_interpreter(tmp_path, Settings(), environ={})  # no venv anywhere
    assert (interp.path, interp.source) == (sys.executable, "perfopt's own")
    assert interp.version == ".".join(map(str, sys.version_info[:3]))


def test_an_unusable_interpreter_is_one_line_to_fix(tmp_path: Path) -> None:
    root = project(tmp_path)
    with pytest.raises(UserError, match=r"--python .*no executable interpreter there"):
        find_interpreter(root, Settings(), flag=str(tmp_path / "nope"), environ={})
    (root / ".venv").mkdir()
    (root / ".venv" / "pyvenv.cfg").write_text("home = /nowhere\n")
    with pytest.raises(UserError, match=r"\.venv has no bin/python: recreate it"):
        find_interpreter(root, Settings(), environ={})


def test_an_interpreter_older_than_the_minimum_is_refused(tmp_path: Path) -> None:
    old = pyenv_python("7") or pyenv_python("6")
    if old is None:
        pytest.skip("no Python older than 3.8 under ~/.pyenv")
    wanted = ".".join(map(str, MIN_VERSION))
    with pytest.raises(UserError, match=rf"is Python 3\.[67]\.\d+; perfopt needs {wanted}"):
        find_interpreter(project(tmp_path), Settings(), flag=str(old), environ={})


def test_a_pytest_workload_without_pytest_stops_before_any_work(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "tests").mkdir()
    (root / "tests" / "test_core.py").write_text("def test_f():\n    pass\n")
    python = make_venv(root / ".venv")
    assert "pytest" in probe(str(python))[1]
    with pytest.raises(UserError, match=r"from \.venv/\) has no pytest.*-m pip install pytest\) "
                       r"or pass --workload CMD"):
        discover(root, {})
    # a command workload runs; the interpreter is the settings' from here on
    found = discover(root, {"workload": "python -c pass"})
    assert found.settings.python == found.python == str(python)


def test_its_processes_get_its_folder_on_path_and_the_tree_first_on_pythonpath(
        tmp_path: Path) -> None:
    root = project(tmp_path)
    python = make_venv(tmp_path / "env")
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": "/mine", "VIRTUAL_ENV": "/elsewhere"}
    env = tree_env(root, str(python), base)
    assert env["PATH"].split(os.pathsep)[:2] == [str(python.parent), "/usr/bin"]
    assert env["VIRTUAL_ENV"] == str(tmp_path / "env")
    assert env["PYTHONPATH"].split(os.pathsep) == [str(root / "src"), str(root), "/mine"]
    # a bare `python` is that interpreter, and the tree's package is the one imported
    out = subprocess.run(["python", "-c", "import sys, pkg; print(sys.prefix, pkg.__file__)"],
                         env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [str(tmp_path / "env"), str(root / "src/pkg/__init__.py")]
    flat = tmp_path / "flat"
    flat.mkdir()
    bare = tree_env(flat, "/usr/bin/python3", base)  # not a venv: no VIRTUAL_ENV to mislead
    assert "VIRTUAL_ENV" not in bare and bare["PYTHONPATH"] == f"{flat}{os.pathsep}/mine"


# The target fails where perfopt's own folders are on sys.path, perfopt was imported, or
# another Python runs it: the harness and the timing worker run on the standard library of
# the project's interpreter alone.
PROBE = """\
import sys


def plus(n):
    leaked = [p for p in sys.path if p.rstrip("/").endswith(("perfopt/verify", "perfopt/bench"))]
    if leaked or "perfopt" in sys.modules or sys.version_info[:2] != WANT:
        raise RuntimeError("perfopt leaked into the target, or another Python: %s" % leaked)
    if n < 0:
        raise ValueError("negative")
    return [n + 1, (n, "x")]
"""
PLAIN = """\
def plus(n):
    if n < 0:
        raise ValueError("negative")
    return [n + 1, (n, "x")]
"""


@pytest.mark.skipif(OLD is None, reason="no Python 3.8 or 3.9 under ~/.pyenv")
def test_harness_and_timing_worker_run_by_path_in_an_older_python(tmp_path: Path) -> None:
    from perfopt.bench import timing
    from perfopt.verify import equivalence

    assert OLD is not None
    base, cand, wrong = tmp_path / "base", tmp_path / "cand", tmp_path / "wrong"
    want = subprocess.run([str(OLD), "-c", "import sys; print(sys.version_info[:2])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    for tree, body in ((base, f"WANT = {want}\n{PROBE}"), (cand, PLAIN),
                       (wrong, PLAIN.replace("(n, ", "[n, ").replace('"x")', '"x"]'))):
        (tree / "src" / "lib").mkdir(parents=True)
        (tree / "src" / "lib" / "__init__.py").write_text("")
        (tree / "src" / "lib" / "ops.py").write_text(body)
    suite_dir = tmp_path / "suite"
    suite_dir.mkdir()
    for name, n in (("c1", 41), ("c2", -1)):  # a value, and an exception
        (suite_dir / f"{name}.pkl").write_bytes(pickle.dumps({"args": (n,), "kwargs": {}},
                                                             protocol=4))
    target = Target("src/lib/ops.py", "plus")
    suite = StressSuite(target, (StressCase("c1", "captured", "c1.pkl"),
                                 StressCase("c2", "captured", "c2.pkl")), str(suite_dir))
    settings = Settings(python=str(OLD), timeout_s=60, rounds=1, samples_per_worker=2,
                        min_sample_s=0.001)
    recording = equivalence.record(base, target, suite, settings, tmp_path / "out.pkl")
    assert recording.verdict.accepted, recording.verdict
    verdict = equivalence.check(base, cand, target, suite, settings,
                                recorded=tmp_path / "out.pkl")
    # the candidate returns: so did the original, in the old Python, without perfopt
    assert verdict.accepted, verdict
    verdict = equivalence.check(base, wrong, target, suite, settings,
                                recorded=tmp_path / "out.pkl")
    assert (verdict.gate, verdict.accepted) == ("equivalence", False)
    # found inside the list: the harness's own comparison ran in the old Python
    assert "[1]: expected tuple (41, 'x'), got list [41, 'x']" in verdict.reason
    calibrated = timing.calibrate(base, target, suite, settings)
    assert calibrated["loops"] >= 1 and len(calibrated["case_s"]) == 2
