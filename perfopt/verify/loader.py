"""What the harness and the timing worker share: import a target from a tree, read its cases.

Runs inside sandboxed processes, so it imports only the standard library at module level.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the harness and workers import this module: keep it light
    from perfopt.models import StressSuite, Target


def module_name(rel_path: str) -> str:
    """Dotted module name of a project file ("src/pkg/mod.py" -> "pkg.mod")."""
    try:
        from perfopt.languages.python import module_name as shared
    except ImportError:  # that helper's module not written yet in this checkout
        return _module_name(rel_path)
    return shared(rel_path)


def _module_name(rel_path: str) -> str:
    parts = list(Path(rel_path).with_suffix("").parts)
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _resolve(module: Any, path: str) -> Callable[..., Any]:
    try:
        # The light module behind perfopt.profilers.capture.resolve_callable: importing
        # capture itself costs ~0.1 s more in every timing worker.
        from perfopt.profilers._capture_plugin import resolve_callable
    except ImportError:
        return _resolve_local(module, path)
    return resolve_callable(module, path)


def _callable_path(source_file: Path, qualname: str) -> str:
    """What the stress cases call: for a nested function the enclosing one (the same
    rule argument capture used to record them)."""
    try:
        from perfopt.languages.python import callable_path, definitions
    except ImportError:
        return qualname
    return callable_path(qualname, definitions(source_file.read_text(encoding="utf-8")))


def _resolve_local(module: Any, qualname: str) -> Callable[..., Any]:
    """The raw function: methods take self/cls as their first positional argument."""
    obj: Any = module
    for part in qualname.split("."):
        obj = inspect.getattr_static(obj, part)
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
    if isinstance(obj, property):
        obj = obj.fget
    if not callable(obj):
        raise TypeError(f"{qualname} is not callable")
    return obj


def load_callable(root: Path, file: str, qualname: str) -> Callable[..., Any]:
    """Import `file` from the tree at `root` (root and root/src on sys.path) and resolve
    `qualname` in it."""
    root = Path(root).resolve()
    for entry in (root / "src", root):
        if str(entry) not in sys.path:
            sys.path.insert(0, str(entry))
    # root first, then root/src: the project's own layout decides which one holds it.
    module = importlib.import_module(module_name(file))
    return _resolve(module, _callable_path(root / file, qualname))


def read_cases(suite: Path, cases_file: Path | None) -> list[tuple[str, Path]]:
    """(case id, payload path) pairs: from a JSON list of [id, payload] written by the
    caller, or else every file in the suite folder, sorted by name."""
    suite = Path(suite)
    if cases_file is not None:
        pairs = json.loads(Path(cases_file).read_text(encoding="utf-8"))
        return [(str(cid), suite / payload) for cid, payload in pairs]
    return [(p.name, p) for p in sorted(suite.iterdir()) if p.is_file()]


def load_payload(data: bytes) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A fresh (args, kwargs) from the pickled {"args": ..., "kwargs": ...} payload."""
    value = pickle.loads(data)
    if isinstance(value, dict):
        return tuple(value.get("args", ())), dict(value.get("kwargs", {}))
    args, kwargs = value  # tolerate a plain (args, kwargs) pair
    return tuple(args), dict(kwargs)


def write_cases_file(path: Path, cases: list[tuple[str, str]]) -> Path:
    path.write_text(json.dumps([list(c) for c in cases]), encoding="utf-8")
    return path


def target_args(root: Path, target: Target, suite: StressSuite, cases_file: Path) -> list[str]:
    """The arguments that tell perfopt's own child entry points (the verify harness, the
    timing worker) which function to load and which inputs to feed it."""
    return [
        "--root", str(Path(root).resolve()),
        "--file", target.file,
        "--qualname", str(target.qualname),
        "--suite", str(Path(suite.folder).resolve()),
        "--cases", str(cases_file),
    ]
