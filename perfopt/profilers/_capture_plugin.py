"""Child side of argument capture: wraps target functions in the workload's own process
and pickles the arguments of their first distinct calls.

Standard library only: `capture.py` copies this file into a temporary folder as
`_perfopt_capture.py` so it loads in any interpreter, with or without perfopt installed.
It is a pytest plugin (`-p _perfopt_capture`) and, for other workloads, is started by a
temporary sitecustomize (`install()`).

Targets are wrapped right after their module executes (an import hook), so importers
that do `from mod import f` get the wrapper, and no module is imported earlier than the
workload itself would.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import importlib.abc
import inspect
import json
import os
import pickle
import sys
import threading
import types

ENV_VAR = "PERFOPT_CAPTURE"
_MAX_ATTEMPTS_PER_CASE = 10  # pickling stops after limit * this many tries (duplicates)
_CACHE_ATTRS = ("cache_info", "cache_clear", "cache_parameters")  # functools.lru_cache


def resolve_callable(module: types.ModuleType | str, path: str):  # noqa: ANN201
    """What a harness calls with a captured `(args, kwargs)`.

    Module functions (decorated or not) are the module attribute. For methods it is the
    plain function with `self` (or `cls`) as the first positional argument; staticmethods
    and classmethods give their underlying function (`__func__`), so `cls` is passed
    explicitly for classmethods, exactly as captured.
    """
    obj = importlib.import_module(module) if isinstance(module, str) else module
    *owners, name = path.split(".")
    for part in owners:
        obj = getattr(obj, part)
    if isinstance(obj, type):
        raw = inspect.getattr_static(obj, name)
        if isinstance(raw, (staticmethod, classmethod)):
            return raw.__func__
        return raw
    return getattr(obj, name)


class _Recorder:
    """Counts and cases of one target in this process."""

    def __init__(self, spec: dict, out: str) -> None:
        self.spec = spec
        self.folder = os.path.join(out, spec["slug"])
        self.limit = int(spec["limit"])
        self.max_bytes = int(spec["max_bytes"])
        self.calls = self.outer_calls = self.attempts = 0
        self.recorded = self.unpicklable = self.duplicates = self.too_large = 0
        self.wrapped = False
        self.error = ""
        self.seen: set[str] = set()
        self.local = threading.local()
        self.lock = threading.Lock()

    def snapshot(self, args: tuple, kwargs: dict) -> bytes | None:
        """Pickled (args, kwargs) as they are now, before the call can mutate them."""
        if self.recorded >= self.limit or self.attempts >= self.limit * _MAX_ATTEMPTS_PER_CASE:
            return None
        self.attempts += 1
        try:
            blob = pickle.dumps({"args": args, "kwargs": kwargs}, pickle.HIGHEST_PROTOCOL)
        except Exception:  # anything a __reduce__ may raise: lambdas, locks, files...
            self.unpicklable += 1
            return None
        if len(blob) > self.max_bytes:
            self.too_large += 1
            return None
        digest = hashlib.sha256(blob).hexdigest()
        if digest in self.seen:
            self.duplicates += 1
            return None
        self.seen.add(digest)
        return blob

    def save(self, blob: bytes, outcome: str) -> None:
        with self.lock:
            if self.recorded >= self.limit:
                return
            self.recorded += 1
            n = self.recorded
            os.makedirs(self.folder, exist_ok=True)
            with open(os.path.join(self.folder, f"case-{n}.pkl"), "wb") as fh:
                fh.write(blob)
            with open(os.path.join(self.folder, "cases.jsonl"), "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"n": n, "size": len(blob), "outcome": outcome}) + "\n")

    def counts(self) -> dict:
        names = ("calls", "outer_calls", "attempts", "recorded", "unpicklable", "duplicates",
                 "too_large", "wrapped", "error")
        return {name: getattr(self, name) for name in names}


def _wrap(func, rec: _Recorder):  # noqa: ANN001, ANN202
    @functools.wraps(func)
    def perfopt_capture(*args, **kwargs):  # noqa: ANN202
        rec.calls += 1
        depth = getattr(rec.local, "depth", 0)
        rec.local.depth = depth + 1  # also guards a __reduce__ that calls the target
        try:
            blob = None
            if depth == 0:  # only the outermost call of a recursion is a real input
                rec.outer_calls += 1
                blob = rec.snapshot(args, kwargs)
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                if blob is not None:
                    rec.save(blob, type(exc).__name__)
                raise
            if blob is not None:
                rec.save(blob, "return")
            return result
        finally:
            rec.local.depth = depth

    for attr in _CACHE_ATTRS:
        if hasattr(func, attr) and not isinstance(func, types.FunctionType):
            setattr(perfopt_capture, attr, getattr(func, attr))
    return perfopt_capture


def _patch(module: types.ModuleType, rec: _Recorder) -> None:
    if rec.wrapped:
        return
    try:
        *owners, name = rec.spec["path"].split(".")
        owner = module
        for part in owners:
            owner = getattr(owner, part)
        if isinstance(owner, type):
            raw = inspect.getattr_static(owner, name)
            if isinstance(raw, staticmethod):
                new = staticmethod(_wrap(raw.__func__, rec))
            elif isinstance(raw, classmethod):
                new = classmethod(_wrap(raw.__func__, rec))
            elif callable(raw) and not isinstance(raw, type):
                new = _wrap(raw, rec)
            else:
                raise TypeError(f"{rec.spec['path']} is a {type(raw).__name__}, not a function")
        else:
            value = getattr(owner, name)
            if not callable(value) or isinstance(value, type):
                raise TypeError(f"{rec.spec['path']} is a {type(value).__name__}, not a function")
            new = _wrap(value, rec)
        setattr(owner, name, new)
        rec.wrapped = True
    except Exception as exc:  # report it; never break the user's workload
        rec.error = f"cannot wrap {rec.spec['module']}.{rec.spec['path']}: {exc}"


class _LoaderProxy:
    """Delegates to the real loader; patches the module right after it executes."""

    def __init__(self, loader, recorders: list[_Recorder]) -> None:  # noqa: ANN001
        self._loader = loader
        self._recorders = recorders

    def create_module(self, spec):  # noqa: ANN001, ANN201
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        # Leave no trace of the proxy on the module itself.
        module.__loader__ = self._loader
        spec = getattr(module, "__spec__", None)
        if spec is not None:
            spec.loader = self._loader
        for rec in self._recorders:
            _patch(module, rec)

    def __getattr__(self, name: str):  # noqa: ANN204 - get_source, is_package, ...
        return getattr(self._loader, name)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, by_module: dict[str, list[_Recorder]]) -> None:
        self.by_module = by_module

    def find_spec(self, fullname, path, target=None):  # noqa: ANN001, ANN201
        recorders = self.by_module.get(fullname)
        if not recorders:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _LoaderProxy(spec.loader, recorders)
                return spec
        return None


_STATE: dict = {}


def install() -> None:
    """Start capturing in this process, as described by the PERFOPT_CAPTURE variable."""
    raw = os.environ.get(ENV_VAR)
    if not raw or _STATE:
        return
    config = json.loads(raw)
    out = os.path.join(config["out"], str(os.getpid()))
    by_module: dict[str, list[_Recorder]] = {}
    for spec in config["targets"]:
        by_module.setdefault(spec["module"], []).append(_Recorder(spec, out))
    _STATE.update(out=out, by_module=by_module)
    sys.meta_path.insert(0, _Finder(by_module))
    for name, recorders in by_module.items():
        module = sys.modules.get(name)
        if module is not None:  # imported before we got here (e.g. by a sitecustomize)
            for rec in recorders:
                _patch(module, rec)
    atexit.register(flush)


def flush() -> None:
    """Write this process's counts: one counts.json per target (idempotent)."""
    if not _STATE:
        return
    for recorders in _STATE["by_module"].values():
        for rec in recorders:
            os.makedirs(rec.folder, exist_ok=True)
            with open(os.path.join(rec.folder, "counts.json"), "w", encoding="utf-8") as fh:
                json.dump(rec.counts(), fh)


# --- pytest hooks: load before the project's conftest files, write at the end ----------


def pytest_load_initial_conftests(early_config, parser, args) -> None:  # noqa: ANN001
    install()


def pytest_unconfigure(config) -> None:  # noqa: ANN001
    flush()
