"""One virtual environment per instance, on an interpreter the package can run on.

Old releases need old interpreters (sympy 1.2 imports `collections.Mapping`, gone in 3.10),
so the interpreter is chosen, in order: `--python PATH`; the version the instance's data was
measured with; the versions the package's classifiers name; the remaining installed pyenv
versions that satisfy `python_requires`, newest first. Each is tried by building the venv
and importing the package; the first that imports wins.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from perfopt.errors import UserError

READY = ".perfopt-ready"
PIP_TIMEOUT_S = 900.0
IMPORT_TIMEOUT_S = 120.0
MAX_TRIES = 4  # interpreters tried before giving up (each try is a venv + an install)


@dataclass(frozen=True)
class VenvInfo:
    python: str  # the venv's interpreter
    base_python: str  # the interpreter it was made from
    version: str  # "3.8.18"


def pyenv_pythons(root: Path | None = None) -> list[tuple[tuple[int, ...], str]]:
    """(version, interpreter path) of every pyenv CPython 3, newest first."""
    root = root or Path.home() / ".pyenv" / "versions"
    found = []
    for folder in root.glob("3.*") if root.is_dir() else []:
        match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", folder.name)
        exe = folder / "bin" / f"python{match.group(1)}.{match.group(2)}" if match else None
        if match and exe is not None and exe.is_file():
            found.append((tuple(int(g) for g in match.groups()), str(exe)))
    return sorted(found, reverse=True)


def package_pythons(tree: Path) -> tuple[str | None, list[str]]:
    """(python_requires, ["3.8", ...] from classifiers) as declared by the tree's packaging."""
    text = ""
    for name in ("setup.py", "setup.cfg", "pyproject.toml"):
        path = tree / name
        if path.is_file():
            text += path.read_text(encoding="utf-8", errors="replace") + "\n"
    req = re.search(r"""(?:python_requires|requires-python)\s*=\s*["']([^"']+)["']""", text)
    classifiers = re.findall(r"Programming Language :: Python :: (3\.\d+)", text)
    return (req.group(1) if req else None), sorted(set(classifiers), key=_key, reverse=True)


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def _satisfies(version: tuple[int, ...], spec: str | None) -> bool:
    if not spec:
        return True
    try:
        from packaging.specifiers import SpecifierSet
    except ImportError:  # pragma: no cover - packaging ships with pip/pytest
        return True
    return SpecifierSet(spec).contains(".".join(map(str, version)), prereleases=True)


def candidate_pythons(tree: Path, hint: str | None,
                      installed: list[tuple[tuple[int, ...], str]]) -> list[str]:
    """Interpreters to try for `tree`, best first (see the module docstring)."""
    spec, classifiers = package_pythons(tree)
    ok = [(v, exe) for v, exe in installed if _satisfies(v, spec)]
    order: list[str] = []
    preferred = ([hint] if hint else []) + classifiers
    for minor in preferred:
        for v, exe in ok:
            if f"{v[0]}.{v[1]}" == minor and exe not in order:
                order.append(exe)
    order += [exe for _, exe in ok if exe not in order]
    return order


def _run(cmd: list[str], cwd: Path, timeout_s: float) -> tuple[int, str]:
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return -9, f"ran longer than {timeout_s:.0f} s"
    except OSError as exc:
        return -1, str(exc)
    return proc.returncode, (proc.stdout + proc.stderr)[-3000:]


def build_venv(tree: Path, venv: Path, base_python: str, package: str,
               requirements: tuple[str, ...]) -> VenvInfo:
    """A venv at `venv` with `pip install -e tree` plus `requirements`, checked by importing
    `package` from outside the tree. Raises UserError with the failing step's output."""
    shutil.rmtree(venv, ignore_errors=True)
    python = str(venv / "bin" / "python")
    steps = [
        [base_python, "-m", "venv", str(venv)],
        # The pip bundled with CPython 3.6 (18.1) ignores Requires-Python on find-links
        # wheels and picks pytest 8 / wheels for 3.9+; pip 21.3 (the last for 3.6) does not.
        [python, "-c", "import subprocess, sys; sys.version_info < (3, 7) and "
                       "subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q', "
                       "'--disable-pip-version-check', 'pip>=21,<22'])"],
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *requirements],
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e", str(tree)],
        [python, "-c", f"import {package}, platform; print(platform.python_version())"],
    ]
    out = ""
    for step in steps:
        timeout = PIP_TIMEOUT_S
        code, out = _run(step, venv.parent, timeout)
        if code != 0:
            raise UserError(f"{' '.join(step[:4])}... failed (exit {code}): {out.strip()[-400:]}")
    version = out.strip().splitlines()[-1]
    (venv / READY).write_text(f"{base_python}\n{version}\n", encoding="utf-8")
    return VenvInfo(python, base_python, version)


def ensure_venv(tree: Path, venv: Path, package: str, requirements: tuple[str, ...], *,
                python: str | None, hint: str | None,
                installed: list[tuple[tuple[int, ...], str]] | None = None) -> VenvInfo:
    """The instance's venv: reused when a previous run finished it, else built on the first
    interpreter that works. A clear UserError when none does."""
    stamp = venv / READY
    if stamp.is_file():
        base, _, version = stamp.read_text(encoding="utf-8").partition("\n")
        if python is None or python == base:
            return VenvInfo(str(venv / "bin" / "python"), base, version.strip())
    if python is not None:
        return build_venv(tree, venv, python, package, requirements)
    installed = pyenv_pythons() if installed is None else installed
    order = candidate_pythons(tree, hint, installed)[:MAX_TRIES]
    if not order:
        spec, _ = package_pythons(tree)
        have = ", ".join(".".join(map(str, v)) for v, _ in installed) or "none"
        raise UserError(
            f"no installed Python fits {tree.name} (python_requires {spec or 'unspecified'}; "
            f"pyenv versions: {have}); install one or pass --python PATH"
        )
    errors = []
    for exe in order:
        try:
            return build_venv(tree, venv, exe, package, requirements)
        except UserError as exc:
            errors.append(f"{exe}: {str(exc)[-200:]}")
    raise UserError(
        f"no interpreter could install and import {package} from {tree.name}; tried "
        + " | ".join(errors) + "; pass --python PATH to choose one"
    )
