"""Child side of function stressing: build scaled variants of seed arguments, call the
target on each, time it and pickle the arguments of the calls that returned.

Run as a file (`python _fn_worker.py`) in the project folder with the project's
interpreter, so it works where perfopt itself is not installed: standard library only,
except that the search imports Hypothesis (and says so when it is missing). Unpickling
seeds and calling the target run project code: that is why it is a separate process.

Request (JSON on stdin): {"resolver": path of _capture_plugin.py, "module", "path",
"seeds": [pickle paths], "max_call_s" (a call still running then is stopped), then either
"jobs": [{"seed": index, "factor", "strategy", "rng", "out"}] (one result per job; the
request's optional "max_elements" and "max_bytes" cap each input) or
"search": {"seed": index or -1 (type hints), "factors", "examples", "budget_s", "outs"}
(Hypothesis's targeted search; one result per kept input), or "model": {"code", "bonus",
"target_call_s", "examples", "budget_s", "outs"} (the model's stress code, see
model_search), or "describe": true (each seed's shape, no values, for the model's prompt).
Reply (JSON on stdout, last line): {"results": [...]}; for "jobs", a line after each job
with the results so far, so a worker stopped at its deadline still answers for those.
A seed's stream arguments (a list marked under "streams", see _capture_plugin.replay)
stay lists while they grow and are fresh generators in each call; the inputs written
from that seed keep the mark.
"""

from __future__ import annotations

import copy
import functools
import gc
import importlib.util
import inspect
import io
import json
import os
import pickle
import random
import signal
import sys
import time
import types
import typing

# functions.STRATEGIES (this file imports nothing of perfopt)
STRATEGIES = ("sorted", "reverse", "equal", "few", "distinct", "grow_ints")
REPEATS = 5
REPEAT_UNDER_S = 0.25  # calls are repeated (min taken) only while their total is below this


# the current seed's stream marks (keyed by argument) and the capture plugin's replay
_STREAMS: dict = {"marks": {}, "replay": None}


def _load(path: str, name: str):  # noqa: ANN202 - a module object
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_values = _load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "_fn_values.py"),
                "_perfopt_fn_values")
transform, measure, describe = _values.transform, _values.measure, _values.describe
MAX_ELEMENTS = _values.MAX_ELEMENTS


def _plugin(path: str):  # noqa: ANN202
    module = _load(path, "_perfopt_resolve")
    _STREAMS["replay"] = module.replay
    return module


def _blob(args: tuple, kwargs: dict) -> bytes:
    """An input as a case file; the current seed's streams stay marked."""
    data = {"args": args, "kwargs": kwargs}
    if _STREAMS["marks"]:
        data["streams"] = _STREAMS["marks"]
    return pickle.dumps(data, pickle.HIGHEST_PROTOCOL)


def _reply(results: list) -> None:
    """The results line, on a copy of the stdout descriptor taken at start: a target that
    closes or replaces sys.stdout cannot lose it."""
    os.write(_OUT, (json.dumps({"results": results}) + "\n").encode())


class TooSlow(BaseException):  # noqa: N818
    """A call ran past its limit (raised from a timer signal; a BaseException, so the
    target's own `except Exception` does not swallow it)."""


def _alarm(signum, frame):  # noqa: ANN001, ANN202
    raise TooSlow


def _within(limit_s: float | None, fn):  # noqa: ANN001, ANN202
    """fn() stopped by TooSlow past `limit_s` (None: no limit; POSIX timers, elsewhere
    unbounded)."""
    timer = limit_s if hasattr(signal, "setitimer") else None
    if timer is not None:
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timer)
    try:
        return fn()
    finally:
        if timer is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)


def _timed(func, args: tuple, kwargs: dict) -> float:  # noqa: ANN001
    started = time.perf_counter()
    result = func(*args, **kwargs)
    if isinstance(result, types.GeneratorType):  # its items are the work
        for _ in result:
            pass
    return time.perf_counter() - started


def _copied(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Fresh copies of a call's arguments: a callee that mutates them leaves the next
    call's alone. A pickle round trip (15 ms against deepcopy's 64 ms for a list of 200,000
    ints, five copies per job: half of a six-job request's 4.8 s went to deepcopy),
    deepcopy for what does not pickle."""
    try:
        args, kwargs = pickle.loads(pickle.dumps((args, kwargs), pickle.HIGHEST_PROTOCOL))
    except Exception:  # noqa: BLE001 - any object's own __reduce__ may fail
        args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    if _STREAMS["marks"]:  # each stream a fresh generator over its items
        return _STREAMS["replay"]({"args": args, "kwargs": kwargs, "streams": _STREAMS["marks"]})
    return args, kwargs


def time_call(func, args: tuple, kwargs: dict, limit_s: float | None = None) -> float:  # noqa: ANN001
    """Seconds of one call on copies of the arguments (the min of a few while cheap).
    With `limit_s` (POSIX), a call still running then is interrupted: TooSlow."""
    cost, spent = float("inf"), 0.0
    for _ in range(REPEATS):  # fast calls: the min of a few, timer noise is large
        call_args, call_kwargs = _copied(args, kwargs)
        gc.collect()  # as timeit does: no collection of the copies mid-call
        gc.disable()
        try:
            once = _within(limit_s, functools.partial(_timed, func, call_args, call_kwargs))
        finally:
            gc.enable()
        cost, spent = min(cost, once), spent + once
        if spent > REPEAT_UNDER_S:
            break
    return cost


def _hint_strategy(func):  # noqa: ANN001, ANN202
    """Hypothesis strategy of (args, kwargs) from the type hints of the required
    parameters (those with defaults keep them)."""
    from hypothesis import strategies as st

    hints = typing.get_type_hints(func)
    parts = []
    for name, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is not param.empty:
            continue
        if name not in hints:
            raise TypeError(f"parameter {name} has no type hint and no captured call")
        parts.append(st.from_type(hints[name]))
    return st.tuples(st.tuples(*parts), st.just({}))


def _plan_strategy(seed: tuple[tuple, dict], factors: list[float]):  # noqa: ANN202
    """Hypothesis strategy of a variant plan of one seed: a size factor among those the
    sweep reached, a value strategy per argument, a random seed. The plan is small (so
    Hypothesis can search it); `transform` grows it into the real arguments."""
    from hypothesis import strategies as st

    count = len(seed[0]) + len(seed[1])
    return st.tuples(st.sampled_from(factors),
                     st.tuples(*[st.sampled_from(("random", *STRATEGIES))] * count),
                     st.integers(0, 2**32 - 1))


def search(func, seeds: list, spec: dict) -> list[dict]:  # noqa: ANN001
    """Hypothesis's targeted search (`hypothesis.target`) for costly calls: from the type
    hints (`spec["seed"]` < 0: valid argument sets, the largest kept) or over variant plans
    of one seed (the costliest within max_call_s kept). Each kept input is pickled to the
    next of `spec["outs"]`."""
    hinted = spec["seed"] < 0
    try:
        strategy = (_hint_strategy(func) if hinted
                    else _plan_strategy(seeds[spec["seed"]], spec["factors"]))
    except ImportError:
        return [_NO_HYPOTHESIS]
    except Exception as exc:  # a parameter with no hint, a hint with no strategy
        return [{"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}]

    def build(drawn):  # noqa: ANN001, ANN202
        if hinted:
            args, kwargs = drawn
            return args, kwargs, "hypothesis from type hints"
        factor, strategies, rng_seed = drawn
        rng = random.Random(rng_seed)
        base_args, base_kwargs = seeds[spec["seed"]]
        how = iter(strategies)
        args = tuple(transform(a, factor, next(how), rng) for a in base_args)
        kwargs = {k: transform(v, factor, next(how), rng) for k, v in base_kwargs.items()}
        return args, kwargs, f"hypothesis target: x{factor:g} {','.join(strategies)}"

    found = _Found(len(spec["outs"]) * 4)
    errors: list[str] = []
    _targeted(func, strategy, build, spec, found, errors, by_size=hinted)
    return found.write(spec["outs"], errors)


_NO_HYPOTHESIS_ERROR = ("hypothesis is not installed for this interpreter"
                        " (pip install hypothesis): no generated inputs")
_NO_HYPOTHESIS = {"ok": False, "error": _NO_HYPOTHESIS_ERROR}


class _Found:
    """The best inputs so far: (rank, cost, size, pickled arguments, note), best first."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.items: list[tuple[float, float, int, bytes, str]] = []

    def add(self, rank: float, cost: float, size: int, blob: bytes, note: str) -> None:
        self.items.append((rank, cost, size, blob, note))
        self.items.sort(key=lambda f: -f[0])
        del self.items[self.room:]

    def write(self, outs: list[str], errors: list[str]) -> list[dict]:
        """Each distinct input to the next of `outs`; one result per input written."""
        results: list[dict] = []
        kept: set[bytes] = set()
        for _rank, cost, size, blob, note in self.items:
            if blob in kept or len(kept) >= len(outs):
                continue
            with open(outs[len(kept)], "wb") as fh:
                fh.write(blob)
            kept.add(blob)
            results.append({"ok": True, "cost": cost, "size": size, "note": note})
        if not results:
            results.append({"ok": False, "error": errors[0] if errors else "no input found"})
        return results


def _targeted(func, strategy, build, spec: dict, found: _Found, errors: list[str],  # noqa: ANN001
              by_size: bool = False, score=None) -> None:  # noqa: ANN001
    """Hypothesis's targeted search: `build(drawn) -> (args, kwargs, note)`, the call timed
    (stopped past max_call_s: no reward), `hypothesis.target` on its cost, or on
    `score(cost, args, kwargs) -> (value, note)`. Examples stop being tried at the deadline;
    the inputs that fit go to `found`, ranked by size (`by_size`) or by what was targeted."""
    try:
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings, target
    except ImportError:
        errors.insert(0, _NO_HYPOTHESIS_ERROR)
        return
    deadline = time.monotonic() + spec["budget_s"]
    max_call_s = spec["max_call_s"]

    @settings(max_examples=spec["examples"], deadline=None, database=None, derandomize=True,
              phases=(Phase.generate, Phase.target), suppress_health_check=list(HealthCheck),
              verbosity=Verbosity.quiet)
    @given(strategy)
    def probe(drawn) -> None:  # noqa: ANN001
        if time.monotonic() > deadline:
            return
        try:
            args, kwargs, note = build(drawn)
            blob = _blob(args, kwargs)
            cost = time_call(func, args, kwargs, limit_s=max_call_s)
        except TooSlow:  # too slow for a suite that is re-run often: no reward
            target(0.0, label="cost")
            return
        except Exception as exc:  # an input the function refuses: not a valid input
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
            return
        size = measure((args, kwargs))
        fits = cost <= max_call_s  # (where no timer could stop the call)
        value, extra = score(cost, args, kwargs) if score is not None else (cost, "")
        target(value if fits else 0.0, label="cost")
        if fits:
            found.add(size if by_size else value, cost, size, blob, note + extra)

    try:
        probe()
    except Exception as exc:  # a strategy Hypothesis cannot draw from: say which
        errors.insert(0, f"hypothesis: {type(exc).__name__}: {exc}"[:300])


def model_search(func, spec: dict) -> list[dict]:  # noqa: ANN001
    """The model's stress code (after WEDGE): `generate(size, rng) -> (args, kwargs)` and
    CONDITIONS, predicates over (args, kwargs). Sizes 1, 2, 4... until a call costs
    target_call_s (or the generator or the function gives up), then Hypothesis's targeted
    search over (size reached, rng seed) for the highest score: cost x (1 + bonus x share
    of the conditions met), the reward of reaching the conditions. The code is the model's:
    it runs here, in the sandboxed child, never in perfopt."""
    namespace: dict = {"__name__": "perfopt_stress_code"}
    try:
        exec(compile(spec["code"], "<model stress code>", "exec"), namespace)  # noqa: S102
        generate = namespace["generate"]
        conditions = [(str(k), v) for k, v in dict(namespace.get("CONDITIONS") or {}).items()
                      if callable(v)]
    except Exception as exc:  # noqa: BLE001 - the model's code may raise anything
        return [{"ok": False, "error": f"the model's stress code does not load: "
                                       f"{type(exc).__name__}: {exc}"[:300]}]
    limit_s, bonus = spec["max_call_s"], spec["bonus"]

    def call_of(size: int, seed: int) -> tuple[tuple, dict]:
        made = _within(limit_s, lambda: generate(size, random.Random(seed)))
        if not (isinstance(made, (tuple, list)) and len(made) == 2 and isinstance(
                made[0], (tuple, list)) and isinstance(made[1], dict)):
            raise TypeError(f"generate returned {type(made).__name__}, not (args, kwargs)")
        return tuple(made[0]), dict(made[1])

    def met(predicate, args: tuple, kwargs: dict) -> bool:  # noqa: ANN001
        try:
            return bool(_within(limit_s, lambda: predicate(args, kwargs)))
        except BaseException:  # noqa: BLE001 - a failing or endless predicate is not met
            return False

    def score(cost: float, args: tuple, kwargs: dict) -> tuple[float, str]:
        hits = [met(p, args, kwargs) for _, p in conditions]
        share = sum(hits) / len(hits) if hits else 0.0
        return cost * (1 + bonus * share), (
            f"; meets {sum(hits)}/{len(hits)} model conditions" if hits else "")

    found, errors, sizes = _Found(len(spec["outs"]) * 4), [], []
    deadline = time.monotonic() + spec["budget_s"]
    size = 1
    while size <= MAX_ELEMENTS and time.monotonic() < deadline:  # the model's size ladder
        try:
            args, kwargs = call_of(size, size)
            blob = _blob(args, kwargs)
            cost = time_call(func, args, kwargs, limit_s=limit_s)
        except TooSlow:
            break
        except Exception as exc:  # noqa: BLE001 - a generator or call that fails
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
            break
        value, extra = score(cost, args, kwargs)
        found.add(value, cost, measure((args, kwargs)), blob, f"model: size={size}{extra}")
        sizes.append(size)
        if cost >= spec["target_call_s"]:
            break
        size *= 4 if cost < spec["target_call_s"] / 16 else 2
    left = deadline - time.monotonic()
    if sizes and left > 0.5:
        from_model = {**spec, "budget_s": left}

        def build(drawn):  # noqa: ANN001, ANN202
            size, seed = drawn
            args, kwargs = call_of(size, seed)
            return args, kwargs, f"model: size={size} seed={seed}"

        try:
            from hypothesis import strategies as st
        except ImportError:
            pass  # the ladder's inputs are kept
        else:
            strategy = st.tuples(st.sampled_from(sorted({*sizes, int(sizes[-1] * 1.5)})),
                                 st.integers(0, 2**32 - 1))
            _targeted(func, strategy, build, from_model, found, errors, score=score)
    return found.write(spec["outs"], errors)


_OUT = 1  # the descriptor results go to (main takes a copy of stdout's)


class _Sink(io.TextIOBase):
    """The target's stdout: what it prints is dropped, and closing it (a CLI entry point
    closes sys.stdout) does not break its next call."""

    def write(self, text: str) -> int:
        return len(text)

    def close(self) -> None:
        return None


def main() -> int:
    global _OUT
    _OUT = os.dup(1)
    sys.stdout = _Sink()
    request = json.loads(sys.stdin.read())
    sys.path.insert(0, ".")
    func = _plugin(request["resolver"]).resolve_callable(request["module"], request["path"])
    seeds, marks = [], []
    for path in request["seeds"]:
        with open(path, "rb") as fh:
            data = pickle.load(fh)
        seeds.append((tuple(data["args"]), dict(data["kwargs"])))
        marks.append(data.get("streams") or {})
    if "search" in request:  # Hypothesis: one search, its best inputs as the results
        spec = {**request["search"], "max_call_s": request["max_call_s"]}
        _STREAMS["marks"] = marks[spec["seed"]] if spec["seed"] >= 0 else {}
        _reply(search(func, seeds, spec))
        return 0
    if "model" in request:  # the model's generator and conditions
        _reply(model_search(func, {**request["model"], "max_call_s": request["max_call_s"]}))
        return 0
    if "describe" in request:  # the seeds' shapes, for the model's prompt
        _reply([{"ok": True, "shape": "(" + ", ".join(
            [("stream: " if i in m else "") + describe(a) for i, a in enumerate(args)]
            + [f"{k}={'stream: ' if k in m else ''}{describe(v)}" for k, v in kwargs.items()]
        ) + ")"} for (args, kwargs), m in zip(seeds, marks)])  # noqa: B905 - 3.8
        return 0
    results, cap = [], request.get("max_elements", MAX_ELEMENTS)
    for job in request["jobs"]:
        rng = random.Random(job["rng"])
        _STREAMS["marks"] = marks[job["seed"]]
        try:
            if job["strategy"] == "as-is":  # the seed's own cost
                args, kwargs = seeds[job["seed"]]
            else:
                base_args, base_kwargs = seeds[job["seed"]]
                # each argument grows, never the argument list itself
                args = tuple(transform(a, job["factor"], job["strategy"], rng, cap=cap)
                             for a in base_args)
                kwargs = {k: transform(v, job["factor"], job["strategy"], rng, cap=cap)
                          for k, v in base_kwargs.items()}
            blob = _blob(args, kwargs)
            if len(blob) > request.get("max_bytes", len(blob)):  # a file the suite keeps
                raise MemoryError(f"the input pickles to {len(blob)} bytes")
            # a seed's own cost is what it is; a variant past max_call_s is no use
            limit = None if job["strategy"] == "as-is" else request.get("max_call_s")
            cost = time_call(func, args, kwargs, limit_s=limit)
        except TooSlow:
            results.append({"ok": False, "too_slow": True,
                            "error": f"slower than {request['max_call_s']} s"})
        except Exception as exc:  # the variant broke the function: not a valid input
            results.append({"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]})
        else:
            with open(job["out"], "wb") as fh:
                fh.write(blob)
            results.append({"ok": True, "cost": cost, "size": measure((args, kwargs))})
        # the results so far after every job: a worker stopped at its deadline keeps them
        _reply(results)
    if not results:
        _reply(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
