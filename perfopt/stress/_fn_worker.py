"""Child side of function stressing: build scaled variants of seed arguments, call the
target on each, time it and pickle the arguments of the calls that returned.

Standard library only, run as a file (`python _fn_worker.py`) in the project folder with
the project's interpreter, so it works where perfopt itself is not installed. Unpickling
seeds and calling the target run project code: that is why it is a separate process.

Request (JSON on stdin): {"resolver": path of _capture_plugin.py, "module", "path",
"seeds": [pickle paths], "jobs": [{"seed": index or -1 (from type hints), "factor",
"strategy", "rng", "out"}]}. Reply (JSON on stdout, last line): one result per job.
"""

from __future__ import annotations

import collections
import copy
import gc
import importlib.util
import inspect
import json
import pickle
import random
import string
import sys
import time
import typing

MAX_ELEMENTS = 200_000  # no collection grows past this many elements
MAX_CHARS = 1_000_000
REPEATS = 5
REPEAT_UNDER_S = 0.25  # calls are repeated (min taken) only while their total is below this


def _resolver(path: str):  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("_perfopt_resolve", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.resolve_callable


def _grow_list(items: list, n: int, strategy: str, rng: random.Random) -> list:
    if not items:
        return items
    ints = all(type(x) is int for x in items)
    if ints:
        lo, hi = min(items), max(items)
        if strategy == "equal":
            out = [rng.choice(items)] * n
        elif strategy == "few":
            pool = rng.sample(items, min(2, len(items)))
            out = [rng.choice(pool) for _ in range(n)]
        elif strategy == "distinct":
            span = max(hi - lo + 1, n)
            out = rng.sample(range(lo, lo + span), n)
        else:
            out = [rng.randint(lo, hi) for _ in range(n)]
    else:
        out = [copy.deepcopy(rng.choice(items)) for _ in range(n)]
    try:
        if strategy == "sorted":
            out.sort()
        elif strategy == "reverse":
            out.sort(reverse=True)
    except TypeError:
        pass
    return out


def transform(value, factor: float, strategy: str, rng: random.Random, depth: int = 0):  # noqa: ANN001, ANN201
    """`value` with its collections `factor` times longer (top level), values resampled
    from what the seed holds, so the types and ranges stay those the code really gets."""
    grow = factor if depth == 0 else 1.0
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and strategy == "grow_ints" and depth == 0 and value > 1:
        return int(value * factor)
    if isinstance(value, str):
        n = min(MAX_CHARS, max(len(value), int(len(value) * grow)))
        chars = value or string.ascii_lowercase
        if strategy == "equal":
            return chars[0] * n
        return "".join(rng.choice(chars) for _ in range(n)) if n != len(value) else value
    if isinstance(value, bytes):
        return transform(value.decode("latin-1"), factor, strategy, rng, depth).encode("latin-1")
    if isinstance(value, (list, tuple, collections.deque)):
        items = [transform(v, factor, strategy, rng, depth + 1) for v in value]
        n = min(MAX_ELEMENTS, max(len(items), int(len(items) * grow)))
        out = _grow_list(items, n, strategy, rng) if (n != len(items) or strategy not in
                                                      ("random", "grow_ints")) else items
        return type(value)(out) if type(value) in (list, tuple, collections.deque) else out
    if isinstance(value, (set, frozenset)):
        items = list(value)
        n = min(MAX_ELEMENTS, int(len(items) * grow))
        if items and all(type(x) is int for x in items) and n > len(items):
            lo = min(items)
            return type(value)(rng.sample(range(lo, lo + max(n * 2, max(items) - lo + 1)), n))
        return value
    if isinstance(value, dict) and depth == 0 and value:
        keys = list(value)
        n = min(MAX_ELEMENTS, int(len(keys) * grow))
        out = dict(value)
        k = 0
        while len(out) < n and k < 4 * n:
            key = keys[k % len(keys)]
            new = (f"{key}_{k}" if isinstance(key, str) else key + (k + 1) * 1_000_003
                   if isinstance(key, int) else None)
            if new is None:
                break
            out[new] = copy.deepcopy(value[rng.choice(keys)])
            k += 1
        return out
    return value


def from_hint(hint, size: int, rng: random.Random):  # noqa: ANN001, ANN201
    """A value of an annotated type, `size` elements long for collections."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is int:
        return rng.randint(-(10**6), 10**6)
    if hint is float:
        return rng.uniform(-1e6, 1e6)
    if hint is str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(size))
    if hint is bool:
        return rng.random() < 0.5
    if origin in (list, collections.abc.Sequence, set, frozenset):
        inner = args[0] if args else int
        items = [from_hint(inner, max(1, size // 100), rng) for _ in range(size)]
        return items if origin is not set and origin is not frozenset else origin(items)
    if origin is tuple and args and args[-1] is not Ellipsis:
        return tuple(from_hint(a, size, rng) for a in args)
    if origin is dict and args:
        return {from_hint(args[0], 8, rng): from_hint(args[1], 8, rng) for _ in range(size)}
    raise TypeError(f"no generator for {hint!r}")


def _hinted(func, size: int, rng: random.Random) -> tuple[tuple, dict]:  # noqa: ANN001
    hints = typing.get_type_hints(func)
    args = []
    for name, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name not in hints:
            if param.default is not param.empty:
                continue
            raise TypeError(f"parameter {name} has no type hint")
        args.append(from_hint(hints[name], size, rng))
    return tuple(args), {}


def measure(value) -> int:  # noqa: ANN001
    """Elements in a value, nested collections included: the sweep's size axis."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, dict):
        return len(value) + sum(measure(v) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset, collections.deque)):
        return len(value) + sum(measure(v) for v in value if not isinstance(v, (int, float)))
    return 1 if isinstance(value, int) else 0


def main() -> int:
    request = json.loads(sys.stdin.read())
    sys.path.insert(0, ".")
    func = _resolver(request["resolver"])(request["module"], request["path"])
    seeds = []
    for path in request["seeds"]:
        with open(path, "rb") as fh:
            data = pickle.load(fh)
        seeds.append((tuple(data["args"]), dict(data["kwargs"])))
    results = []
    for job in request["jobs"]:
        rng = random.Random(job["rng"])
        try:
            if job["seed"] < 0:
                args, kwargs = _hinted(func, int(job["factor"]), rng)
            elif job["strategy"] == "as-is":  # the seed's own cost
                args, kwargs = seeds[job["seed"]]
            else:
                base_args, base_kwargs = seeds[job["seed"]]
                # each argument grows, never the argument list itself
                args = tuple(transform(a, job["factor"], job["strategy"], rng)
                             for a in base_args)
                kwargs = {k: transform(v, job["factor"], job["strategy"], rng)
                          for k, v in base_kwargs.items()}
            blob = pickle.dumps({"args": args, "kwargs": kwargs}, pickle.HIGHEST_PROTOCOL)
            cost, spent = float("inf"), 0.0
            for _ in range(REPEATS):  # fast calls: the min of a few, timer noise is large
                call_args, call_kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
                gc.collect()  # as timeit does: no collection of the copies mid-call
                gc.disable()
                try:
                    started = time.perf_counter()
                    func(*call_args, **call_kwargs)
                    once = time.perf_counter() - started
                finally:
                    gc.enable()
                cost, spent = min(cost, once), spent + once
                if spent > REPEAT_UNDER_S:
                    break
        except Exception as exc:  # the variant broke the function: not a valid input
            results.append({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]})
            continue
        with open(job["out"], "wb") as fh:
            fh.write(blob)
        results.append({"ok": True, "cost": cost, "size": measure((args, kwargs))})
        print(json.dumps({"progress": len(results)}), flush=True)
    print(json.dumps({"results": results}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
