"""Find the project around a path, its Python files, its tests and its workload."""

from __future__ import annotations

import configparser
import fnmatch
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # the backport, a dependency on 3.10
    import tomli as tomllib

from perfopt.config import Settings, load_settings, path_matches
from perfopt.errors import TargetError, UserError
from perfopt.interpreter import find_interpreter
from perfopt.models import Interpreter, Workload
from perfopt.verify.workspace import SKIP_DIRS
from perfopt.workloads import from_setting

MARKERS = ("pyproject.toml", "setup.py", "setup.cfg")


@dataclass(frozen=True)
class Project:
    root: Path
    focus: (
        str | None
    )  # project-relative file when PATH named a file: only its functions are targets
    python_files: tuple[str, ...]
    test_files: tuple[str, ...]
    settings: Settings
    workload: Workload
    python: str  # interpreter that runs the workload, the tests and the timing workers
    interpreter: Interpreter | None = None  # the same, with where it came from
    # target keys (file::qualname) the loop may work on; None: any hotspot (`perfopt ci`
    # restricts the loop to the changed functions)
    only: frozenset[str] | None = None


DEFAULT_TEST_PATTERNS = ("test_*.py", "*_test.py")


def is_test_file(rel: str, patterns: tuple[str, ...] = DEFAULT_TEST_PATTERNS) -> bool:
    parts = Path(rel).parts
    name = parts[-1]
    return (
        any(p in ("tests", "test", "testing") for p in parts[:-1])
        or any(fnmatch.fnmatch(name, pat) for pat in patterns)
        or name == "conftest.py"
    )


def pytest_file_patterns(root: Path) -> tuple[str, ...]:
    """`python_files` from [tool.pytest.ini_options] or pytest.ini, else pytest's default."""
    value: object = None
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
        value = data.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("python_files")
    except (OSError, tomllib.TOMLDecodeError):
        pass
    if value is None:
        ini = configparser.ConfigParser()
        try:
            ini.read(root / "pytest.ini", encoding="utf-8")
            value = ini.get("pytest", "python_files", fallback=None)
        except configparser.Error:
            value = None
    if isinstance(value, str):
        value = value.split()
    if isinstance(value, list) and value:
        return tuple(str(v) for v in value)
    return DEFAULT_TEST_PATTERNS


def find_root(path: Path) -> Path:
    start = path if path.is_dir() else path.parent
    for folder in (start, *start.parents):
        if any((folder / m).is_file() for m in MARKERS):
            return folder
        if (folder / ".git").exists():
            return folder
    return start


def list_python_files(root: Path) -> list[str]:
    """Project-relative .py files; in a git work tree only files git would keep."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.py"],
            cwd=root,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
        files = [f for f in out.split("\0") if f and (root / f).is_file()]
        return sorted(f for f in files if not (set(Path(f).parts) & SKIP_DIRS))
    except (OSError, subprocess.SubprocessError):
        files = []
        for p in root.rglob("*.py"):
            rel = p.relative_to(root)
            if not set(rel.parts[:-1]) & SKIP_DIRS and not any(
                part.endswith(".egg-info") for part in rel.parts
            ):
                files.append(rel.as_posix())
        return sorted(files)


def check_syntax(root: Path, files: list[str], settings: Settings) -> None:
    """Refuse a project whose own code does not compile. Tests, their data (pygments keeps
    broken Python on purpose under tests/examplefiles/) and excluded files are not checked:
    perfopt never optimizes them."""
    for rel in files:
        if is_test_file(rel) or path_matches(rel, settings.exclude):
            continue
        try:
            text = (root / rel).read_text(encoding="utf-8")
            compile(text, rel, "exec", dont_inherit=True)
        except SyntaxError as exc:
            raise TargetError(
                f"{rel}:{exc.lineno}: {exc.msg}; fix this syntax error first "
                "(perfopt only optimizes code that runs)"
            ) from None
        except UnicodeDecodeError:
            raise TargetError(f"{rel} is not UTF-8 text; convert it or exclude it") from None


def discover(path: Path, flags: Mapping[str, Any] | None = None) -> Project:
    if not path.exists():
        raise TargetError(f"{path} does not exist; give a project folder or a Python file")
    if path.is_file() and path.suffix != ".py":
        raise TargetError(f"{path} is not a Python file; give a project folder or a .py file")
    root = find_root(path.resolve())
    settings = load_settings(root, flags)
    files = list_python_files(root)
    if not files:
        raise TargetError(
            f"no Python files under {root}; give a folder that holds a Python project"
        )
    check_syntax(root, files, settings)
    patterns = pytest_file_patterns(root)
    tests = tuple(f for f in files if is_test_file(f, patterns))
    focus = path.resolve().relative_to(root).as_posix() if path.is_file() else None
    interp = find_interpreter(root, settings, flag=(flags or {}).get("python"))
    # every process that runs the project's code reads the interpreter from the settings
    settings = settings.replace(python=interp.path)
    if settings.workload:
        workload = from_setting(root, settings.workload, interp.path)
        if settings.tests and workload.kind == "pytest":
            raise UserError("--tests narrows the project's tests; with --workload PATH, "
                            "name the benchmark files to run instead")
    else:
        if not any(fnmatch.fnmatch(Path(t).name, p) for t in tests for p in patterns):
            raise TargetError(
                f"no tests found under {root}; perfopt profiles a workload: add pytest tests "
                "or pass --workload 'python run_bench.py'"
            )
        workload = Workload(kind="pytest", tests=settings.tests)
    if workload.kind == "pytest" and "pytest" in interp.missing:
        raise UserError(f"the project's interpreter {interp.path} (from {interp.source}) has "
                        f"no pytest, which runs the tests as the workload: install it there "
                        f"({interp.path} -m pip install pytest) or pass --workload CMD")
    return Project(
        root=root,
        focus=focus,
        python_files=tuple(files),
        test_files=tests,
        settings=settings,
        workload=workload,
        python=interp.path,
        interpreter=interp,
    )
