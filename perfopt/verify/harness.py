"""Behaviour recorder and comparer, run as `PYTHON perfopt/verify/harness.py` in a sandbox, in
the project's interpreter (Python 3.8+, standard library only: see perfopt/interpreter.py).

    record  --root BASELINE  --file F --qualname Q --suite DIR [--cases JSON] --out OUTCOMES
    compare --root CANDIDATE --file F --qualname Q --suite DIR [--cases JSON] --expected OUTCOMES

An outcome of one call is what a caller could observe: the return value (or the
exception type), the arguments after the call (mutation), and what it printed. `record`
calls every case twice on fresh copies of its arguments and marks a case
nondeterministic when the two disagree; `compare` skips those. The last stdout line is
one JSON object {"ok", "case", "detail", ...} carrying the nonce the caller sent on stdin
(`--nonce-stdin`), read before the code under test is imported: a line that code prints
(and then exits) cannot carry it.
"""

from __future__ import annotations

import argparse
import cmath
import contextlib
import io
import itertools
import json
import math
import os
import pickle
import random
import reprlib
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any


def _standalone(rel: str):  # noqa: ANN202 - a module object
    """perfopt's stdlib-only file `rel` (under perfopt/) by its path: this file runs by path
    in the project's interpreter, where perfopt may be missing (perfopt/interpreter.py), and
    leaves sys.path so that none of its neighbours shadows a module of the project."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    if __name__ == "__main__" and os.path.abspath(sys.path[0] or ".") == here:
        del sys.path[0]
    path = os.path.join(os.path.dirname(here), rel)
    spec = importlib.util.spec_from_file_location("_perfopt_" + rel[:-3].replace("/", "_"), path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


if TYPE_CHECKING:
    from perfopt.verify.loader import load_callable, load_payload, plugin, read_cases
else:
    _loader = _standalone("verify/loader.py")
    load_callable, load_payload, read_cases = (_loader.load_callable, _loader.load_payload,
                                               _loader.read_cases)
    plugin = _loader.plugin

# A generator's items are the behaviour; consuming more than this is a runaway.
MAX_YIELDED = 100_000

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = _short.maxtuple = _short.maxdict = _short.maxset = 6
_short.maxlevel = 3


def short(value: Any) -> str:
    try:
        return _short.repr(value)
    except Exception as exc:  # noqa: BLE001 - a broken __repr__ in user code
        return f"<{type(value).__name__}: repr failed: {type(exc).__name__}>"


class Yielded(list):
    """The items a returned generator produced; a distinct type so that returning a list
    instead of a generator counts as a difference."""


class Unread(list):
    """What a stream argument still held after the call: the items it left unread (a
    rewrite that reads further, or less, than the original differs here)."""


class _Output(io.StringIO):
    """The call's stdout: a target that closes it (a CLI entry point) leaves its text."""

    def close(self) -> None:  # closing is not an outcome; what it printed is
        return None


def _unread(value: Any) -> Any:
    rest = plugin().stream_rest(value)
    return value if rest is None else Unread(rest)


# --- deep comparison ---------------------------------------------------------------


def diff(a: Any, b: Any, path: str = "", _seen: set[tuple[int, int]] | None = None) -> str | None:
    """None when `a` and `b` are the same observable value, else where they first differ.

    Types must match exactly; floats compare exactly, NaN equal to NaN; containers and
    objects without their own __eq__ (compared by type + attributes) recursively.
    """
    where = path or "value"
    if type(a) is not type(b):
        return f"{where}: expected {type(a).__name__} {short(a)}, got {type(b).__name__} {short(b)}"
    if isinstance(a, (float, complex)):
        if a == b or _both_nan(a, b):
            return None
        return f"{where}: expected {a!r}, got {b!r}"
    special = _array_equal(a, b)
    if special is not None:
        return None if special else f"{where}: expected {short(a)}, got {short(b)}"
    seen = set() if _seen is None else _seen
    key = (id(a), id(b))
    if key in seen:  # a cycle already being compared
        return None
    try:
        verdict = a == b
        is_bool = isinstance(verdict, bool) or type(verdict).__name__ == "bool_"
        same = bool(verdict) if is_bool else None
    except Exception:  # noqa: BLE001 - user __eq__ may raise anything
        same = None
    if same:
        return None
    seen.add(key)
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return f"{where}: expected length {len(a)} {short(a)}, got length {len(b)} {short(b)}"
        for i, (x, y) in enumerate(zip(a, b)):  # noqa: B905 - same lengths; strict= is 3.10+
            found = diff(x, y, f"{path}[{i}]", seen)
            if found:
                return found
        return None
    if isinstance(a, dict):
        if a.keys() != b.keys():
            missing = [k for k in a if k not in b][:3]
            extra = [k for k in b if k not in a][:3]
            return f"{where}: keys differ (missing {short(missing)}, extra {short(extra)})"
        for k in a:
            found = diff(a[k], b[k], f"{path}[{short(k)}]", seen)
            if found:
                return found
        return None
    state_a, state_b = _state(a), _state(b)
    if type(a).__eq__ is object.__eq__ and state_a is not None and state_b is not None:
        # No equality of its own: the same type with the same attributes is the same value.
        for name in sorted(set(state_a) | set(state_b)):
            found = diff(
                state_a.get(name, _MISSING), state_b.get(name, _MISSING), f"{path}.{name}", seen
            )
            if found:
                return found
        return None
    if same is None and type(a).__eq__ is object.__eq__ and repr(a) == repr(b):
        return None
    return f"{where}: expected {short(a)}, got {short(b)}"


def _both_nan(a: complex, b: complex) -> bool:
    if isinstance(a, complex) and isinstance(b, complex):
        return cmath.isnan(a) and cmath.isnan(b) and _parts_match(a, b)
    return isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b)


def _parts_match(a: complex, b: complex) -> bool:
    return all(
        x == y or (math.isnan(x) and math.isnan(y)) for x, y in ((a.real, b.real), (a.imag, b.imag))
    )


def _array_equal(a: Any, b: Any) -> bool | None:
    """numpy arrays and pandas objects: `==` is elementwise there."""
    module = type(a).__module__.split(".")[0]
    if module == "numpy" and hasattr(a, "shape") and hasattr(a, "dtype"):
        import numpy

        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        try:
            return bool(numpy.array_equal(a, b, equal_nan=True))
        except TypeError:  # equal_nan on non-numeric dtypes
            return bool(numpy.array_equal(a, b))
    if module == "pandas" and hasattr(a, "equals"):
        return bool(a.equals(b))
    return None


def _state(obj: Any) -> dict[str, Any] | None:
    """Attributes from __slots__ and __dict__; None for objects that have neither."""
    state: dict[str, Any] = {}
    for cls in type(obj).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__") and hasattr(obj, name):
                state[name] = getattr(obj, name)
    if hasattr(obj, "__dict__") and isinstance(vars(obj), dict):
        state.update(vars(obj))
    elif not state:
        return None
    return state


# --- outcomes ------------------------------------------------------------------------


def snapshot(value: Any) -> dict[str, Any]:
    """A storable form: the pickle when it round-trips, else the repr."""
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - unpicklable values fall back to their repr
        data = None
    return {"pickle": data, "repr": short(value) if data is not None else _full_repr(value)}


def _full_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as exc:  # noqa: BLE001 - user __repr__
        return f"<repr failed: {type(exc).__name__}>"


def same_as(snap: dict[str, Any], live: Any, path: str = "") -> str | None:
    got = None
    if snap["pickle"] is not None:
        try:
            expected = pickle.loads(snap["pickle"])
        except Exception:  # noqa: BLE001 - pickles but does not load back: only the short repr is left
            got = short(live)
        else:
            return diff(expected, live, path)
    got = _full_repr(live) if got is None else got
    if got == snap["repr"]:
        return None
    return f"{path or 'value'}: expected {snap['repr'][:80]}, got {got[:80]}"


_MISSING = object()


def _seed() -> None:
    # Same random stream for baseline and candidate: code using `random` stays comparable.
    random.seed(0)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(0)


def call_case(fn: Callable[..., Any], payload: bytes, freeze: bool) -> dict[str, Any]:
    """Call `fn` on a fresh copy of the case; the outcome, live or frozen (snapshots)."""
    args, kwargs = load_payload(payload)
    out = _Output()
    kind, value, exc_type, exc_msg = "return", None, "", ""
    _seed()
    with contextlib.redirect_stdout(out):
        try:
            value = fn(*args, **kwargs)
            if isinstance(value, types.GeneratorType):
                value = Yielded(itertools.islice(value, MAX_YIELDED))
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - raising is an outcome
            kind, exc_type, exc_msg = (
                "raise",
                f"{type(exc).__module__}.{type(exc).__qualname__}",
                str(exc),
            )
    outcome = {
        "kind": kind,
        "value": value,
        "exc_type": exc_type,
        "exc_msg": exc_msg[:200],
        # a stream argument is what it left unread (after the returned generator ran)
        "args_after": (tuple(_unread(a) for a in args),
                       {k: _unread(v) for k, v in kwargs.items()}),
        "stdout": out.getvalue(),
    }
    if freeze:
        outcome["value"] = snapshot(value)
        outcome["args_after"] = snapshot(outcome["args_after"])
    return outcome


def _exc_name(qualified: str) -> str:
    prefix = "builtins."  # (str.removeprefix is 3.9+: this runs in the project's Python)
    return qualified[len(prefix):] if qualified.startswith(prefix) else qualified


def diff_outcome(expected: dict[str, Any], actual: dict[str, Any]) -> str | None:
    """First observable difference between a frozen `expected` and a live `actual`."""
    if expected["kind"] != actual["kind"]:
        if actual["kind"] == "raise":
            return (
                f"raised {_exc_name(actual['exc_type'])} ({actual['exc_msg'][:80]}) instead of "
                f"returning {expected['value']['repr'][:80]}"
            )
        wanted = _exc_name(expected["exc_type"])
        return f"returned {short(actual['value'])} instead of raising {wanted}"
    if expected["kind"] == "raise":
        if expected["exc_type"] != actual["exc_type"]:
            got, wanted = _exc_name(actual["exc_type"]), _exc_name(expected["exc_type"])
            return f"raised {got} instead of {wanted}"
    else:
        found = same_as(expected["value"], actual["value"])
        if found:
            return f"return value differs: {found}"
    found = _args_diff(expected["args_after"], actual["args_after"])
    if found:
        return found
    if expected["stdout"] != actual["stdout"]:
        wanted, got = short(expected["stdout"]), short(actual["stdout"])
        return f"printed output differs: expected {wanted}, got {got}"
    return None


def _args_diff(snap: dict[str, Any], live: tuple[tuple[Any, ...], dict[str, Any]]) -> str | None:
    if snap["pickle"] is None:
        found = same_as(snap, live)
        return f"arguments after the call differ: {found}" if found else None
    try:
        exp_args, exp_kwargs = pickle.loads(snap["pickle"])
    except Exception:  # noqa: BLE001 - see same_as
        found = same_as(snap, live)
        return f"arguments after the call differ: {found}" if found else None
    args, kwargs = live
    for i, (x, y) in enumerate(zip(exp_args, args)):  # noqa: B905 - strict= needs 3.10
        found = diff(x, y)
        if found:
            return f"{_argument_changed(f'argument {i}', x)}: {found}"
    for name in exp_kwargs:
        found = diff(exp_kwargs[name], kwargs.get(name, _MISSING))
        if found:
            return f"{_argument_changed(f'keyword argument {name!r}', exp_kwargs[name])}: {found}"
    return None


def _argument_changed(where: str, expected: Any) -> str:
    return (f"{where}, a stream, was read to a different point (items left unread)"
            if type(expected) is Unread else f"{where} mutated differently")


# --- modes ---------------------------------------------------------------------------


def record(fn: Callable[..., Any], cases: list[tuple[str, Path]]) -> tuple[dict[str, Any], int]:
    outcomes: dict[str, Any] = {}
    unstable = 0
    for cid, path in cases:
        payload = path.read_bytes()
        first = call_case(fn, payload, freeze=True)
        second = call_case(fn, payload, freeze=False)
        why = diff_outcome(first, second)
        first["nondeterministic"] = why
        unstable += why is not None
        outcomes[cid] = first
    return outcomes, unstable


def compare(
    fn: Callable[..., Any], cases: list[tuple[str, Path]], expected: dict[str, Any]
) -> dict[str, Any]:
    compared = skipped = 0
    example = ""  # what the original's two runs on the first skipped input disagreed on
    for cid, path in cases:
        exp = expected.get(cid)
        if exp is None:
            return {"ok": False, "case": cid, "detail": "no recorded outcome for this case"}
        if exp["nondeterministic"]:
            skipped += 1
            example = example or (f"on {cid} {_short_input(path.read_bytes(), 160)}, its "
                                  f"second run: {exp['nondeterministic']}")
            continue
        actual = call_case(fn, path.read_bytes(), freeze=False)
        found = diff_outcome(exp, actual)
        if found:
            return {
                "ok": False,
                "case": cid,
                # the input itself, shortened: the case id alone tells a model nothing
                "detail": f"{found}; input: {_short_input(path.read_bytes())}",
                "compared": compared,
                "skipped": skipped,
            }
        compared += 1
    if compared == 0:
        return {
            "ok": False,
            "case": None,
            "compared": 0,
            "skipped": skipped,
            "detail": f"could not tell: the original behaves differently from run to run "
            f"on all {skipped} inputs ({example})",
        }
    detail = f"same behaviour on {compared} inputs"
    if skipped:
        detail += f" ({skipped} nondeterministic inputs skipped)"
    return {"ok": True, "case": None, "detail": detail, "compared": compared, "skipped": skipped}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness.py")
    parser.add_argument("mode", choices=("record", "compare"))
    parser.add_argument("--root", required=True, type=Path)
    parser.add_argument("--file", required=True)
    parser.add_argument("--qualname", required=True)
    parser.add_argument("--callable", default=None, dest="call_path",
                        help="what to call in the module (worked out from --qualname if absent)")
    parser.add_argument("--module", default=None,
                        help="import name of --file (worked out from it if absent)")
    parser.add_argument("--suite", required=True, type=Path)
    parser.add_argument("--cases", type=Path, default=None)
    parser.add_argument("--out", type=Path, help="record: where to write the outcomes")
    parser.add_argument("--expected", type=Path, help="compare: the recorded outcomes")
    parser.add_argument("--nonce-stdin", action="store_true",
                        help="read a nonce from stdin and put it in the result line")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    opts = _parser().parse_args(argv)
    # Read before the target is imported, and kept in this frame: the target never sees it.
    nonce = sys.stdin.readline().strip() if opts.nonce_stdin else ""
    result = _run(opts)
    result["nonce"] = nonce
    return result


def _run(opts: argparse.Namespace) -> dict[str, Any]:
    cases = read_cases(opts.suite, opts.cases)
    try:
        with contextlib.redirect_stdout(_Output()):  # import-time prints are not ours
            fn = load_callable(opts.root, opts.file, opts.qualname, opts.call_path, opts.module)
    except Exception as exc:  # noqa: BLE001 - any import failure is a named result
        return {
            "ok": False,
            "case": None,
            "stage": "import",
            "detail": f"cannot import {opts.qualname} from {opts.file}: "
            f"{type(exc).__name__}: {exc}",
        }
    if opts.mode == "record":
        outcomes, unstable = record(fn, cases)
        with open(opts.out, "wb") as handle:
            pickle.dump({"version": 1, "cases": outcomes}, handle, protocol=pickle.HIGHEST_PROTOCOL)
        return {
            "ok": True,
            "case": None,
            "cases": len(outcomes),
            "nondeterministic": unstable,
            # compare skips these: no clock may time them (targets/function.timing_suite)
            "unstable": [cid for cid, o in outcomes.items() if o["nondeterministic"]],
            "example": next((f"on {cid} {_short_input(dict(cases)[cid].read_bytes(), 160)}, "
                             f"its second run: {o['nondeterministic']}"
                             for cid, o in outcomes.items() if o["nondeterministic"]), ""),
            "detail": f"recorded {len(outcomes)} inputs",
        }
    with open(opts.expected, "rb") as handle:
        expected = pickle.load(handle)["cases"]
    return compare(fn, cases, expected)


def _short_input(payload: bytes, limit: int = 300) -> str:
    try:
        data = pickle.loads(payload)
        args, kwargs = tuple(data["args"]), dict(data["kwargs"])
    except Exception as exc:  # noqa: BLE001 - only a description is wanted here
        return f"(unreadable: {type(exc).__name__})"
    short = reprlib.Repr()
    short.maxlist = short.maxtuple = short.maxset = short.maxdict = 8
    short.maxstring = short.maxother = 60
    streams = data.get("streams") or {}

    def shown(where: Any, value: Any) -> str:  # a stream as the items it gave
        return f"iter({short.repr(value)})" if where in streams else short.repr(value)

    parts = ([shown(i, a) for i, a in enumerate(args)]
             + [f"{k}={shown(k, v)}" for k, v in kwargs.items()])
    text = f"({', '.join(parts)})"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _entry() -> None:
    # A copy of the stdout descriptor, taken before the target runs: a target that closes
    # or replaces sys.stdout, sys.__stdout__ or even descriptor 1 cannot lose the result.
    out = os.dup(1)
    result = main()
    data = ("\n" + json.dumps(result, default=str) + "\n").encode()
    while data:
        data = data[os.write(out, data):]
    # User code may leave non-daemon threads or atexit hooks behind; they must not
    # hang the harness or print after the result line.
    os._exit(0)


if __name__ == "__main__":
    _entry()

