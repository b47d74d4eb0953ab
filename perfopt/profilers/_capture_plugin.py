"""Child side of argument capture: wraps target functions in the workload's own process
and pickles the arguments of their first distinct calls.

A generator or builtin iterator argument (a token stream) is a stream: the call gets a
generator that pulls from it lazily and pickles each item as the call takes it, so the
caller's own iterator keeps what the call left; the case holds the items taken as a list,
marked in `"streams"` (ended or not, or the exception the stream raised), and `replay`
turns them back into a fresh generator, with `REST` after the items when the call
stopped before the end (an original that stops there never takes it; a rewrite that reads
further does). Under pytest, each target also notes the ids of the tests that called it:
the tests that can judge a rewrite whose arguments do not pickle.

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
import io
import json
import os
import pickle
import sys
import threading
import types
from collections.abc import Iterator

ENV_VAR = "PERFOPT_CAPTURE"
_MAX_ATTEMPTS_PER_CASE = 10  # pickling stops after limit * this many tries (duplicates)
_CACHE_ATTRS = ("cache_info", "cache_clear", "cache_parameters")  # functools.lru_cache
MAX_STREAM_ITEMS = 100_000  # a call that takes more items from a stream is not recorded
MAX_TESTS = 1000  # test ids noted per target
REST = "<perfopt: the stream went on>"  # replayed after the items a call stopped short of


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


# --- streams -----------------------------------------------------------------------------


def is_stream(value) -> bool:  # noqa: ANN001
    """A generator, or an iterator of a builtin or itertools type (map, zip, a list's...);
    never a file. Objects of the project's own iterator classes stay objects."""
    if isinstance(value, types.GeneratorType):
        return True
    return (type(value).__module__ in ("builtins", "itertools")
            and isinstance(value, Iterator) and not isinstance(value, io.IOBase))


class _Stream:
    """What one call took from one stream argument, each item pickled as it was taken."""

    def __init__(self, source) -> None:  # noqa: ANN001
        self.source = source
        self.items: list = []
        self.ended = False
        self.error: bytes | None = None  # the pickled exception the stream raised
        self.problem = ""  # why it cannot be recorded
        self.open = True  # the call is still running

    def take(self, item) -> None:  # noqa: ANN001
        if not self.open or self.problem:
            return
        if len(self.items) >= MAX_STREAM_ITEMS:
            self.problem = f"it gave more than {MAX_STREAM_ITEMS} items"
            return
        try:
            self.items.append(pickle.dumps(item, pickle.HIGHEST_PROTOCOL))
        except Exception as exc:
            self.problem = f"an item ({_type_name(item)}) does not pickle: {_error(exc)}"

    def fail(self, exc: BaseException) -> None:
        if not self.open or self.problem:
            return
        try:
            self.error = pickle.dumps(exc, pickle.HIGHEST_PROTOCOL)
        except Exception as err:
            self.problem = f"it raised {type(exc).__name__}, which does not pickle: {_error(err)}"


def _tee(stream: _Stream):  # noqa: ANN202
    """The generator the call gets: pulls from the stream only when the call does."""
    source = stream.source
    while True:
        try:
            item = next(source)
        except StopIteration:
            if stream.open:
                stream.ended = True
            return
        except Exception as exc:
            stream.fail(exc)
            raise
        stream.take(item)
        yield item


def _replayed(it, error):  # noqa: ANN001, ANN202
    yield from it  # `it` stays a local of the frame: stream_rest reads what is left
    if error is not None:
        raise pickle.loads(error)


def replay(data: dict) -> tuple[tuple, dict]:
    """A fresh (args, kwargs) from an unpickled case: each stream a new generator."""
    args, kwargs = list(data.get("args", ())), dict(data.get("kwargs", {}))
    for where, mark in (data.get("streams") or {}).items():
        owner = args if isinstance(where, int) else kwargs
        items = list(owner[where])
        if not mark.get("ended", True):
            items.append(REST)
        owner[where] = _replayed(iter(items), mark.get("error"))
    return tuple(args), kwargs


def stream_rest(value):  # noqa: ANN001, ANN201
    """The items a replayed stream has not given yet; None for any other value."""
    if not isinstance(value, types.GeneratorType) or value.gi_code is not _replayed.__code__:
        return None
    frame = value.gi_frame
    return [] if frame is None else list(frame.f_locals["it"])


def _finish_after(result, rec: _Recorder, call: _Call):  # noqa: ANN001, ANN202
    """The generator a call returned, recorded once it is consumed (or closed): what a lazy
    function takes from its streams is taken then."""
    try:
        value = yield from result
    finally:
        rec.finish(call, "return")
    return value


def _type_name(value) -> str:  # noqa: ANN001
    return f"{type(value).__module__}.{type(value).__qualname__}".replace("builtins.", "")


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


class _Call:
    """One call being recorded: the other arguments pickled before it ran, the streams."""

    def __init__(self, blob: bytes, streams: dict, args: tuple, kwargs: dict) -> None:
        self.blob, self.streams, self.args, self.kwargs = blob, streams, args, kwargs


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
        self.why = ""  # the first call that could not be recorded: which argument, why
        self.names: list[str] = []  # the target's parameter names, for `why`
        self.tests: set[str] = set()  # ids of the pytest tests that called it
        self.seen: set[str] = set()
        self.local = threading.local()
        self.lock = threading.Lock()

    def begin(self, args: tuple, kwargs: dict) -> _Call | None:
        """The call to record, its arguments pickled as they are now (before the call can
        mutate them) and its streams teed; None when it is not recorded."""
        if self.recorded >= self.limit or self.attempts >= self.limit * _MAX_ATTEMPTS_PER_CASE:
            return None
        self.attempts += 1
        streams = {i: _Stream(a) for i, a in enumerate(args) if is_stream(a)}
        streams.update({k: _Stream(v) for k, v in kwargs.items() if is_stream(v)})
        rest = (tuple(None if i in streams else a for i, a in enumerate(args)),
                {k: None if k in streams else v for k, v in kwargs.items()})
        try:
            blob = pickle.dumps({"args": rest[0], "kwargs": rest[1]}, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # anything a __reduce__ may raise: lambdas, locks, files...
            self.refuse(self.culprit(rest[0], rest[1], exc))
            return None
        if not streams:
            if not self.fits(blob):
                return None
            return _Call(blob, {}, args, kwargs)
        args = tuple(_tee(streams[i]) if i in streams else a for i, a in enumerate(args))
        kwargs = {k: _tee(streams[k]) if k in streams else v for k, v in kwargs.items()}
        return _Call(blob, streams, args, kwargs)

    def finish(self, call: _Call, outcome: str) -> None:
        """Save a call that ended; with streams, what it took from them joins the case."""
        blob = self.assemble(call) if call.streams else call.blob
        if blob is not None and (not call.streams or self.fits(blob)):
            self.save(blob, outcome)

    def assemble(self, call: _Call) -> bytes | None:
        for stream in call.streams.values():
            stream.open = False
        for where, stream in call.streams.items():
            if stream.problem:
                self.refuse(f"{self.label(where)}, a stream: {stream.problem}")
                return None
        try:
            data = pickle.loads(call.blob)
            args = list(data["args"])
            for where, stream in call.streams.items():
                items = [pickle.loads(b) for b in stream.items]
                (args if isinstance(where, int) else data["kwargs"])[where] = items
            data["args"] = tuple(args)
            data["streams"] = {where: {"ended": s.ended, "error": s.error}
                               for where, s in call.streams.items()}
            return pickle.dumps(data, pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an item that pickles but does not load back
            self.refuse(f"a stream's items do not load back: {_error(exc)}")
            return None

    def fits(self, blob: bytes) -> bool:
        if len(blob) > self.max_bytes:
            self.too_large += 1
            return False
        digest = hashlib.sha256(blob).hexdigest()
        if digest in self.seen:
            self.duplicates += 1
            return False
        self.seen.add(digest)
        return True

    def refuse(self, why: str) -> None:
        self.unpicklable += 1
        self.why = self.why or why

    def label(self, where) -> str:  # noqa: ANN001
        if isinstance(where, int):
            name = self.names[where] if where < len(self.names) else ""
            return f"argument {where}" + (f" `{name}`" if name else "")
        return f"keyword argument `{where}`"

    def culprit(self, args: tuple, kwargs: dict, exc: BaseException) -> str:
        """Which argument does not pickle, and the error: `argument 1 `lock` (_thread.lock):
        TypeError: cannot pickle '_thread.lock' object`."""
        if self.why:
            return self.why  # only the first is kept: no need to look again
        for where, value in [*enumerate(args), *kwargs.items()]:
            try:
                pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
            except Exception as err:
                return f"{self.label(where)} ({_type_name(value)}): {_error(err)}"
        return f"the arguments together: {_error(exc)}"

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
                 "too_large", "wrapped", "error", "why")
        found = {name: getattr(self, name) for name in names}
        found["tests"] = sorted(self.tests)
        return found


def _wrap(func, rec: _Recorder):  # noqa: ANN001, ANN202
    try:
        rec.names = list(inspect.signature(func).parameters)
    except (TypeError, ValueError):  # a builtin or an odd callable: arguments by number
        rec.names = []

    @functools.wraps(func)
    def perfopt_capture(*args, **kwargs):  # noqa: ANN202
        rec.calls += 1
        test = _STATE.get("test")
        if test is not None and len(rec.tests) < MAX_TESTS:
            rec.tests.add(test)
        depth = getattr(rec.local, "depth", 0)
        rec.local.depth = depth + 1  # also guards a __reduce__ that calls the target
        try:
            call = None
            if depth == 0:  # only the outermost call of a recursion is a real input
                rec.outer_calls += 1
                call = rec.begin(args, kwargs)
                if call is not None:
                    args, kwargs = call.args, call.kwargs
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                if call is not None:
                    rec.finish(call, type(exc).__name__)
                raise
            if call is not None:
                if call.streams and isinstance(result, types.GeneratorType):
                    return _finish_after(result, rec, call)
                rec.finish(call, "return")
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
    if not raw or "by_module" in _STATE:
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
    if "by_module" not in _STATE:
        return
    for recorders in _STATE["by_module"].values():
        for rec in recorders:
            os.makedirs(rec.folder, exist_ok=True)
            with open(os.path.join(rec.folder, "counts.json"), "w", encoding="utf-8") as fh:
                json.dump(rec.counts(), fh)


# --- pytest hooks: load before the project's conftest files, write at the end ----------


def pytest_load_initial_conftests(early_config, parser, args) -> None:  # noqa: ANN001
    install()


def pytest_runtest_logstart(nodeid, location) -> None:  # noqa: ANN001
    _STATE["test"] = nodeid  # calls from here to the test's end are this test's


def pytest_runtest_logfinish(nodeid, location) -> None:  # noqa: ANN001
    _STATE.pop("test", None)


def pytest_unconfigure(config) -> None:  # noqa: ANN001
    flush()
