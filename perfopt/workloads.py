"""The workload, from what the user gave, and what its profiled run says about itself.

`--workload` is a shell command, or the path of a benchmark file or folder: test files
(pytest-benchmark style, `def test_...`) run through pytest, a plain script runs with the
project's interpreter. A run too short, or whose top hotspot holds too little of it, to
rank on gets one warning saying how to pass a better workload; a run that failed to
import something says what and how to fix it, not "a longer workload helps".
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

from perfopt.errors import TargetError
from perfopt.models import Workload

THIN_WALL_S = 2.0  # a workload shorter than this gives too few samples to rank on
THIN_SHARE = 0.05  # a top hotspot under this share of the samples stands out from nothing
HOW = "--workload 'python bench.py' (a command) or --workload benchmarks/ (a file or folder)"
BENCH_HINT = ("--workload names a command, or a benchmark file or folder: pytest-benchmark "
              "tests run through pytest, a plain script with the project's python")

_MISSING = re.compile(r"ModuleNotFoundError: No module named '([^']+)'")
_IMPORT = re.compile(r"\bImportError: ([^\n]+)")
_SKIPPED = re.compile(r"could not import '([^']+)'")
_FIXTURE = re.compile(r"fixture '(\w+)' not found")
_COLLECTING = re.compile(r"ERROR collecting (\S+)")
_FIXTURE_PACKAGES = {"benchmark": "pytest-benchmark", "mocker": "pytest-mock"}


def from_setting(root: Path, command: str, python: str) -> Workload:
    """The workload `--workload command` means: a benchmark file or folder inside the
    project, else the shell command as written."""
    root = Path(root).resolve()
    path = _benchmark_path(root, command)
    if path is None:
        return Workload(kind="command", command=command)
    files = [path] if path.is_file() else sorted(
        p for p in path.rglob("*.py") if p.name not in ("__init__.py", "conftest.py"))
    tests = [f for f in files if has_tests(f)]
    if tests:  # pytest-style benchmarks: the test files (any name), through pytest
        return Workload(kind="pytest", tests=" ".join(shlex.quote(_rel(root, f))
                                                      for f in tests))
    if not files:
        raise TargetError(f"--workload {_rel(root, path)}: no Python files there; "
                          f"{BENCH_HINT}")
    run = [f"{shlex.quote(python)} {shlex.quote(_rel(root, f))}" for f in files]
    return Workload(kind="command", command=" && ".join(run))


def drivers(root: Path, workload: Workload, focus: str | None = None) -> tuple[str, ...]:
    """The project's .py files a command workload runs as scripts (`python bench.py`): they
    drive the code as tests do and are not ranked, unless PATH named one (`focus`)."""
    if workload.kind != "command" or not workload.command:
        return ()
    try:
        words = shlex.split(workload.command)
    except ValueError:
        return ()
    root = Path(root).resolve()
    found = []
    for word in words:
        path = (root / word).resolve()
        if word.endswith(".py") and path.is_file() and path.is_relative_to(root):
            found.append(_rel(root, path))
    return tuple(f for f in found if f != focus)


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _benchmark_path(root: Path, text: str) -> Path | None:
    """The file or folder `text` names (relative to the project root, or absolute), when
    it is one: a .py file or a folder; None for anything else (a command)."""
    text = text.strip()
    if not text or "\n" in text:
        return None
    candidate = Path(text).expanduser()
    path = candidate if candidate.is_absolute() else root / candidate
    try:
        if path.is_dir() or (path.is_file() and path.suffix == ".py"):
            return path.resolve()
    except OSError:
        return None
    return None


def has_tests(path: Path) -> bool:
    """Whether a file holds pytest tests: a module-level `def test...` or `class Test...`."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                node.name.startswith("test"):
            return True
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            return True
    return False


def thin_profile(workload: Workload, wall_s: float, top_share: float | None) -> str | None:
    """One warning when the profile is too thin to trust: the workload ran under
    THIN_WALL_S, or its top hotspot holds under THIN_SHARE of the samples."""
    if workload.kind == "stdin":  # the inputs are the workload: nothing else to pass
        return None
    problems = []
    if wall_s < THIN_WALL_S:
        problems.append(f"the workload ran {wall_s:.1f} s")
    if top_share is not None and top_share < THIN_SHARE:
        problems.append(f"the top hotspot holds {top_share:.0%} of the samples")
    if not problems:
        return None
    return (" and ".join(problems) + ": too little to rank hotspots on; pass a longer one "
            f"that exercises the code you want faster: {HOW}")


def import_failure(output: str, python: str) -> str | None:
    """What the workload failed to import, and the fix, from its output; None when it
    shows no import failure."""
    where = _COLLECTING.search(output)
    at = f" (collecting {where.group(1)})" if where else ""
    missing = _MISSING.search(output) or _SKIPPED.search(output)
    if missing:
        name = missing.group(1)
        top = name.split(".")[0]
        return (f"the workload failed to import {name}{at}: {python} has no module named "
                f"'{top}'; install it there ({python} -m pip install <its package>), or "
                "pass --python PATH of the environment that has it")
    other = _IMPORT.search(output)
    if other:
        return (f"the workload failed to import: ImportError: {other.group(1).strip()[:200]}"
                f"{at}; fix that import, or pass --python PATH of the environment it works in")
    fixture = _FIXTURE.search(output)
    if fixture:
        name = fixture.group(1)
        package = _FIXTURE_PACKAGES.get(name, "the pytest plugin that provides it")
        return (f"the workload's tests use the pytest fixture '{name}', which {python} lacks: "
                f"install {package} there ({python} -m pip install {package})")
    return None
