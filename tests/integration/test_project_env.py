"""Issue 29's "the project's environment", end to end: `perfopt optimize` on a src-layout
project with its own venv, where an editable install points at the ORIGINAL tree, accepts
a codemod (the copy perfopt works in is the one its workload, tests, harness and timing
workers import); a venv of an older Python runs all of that in that Python (a bare
`python` in the workload is the venv's); and `--python` names the interpreter.

The venvs are made here without pip (offline, quick): `python -m venv --without-pip`, a
`.pth` for the editable install (what setuptools writes for a src layout), and for pytest
and Hypothesis a folder of links to perfopt's own (same Python version only).
Settings are small ([tool.perfopt] below); the asserts are on statuses, not timings.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.unit.test_interpreter import OLD

pytestmark = pytest.mark.slow

SETTINGS = """\
[project]
name = "tally"
version = "0.1.0"

[tool.perfopt]
top = 1
rounds = 3
samples_per_worker = 4
min_sample_s = 0.01
stress_budget_s = 4
compare_budget_s = 4
timeout_s = 120
"""

CORE = '''\
"""Counting."""

from __future__ import annotations


def frequencies(items: list[str]) -> dict[str, int]:
    """How many times each item occurs, in first-seen order."""
    freq = {}
    for item in items:
        if item not in freq:
            freq[item] = items.count(item)
    return freq
'''

# Fails unless `tally` is imported from the tree the test runs in: in perfopt's copy, the
# editable install (the original tree) must lose.
TESTS = '''\
from pathlib import Path

import tally
from tally.core import frequencies

ITEMS = ["sku%d" % ((i * 7919) % 1500) for i in range(6000)]


def test_imported_from_this_tree():
    here = Path(__file__).resolve().parents[1]
    assert Path(tally.__file__).resolve().is_relative_to(here), (tally.__file__, here)


def test_counts():
    assert frequencies(["a", "b", "a"]) == {"a": 2, "b": 1}
    for _ in range(3):
        assert sum(frequencies(ITEMS).values()) == len(ITEMS)
'''

BENCH = '''\
import sys
from pathlib import Path

import tally
from tally.core import frequencies

assert sys.version_info[:2] == {version}, sys.version  # a bare `python` is the venv's
# imported from the tree it runs in (perfopt's copy), not through the editable install
assert Path(tally.__file__).resolve().parents[2] == Path(__file__).resolve().parent
ITEMS = ["sku%d" % ((i * 7919) % 1500) for i in range(6000)]
for _ in range(3):
    frequencies(ITEMS)
'''


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, capture_output=True, check=True)


def site_packages(venv: Path) -> Path:
    (found,) = (venv / "lib").glob("python3.*/site-packages")
    return found


def make_project(tmp_path: Path, python: str, version: tuple[int, int]) -> Path:
    """A src-layout project with `.venv` (from `python`), installed editable, in git."""
    root = tmp_path / "proj"
    (root / "src" / "tally").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(SETTINGS)
    (root / "src" / "tally" / "__init__.py").write_text("")
    (root / "src" / "tally" / "core.py").write_text(CORE)
    (root / "tests" / "test_core.py").write_text(TESTS)
    (root / "bench.py").write_text(BENCH.format(version=version))
    (root / ".gitignore").write_text(".venv/\n")
    subprocess.run([python, "-m", "venv", "--without-pip", str(root / ".venv")], check=True,
                   capture_output=True, timeout=120)
    site = site_packages(root / ".venv")
    (site / "__editable__.tally-0.1.0.pth").write_text(f"{root / 'src'}\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "tally")
    return root


def link_packages(site: Path, folder: Path) -> None:
    """perfopt's own pytest and Hypothesis (and what they need) made importable in a venv of
    the same Python: links to their top-level modules in `folder`, on the venv's path."""
    folder.mkdir()
    todo, seen = ["pytest", "hypothesis"], set()
    while todo:
        dist = metadata.distribution(todo.pop())
        if dist.metadata["Name"].lower() in seen:
            continue
        seen.add(dist.metadata["Name"].lower())
        for req in map(Requirement, dist.requires or []):
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
        for file in dist.files or []:
            top = file.parts[0]
            if top.endswith((".dist-info", ".egg-info")) or top in ("..", "__pycache__"):
                continue
            source = Path(str(dist.locate_file(top)))
            if source.exists() and not (folder / top).exists():
                (folder / top).symlink_to(source)
    (site / "perfopt_test_packages.pth").write_text(f"{folder}\n")


def optimize(root: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    # no active venv of perfopt's own; lines wide enough not to fold the paths
    env = {**{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}, "COLUMNS": "500"}
    proc = subprocess.run([sys.executable, "-m", "perfopt.cli", "optimize", str(root), "--json",
                           *args], capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, json.loads(proc.stdout)


def accepted(report: dict) -> list[dict]:
    return [r for r in report["results"]
            if r["verdict"] == "accepted" and r["target"]["file"] == "src/tally/core.py"]


def test_a_src_layout_with_its_venv_and_an_editable_install_is_optimized(
        tmp_path: Path) -> None:
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    root = make_project(tmp_path, str(base), sys.version_info[:2])
    link_packages(site_packages(root / ".venv"), tmp_path / "links")
    venv_python = root / ".venv" / "bin" / "python"
    # the original tree's tests pass in its venv, through the editable install
    subprocess.run([str(venv_python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                   cwd=root, check=True, capture_output=True, timeout=300)
    proc, report = optimize(root)  # the tests are the workload
    assert report["python"] == {"path": str(venv_python), "source": ".venv/",
                                "version": ".".join(map(str, sys.version_info[:3])),
                                "missing": []}
    assert f"python: {venv_python} (Python " in proc.stderr
    assert [h["target"]["file"] for h in report["hotspots"]] == ["src/tally/core.py"]
    assert accepted(report), json.dumps(report["results"], indent=1)[:3000]
    # the tests gate ran (in the candidate's copy: its test checks where tally came from)
    assert not [w for w in report["warnings"] if "pytest" in w], report["warnings"]
    assert "(the project collected no tests)" not in accepted(report)[0]["reason"]


@pytest.mark.skipif(OLD is None, reason="no Python 3.8 or 3.9 under ~/.pyenv")
def test_a_venv_of_an_older_python_runs_the_workload_harness_and_workers(
        tmp_path: Path) -> None:
    assert OLD is not None
    version = subprocess.run([str(OLD), "-c", "import sys; print(sys.version.split()[0])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    major, minor = (int(p) for p in version.split(".")[:2])
    root = make_project(tmp_path, str(OLD), (major, minor))
    _, report = optimize(root, "--workload", "python bench.py")
    python = report["python"]
    assert (python["source"], python["version"]) == (".venv/", version)
    assert set(python["missing"]) == {"pytest", "hypothesis"}
    assert accepted(report), json.dumps(report["results"], indent=1)[:3000]
    # no pytest there: the tests gate is skipped, and said once
    skipped = [w for w in report["warnings"] if "has no pytest: the tests gate is skipped" in w]
    assert len(skipped) == 1, report["warnings"]


def test_python_flag_names_the_interpreter_of_a_benchmark_file(tmp_path: Path) -> None:
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    root = make_project(tmp_path, str(base), sys.version_info[:2])
    other = tmp_path / "other"
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(other)], check=True,
                   capture_output=True, timeout=120)
    (site_packages(other) / "tally.pth").write_text(f"{root / 'src'}\n")
    proc = subprocess.run([sys.executable, "-m", "perfopt.cli", "profile", str(root),
                           "--python", str(other / "bin" / "python"), "--workload", "bench.py",
                           "--json"], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["python"]["path"] == str(other / "bin" / "python")
    assert report["python"]["source"] == "--python"
    assert report["workload"] == f"command: {other / 'bin' / 'python'} bench.py"
    assert report["hotspots"][0]["target"]["qualname"] == "frequencies"


@pytest.mark.skipif(OLD is None, reason="no Python 3.8 or 3.9 under ~/.pyenv")
def test_the_cprofile_fallback_profiles_in_an_older_python(tmp_path: Path) -> None:
    assert OLD is not None
    version = subprocess.run([str(OLD), "-c", "import sys; print(sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    root = make_project(tmp_path, str(OLD), tuple(int(p) for p in version[1:-1].split(", ")))
    proc = subprocess.run([sys.executable, "-m", "perfopt.cli", "profile", str(root),
                           "--profiler", "cprofile", "--workload", "python bench.py", "--json"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert (report["profiler"], report["returncode"]) == ("cprofile", 0)
    assert report["python"]["source"] == ".venv/"
    assert report["hotspots"][0]["target"] == {"file": "src/tally/core.py",
                                               "qualname": "frequencies",
                                               "language": "python", "span": [6, 12]}
