"""The project's interpreter: which one runs its code, and the environment its processes get.

perfopt runs the project's code (the workload, argument capture, the stressor, the
equivalence harness, the tests, the timing workers, callgrind's counts) in the PROJECT's
interpreter, found in this order:

    --python PATH, else [tool.perfopt] python   what the user named
    .venv/ or venv/ in the project root         the project's own environment
    $VIRTUAL_ENV                                an activated environment
    sys.executable                              perfopt's own interpreter

The chosen one is probed once (its version, whether it has pytest and Hypothesis) and
said in the run's output. perfopt's own files that run inside it (the harness, the timing
worker, the stress worker, the capture plugin) use only the standard library of Python
`MIN_VERSION` and newer, and run by file path: perfopt need not be installed there.

A process that runs the project's code in a tree gets `tree_env`: the interpreter's folder
first on PATH (a bare `python` or `pytest` in a workload is the project's), VIRTUAL_ENV
for a venv, and the tree's `src/` and root first on PYTHONPATH, so the copy perfopt works
in is the one imported even where an editable install points at the original tree.
"""

from __future__ import annotations

import functools
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from perfopt.errors import UserError
from perfopt.models import Interpreter

if TYPE_CHECKING:
    from perfopt.config import Settings

MIN_VERSION = (3, 8)  # the oldest project interpreter perfopt's child-side files support
VENV_DIRS = (".venv", "venv")
OWN = "perfopt's own"
PROBE_TIMEOUT_S = 60.0
# Parses and runs on Python 2.7 too, so an interpreter that is far too old still says so.
_PROBE = """\
import sys
try:
    from importlib.util import find_spec
except ImportError:
    find_spec = None
print("%d.%d.%d" % tuple(sys.version_info[:3]))
print(" ".join(m for m in ("pytest", "hypothesis") if find_spec is None or find_spec(m) is None))
"""


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtual environment folder (POSIX or Windows layout)."""
    posix = venv / "bin" / "python"
    windows = venv / "Scripts" / "python.exe"
    return windows if windows.exists() and not posix.exists() else posix


def find_interpreter(root: Path, settings: Settings, *, flag: str | None = None,
                     environ: Mapping[str, str] | None = None) -> Interpreter:
    """The interpreter that runs `root`'s code, probed. `flag` is --python; `settings.python`
    the configured one. Raises UserError when the named or found one cannot run here."""
    environ = os.environ if environ is None else environ
    path, source = _choose(Path(root), settings, flag, environ)
    version, missing = probe(path)
    if version_tuple(version) < MIN_VERSION:
        wanted = ".".join(map(str, MIN_VERSION))
        raise UserError(f"the project's interpreter {path} ({source}) is Python {version}; "
                        f"perfopt needs {wanted} or newer there: pass --python PATH")
    return Interpreter(path=path, source=source, version=version, missing=missing)


def _choose(root: Path, settings: Settings, flag: str | None,
            environ: Mapping[str, str]) -> tuple[str, str]:
    if flag:
        return _named(flag, Path.cwd(), "--python"), "--python"
    if settings.python:
        # a relative path in [tool.perfopt] is the project's: relative to its root
        return _named(settings.python, root, "[tool.perfopt] python"), "[tool.perfopt] python"
    for name in VENV_DIRS:
        folder = root / name
        if (folder / "pyvenv.cfg").is_file():
            python = venv_python(folder)
            if not python.exists():
                raise UserError(f"{folder} has no {python.relative_to(folder)}: recreate it "
                                f"(python -m venv {name}) or pass --python PATH")
            return str(python), f"{name}/"
    active = environ.get("VIRTUAL_ENV")
    if active and venv_python(Path(active)).exists():
        return str(venv_python(Path(active))), "VIRTUAL_ENV"
    return sys.executable, OWN


def _named(value: str, base: Path, where: str) -> str:
    """An interpreter the user named: a path (relative to `base`) or a name on PATH. Kept
    unresolved: a venv's bin/python is a symlink, and resolving it leaves the venv."""
    if os.sep not in value and "/" not in value:
        found = shutil.which(value)
        if found:
            return os.path.abspath(found)
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file() or not os.access(path, os.X_OK):
        raise UserError(f"{where} {value}: no executable interpreter there; give the path "
                        "of a Python, e.g. .venv/bin/python")
    return os.path.abspath(path)


@functools.lru_cache(maxsize=16)
def probe(python: str) -> tuple[str, tuple[str, ...]]:
    """(version, what it lacks of pytest and hypothesis) of an interpreter; perfopt's own
    answers in process (no child: one that may not exec it, as a dropped user, still runs)."""
    if python == sys.executable:
        from importlib.util import find_spec

        return (platform.python_version(),
                tuple(m for m in ("pytest", "hypothesis") if find_spec(m) is None))
    try:
        proc = subprocess.run([python, "-c", _PROBE], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL,
                              env=_probe_env())
    except (OSError, subprocess.SubprocessError) as exc:
        raise UserError(f"cannot run the interpreter {python} ({exc}); "
                        "pass --python PATH") from None
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or not lines:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1][:160]
        raise UserError(f"the interpreter {python} does not run ({last}); pass --python PATH")
    missing = tuple(lines[1].split()) if len(lines) > 1 else ()
    return lines[0].strip(), missing


def _probe_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "PYTHONPATH")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def version_tuple(version: str) -> tuple[int, ...]:
    """(3, 9) of "3.9.18"."""
    return tuple(int(p) for p in version.split(".")[:2] if p.isdigit())


def python_of(settings: Settings) -> str:
    """The interpreter that runs the project's code: `settings.python` once discovery has
    set it, else perfopt's own."""
    return settings.python or sys.executable


def describe(interp: Interpreter) -> str:
    """`/p/.venv/bin/python (3.9.18, from .venv/)`: one line for the console."""
    return f"{interp.path} (Python {interp.version}, from {interp.source})"


def skips_tests(interp: Interpreter | None, test_command: str | None) -> bool:
    """The tests gate would run pytest, which the project's interpreter lacks: it is skipped
    (said once by `announce`). A pytest workload without pytest stops at discovery."""
    return test_command is None and interp is not None and "pytest" in interp.missing


def announce(interp: Interpreter | None, test_command: str | None, has_tests: bool,
             note: Callable[[str], None], warn: Callable[[str], None]) -> None:
    """The interpreter in one line, and what it lacks that perfopt would use."""
    if interp is None:
        return
    note(f"python: {describe(interp)}")
    if "hypothesis" in interp.missing:
        note("it has no hypothesis: stress inputs are scaled and varied, not searched "
             f"({interp.path} -m pip install hypothesis adds the search)")
    if skips_tests(interp, test_command) and has_tests:
        warn(f"{interp.path} (from {interp.source}) has no pytest: the tests gate is skipped; "
             f"install it there ({interp.path} -m pip install pytest) to run the project's "
             "tests on every candidate")


def import_paths(root: Path) -> list[str]:
    """What the tree's code is imported from: `src/` (a src layout) and the root."""
    root = Path(root)
    return [str(p) for p in (root / "src", root) if p.is_dir()]


def _venv_of(python: str) -> Path | None:
    """The virtual environment holding `python` (its pyvenv.cfg), unresolved."""
    folder = Path(python).parent.parent
    return folder if (folder / "pyvenv.cfg").is_file() else None


def _python_beside(python: str) -> bool:
    """Whether a bare `python` in the interpreter's folder is that interpreter."""
    beside = Path(python).parent / "python"
    try:
        return beside.exists() and os.path.samefile(beside, python)
    except OSError:
        return False


def tree_env(root: Path, python: str, base: Mapping[str, str]) -> dict[str, str]:
    """`base` for a process that runs the code of the tree at `root` in `python`."""
    env = dict(base)
    folder = str(Path(python).parent)
    venv = _venv_of(python)
    if venv is not None or _python_beside(python):
        rest = [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p != folder]
        env["PATH"] = os.pathsep.join([folder, *rest])
    if venv is not None:
        env["VIRTUAL_ENV"] = str(venv)
    else:  # an activated venv that is not this interpreter's must not mislead its tools
        env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONHOME", None)
    old = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    mine = import_paths(root)
    env["PYTHONPATH"] = os.pathsep.join(mine + [p for p in old if p not in mine])
    return env
