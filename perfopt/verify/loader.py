"""What the harness and the timing worker share: import a target from a tree, read its cases.

Runs inside sandboxed processes, so it imports only the standard library at module level.
"""

from __future__ import annotations

import functools
import importlib
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
    from perfopt.languages.python import module_name as shared

    return shared(rel_path)


@functools.lru_cache(maxsize=1)
def plugin() -> Any:
    """The capture plugin, loaded from its file: importing it as
    perfopt.profilers._capture_plugin would run perfopt.profilers' __init__, ~70 ms of
    imports in every worker (~5 s under valgrind). Its resolver and its stream replay are
    those argument capture recorded with, so cases are replayed exactly as recorded."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "profilers" / "_capture_plugin.py"
    spec = importlib.util.spec_from_file_location("_perfopt_resolve", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _resolver() -> Callable[[Any, str], Callable[..., Any]]:
    return plugin().resolve_callable


def callable_path(source_file: Path, qualname: str) -> str:
    """What the stress cases call: for a nested function the enclosing one (the same
    rule argument capture used to record them). Parses the file (tree-sitter), so the
    parent works it out once and passes it to its workers as --callable."""
    from perfopt.languages.python import callable_path as path_of
    from perfopt.languages.python import definitions

    return path_of(qualname, definitions(Path(source_file).read_text(encoding="utf-8")))


def load_callable(
    root: Path,
    file: str,
    qualname: str,
    call_path: str | None = None,
    module: str | None = None,
) -> Callable[..., Any]:
    """Import `file` (as `module`, else its `module_name`) from the tree at `root` (root
    and root/src on sys.path) and resolve `call_path` in it (`callable_path(root / file,
    qualname)` when not given). Workers get both from the parent: working them out
    imports and parses, which a worker under valgrind pays ~70x for."""
    root = Path(root).resolve()
    for entry in (root / "src", root):
        if str(entry) not in sys.path:
            sys.path.insert(0, str(entry))
    # root first, then root/src: the project's own layout decides which one holds it.
    loaded = importlib.import_module(module or module_name(file))
    return _resolver()(loaded, call_path or callable_path(root / file, qualname))


def read_cases(suite: Path, cases_file: Path | None) -> list[tuple[str, Path]]:
    """(case id, payload path) pairs: from a JSON list of [id, payload] written by the
    caller, or else every file in the suite folder, sorted by name."""
    suite = Path(suite)
    if cases_file is not None:
        pairs = json.loads(Path(cases_file).read_text(encoding="utf-8"))
        return [(str(cid), suite / payload) for cid, payload in pairs]
    return [(p.name, p) for p in sorted(suite.iterdir()) if p.is_file()]


def load_payload(
    data: bytes, loads: Callable[[bytes], Any] = pickle.loads
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A fresh (args, kwargs) from the pickled {"args": ..., "kwargs": ...} payload (its
    `"streams"` replayed as new generators, perfopt.profilers._capture_plugin.replay).
    `loads` is bound when this module is imported, before any target: the timing worker
    unpickles between timed calls, and a target rebinding pickle.loads must not change
    the arguments it is timed on."""
    value = loads(data)
    if isinstance(value, dict) and value.get("streams"):  # a fresh generator per stream
        return plugin().replay(value)
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
        "--module", module_name(target.file),
        "--callable", callable_path(Path(root) / target.file, str(target.qualname)),
        "--suite", str(Path(suite.folder).resolve()),
        "--cases", str(cases_file),
    ]
