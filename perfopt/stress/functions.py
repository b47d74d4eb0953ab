"""Stress inputs for one function, grown from its captured calls (or its type hints).

Seeds are the captured calls; with none, Hypothesis draws valid argument sets from the
type hints (`st.from_type`; the largest that return are kept, provenance "hinted").
Every seed call is re-made with its collections 2x, 4x, 8x... longer (values resampled
from the seed, so types and ranges stay real) until one call costs `target_call_s`: the
size sweep, which gives an empirical exponent. With a model, its search comes next (see
below). At the sweep's costliest size each value strategy is tried once (provenance
"scaled"); then Hypothesis's targeted search
(`hypothesis.target` on the call's cost) explores variant plans of the costliest seed:
a size factor the sweep reached, a value strategy per argument (random, sorted, reversed,
all equal, few distinct, distinct, larger ints), a random seed; the costliest plans within
`max_call_s` join the suite (provenance "hypothesis"). With a model (after WEDGE), it is
shown the function and its seeds' shapes (never their values) and answers with
performance-characterizing conditions, predicates over a call's arguments, and a generator
of calls meeting them; the worker walks the generator's sizes, then Hypothesis searches its
(size, seed) space for the highest cost x (1 + bonus x share of conditions met), so reaching
the conditions is rewarded (provenance "model"). Last, with `compare_call_s`, the
comparison's own sweep: the kept plans grown past the stress sizes until one call of the
original costs `compare_call_s` (provenance "compare": compared, never timed). All of it
runs in a child process (`_fn_worker.py`): unpickling seeds and calling the target run
project code, and the model's code is no more trusted than that.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from perfopt.errors import TargetError
from perfopt.interpreter import tree_env
from perfopt.languages.python import callable_path, definitions, module_name
from perfopt.models import StressCase, StressSuite, Target
from perfopt.profilers import _capture_plugin
from perfopt.stress.conditions import CONDITION_BONUS
from perfopt.stress.sweep import fit_exponent
from perfopt.verify import sandbox
from perfopt.verify.jail import Jail

STRATEGIES = ("sorted", "reverse", "equal", "few", "distinct", "grow_ints")
MAX_FACTOR = 1 << 16
MIN_FIT_COST_S = 1e-4  # below this, call overhead and timer noise bend the fit
SEEDS_SCALED = 2  # the largest seeds are the ones grown
STEP_BISECTIONS = 2  # sizes tried between a strategy's largest fit and its smallest too slow
SEARCH_EXAMPLES = 24  # Hypothesis examples per search (its hill-climbing starts at half)
SEARCH_SHARE = 0.6  # of the time left after the sweep, what the plan search may use...
SEARCH_MAX_S = 8.0  # ...up to this
KEPT_SEARCHED = 3  # the costliest searched inputs kept
KEPT_MODEL = 2  # the model's best-scoring inputs kept (met conditions: kept even if cheaper)
DESCRIBE_S = 20.0  # the worker's time to load the seeds and say their shapes
COMPARE_LADDERS = 3  # plans grown for the comparison: the random sweep's, 2 costliest others
COMPARE_STOP = 2.0  # a compare-sweep call past this many compare_call_s is stopped
COMPARE_MAX_ELEMENTS = 1_000_000  # a compare input's collections stop growing here...
COMPARE_MAX_BYTES = 64 * 1024 * 1024  # ...and its pickle here: bounded memory and disk
_WORKER = Path(__file__).with_name("_fn_worker.py")


@dataclass(frozen=True)
class FunctionStressOptions:
    budget_s: float = 30.0
    target_call_s: float = 0.2  # stop growing once one call costs this much
    max_call_s: float = 2.0  # a costlier variant stays out of the suite
    memory_mb: int = 4096
    compare_call_s: float = 0.0  # compare-only sweep: grow until a call costs this (0: none)
    compare_budget_s: float = 10.0  # the compare-only sweep's own time
    # the worker runs project code on inputs and the model's generator: jailed, with only
    # the suite's folder writable (None: unconfined)
    jail: Jail | None = None


@dataclass(frozen=True)
class _Point:
    seed: int
    factor: float
    strategy: str
    cost: float
    size: int
    file: str
    note: str = ""


class _Runner:
    def __init__(self, root: Path, module: str, path: str, seeds: list[Path], out: Path,
                 python: str, options: FunctionStressOptions, deadline: float) -> None:
        self.root, self.module, self.path, self.seeds = root, module, path, seeds
        self.out, self.python, self.options, self.deadline = out, python, options, deadline
        self.count = 0
        self.errors: list[str] = []
        self.storage = out / ".hypothesis"  # removed when the suite is done
        self.complexity: float | None = None
        self.model_code: str | None = None
        self.too_slow: list[tuple[int, float, str]] = []  # jobs stopped past max_call_s
        self.kept: list[_Point] = []  # the generated points the suite keeps

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, jobs: list[tuple[int, float, str]], caps: dict | None = None
            ) -> list[_Point]:
        """Each (seed index, factor, strategy) once; the variants that returned. `caps`:
        the request's own max_call_s, max_elements, max_bytes (see _fn_worker)."""
        if self.left() < 1 or not jobs:
            return []
        specs, files = [], []
        for seed, factor, strategy in jobs:
            files.append(self._name("scaled"))
            specs.append({"seed": seed, "factor": factor, "strategy": strategy,
                          "rng": self.count, "out": str(self.out / files[-1])})
        call_s = (caps or {}).get("max_call_s", self.options.max_call_s)
        results = self._ask({"jobs": specs, **(caps or {})},
                            min(self.left(), call_s * 4 + 5 * len(jobs)))
        points = []
        for (seed, factor, strategy), name, result in zip(jobs, files, results, strict=False):
            if result["ok"]:
                points.append(_Point(seed, factor, strategy, result["cost"], result["size"],
                                     name))
            elif result.get("too_slow"):
                self.too_slow.append((seed, factor, strategy))
            else:
                self.errors.append(result["error"])
        return points

    def search(self, seed: int, factors: list[float], budget_s: float, keep: int,
               prefix: str = "hypothesis") -> list[_Point]:
        """Hypothesis's targeted search over one seed's variant plans (or, with seed -1,
        over the type hints); the best inputs it kept, costliest (or largest) first."""
        spec = {"seed": seed, "factors": factors}
        return self._searched("search", spec, budget_s, keep, prefix, seed,
                              max(factors, default=1.0))

    def model_search(self, budget_s: float, keep: int) -> list[_Point]:
        """The model's generator walked up in size, then searched for the best score."""
        if not self.model_code:
            return []
        spec = {"code": self.model_code, "bonus": CONDITION_BONUS,
                "target_call_s": self.options.target_call_s}
        return self._searched("model", spec, budget_s, keep, "model", -1, 1.0)

    def _searched(self, kind: str, spec: dict, budget_s: float, keep: int, prefix: str,
                  seed: int, factor: float) -> list[_Point]:
        if self.left() < 2:
            return []
        names = [self._name(prefix) for _ in range(keep)]
        spec = {**spec, "examples": SEARCH_EXAMPLES, "budget_s": max(0.5, budget_s - 1.0),
                "outs": [str(self.out / n) for n in names]}
        # the search's last example may start just before its deadline: a call's worth more
        results = self._ask({kind: spec}, min(self.left(), budget_s +
                                              self.options.max_call_s * 3 + 5))
        points = []
        for name, result in zip(names, results, strict=False):
            if result["ok"]:
                points.append(_Point(seed, factor, kind if kind == "model" else "hypothesis",
                                     result["cost"], result["size"], name, result["note"]))
            else:
                self.errors.append(("model: " if kind == "model" else "") + result["error"])
        return points

    def describe(self) -> str:
        """The seeds' shapes (`list of 8 (int in 1..9)`), one line each, for the model."""
        if not self.seeds:
            return "(no captured call: the signature is all there is)"
        results = self._ask({"describe": True}, DESCRIBE_S)
        shapes = [r["shape"] for r in results if r.get("ok")]
        return "\n".join(f"- a real call: {shape}" for shape in shapes) or "(unknown)"

    def _name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}-{self.count}.pkl"

    def _ask(self, body: dict, timeout_s: float) -> list[dict]:
        request = {"resolver": _capture_plugin.__file__, "module": self.module,
                   "path": self.path, "seeds": [str(p) for p in self.seeds],
                   "max_call_s": self.options.max_call_s, **body}
        # Hypothesis keeps caches in a storage folder: ours, never the project's
        # the project's interpreter with the tree's src/ and root first on PYTHONPATH
        env = tree_env(self.root, self.python, sandbox.scrubbed_env(
            {"HYPOTHESIS_STORAGE_DIRECTORY": str(self.storage)}))
        proc = sandbox.run([self.python, str(_WORKER)], cwd=self.root,
                           timeout_s=max(1.0, timeout_s), memory_mb=self.options.memory_mb,
                           env=env, stdin=json.dumps(request),
                           jail=self.options.jail and self.options.jail.allowing(self.out))
        # the last whole results line: a worker stopped at its deadline may have printed
        # some jobs' results, and may have been cut off in the middle of a line
        for line in reversed(proc.stdout.splitlines()):
            if line.startswith('{"results"'):
                try:
                    return json.loads(line)["results"]
                except ValueError:
                    continue
        self.errors.append(proc.tail(3) or "worker timed out")
        return []


def stress_function(
    root: Path,
    target: Target,
    seeds: StressSuite,
    out_dir: Path,
    budget_s: float = 30,
    python: str = sys.executable,
    *,
    options: FunctionStressOptions | None = None,
    model: Callable[[str], str | None] | None = None,
) -> StressSuite:
    """Seeds plus scaled and strategy variants that make `target` costlier. `model`, given
    the seeds' shapes, answers with the model's stress code (or None); it is asked before
    the budget starts, so the endpoint's latency is not stress time."""
    options = options or FunctionStressOptions(budget_s=budget_s)
    root, out_dir = Path(root).resolve(), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    if target.qualname is None:
        raise TargetError(f"{target.file} is a whole program: use stress_program")
    source = (root / target.file).read_text(encoding="utf-8")
    path = callable_path(target.qualname, definitions(source))
    seed_folder = Path(seeds.folder)
    cases = []
    for case in seeds.cases:  # the seeds stay: they are what the workload really passes
        shutil.copyfile(seed_folder / case.payload, out_dir / case.payload)
        cases.append(case)
    by_size = sorted(seeds.cases, key=lambda c: -(seed_folder / c.payload).stat().st_size)
    seed_files = [seed_folder / c.payload for c in by_size[:SEEDS_SCALED]]
    runner = _Runner(root, module_name(target.file), path, seed_files, out_dir, python,
                     options, time.monotonic() + options.budget_s)
    if model is not None:
        runner.model_code = model(runner.describe())
        runner.deadline = time.monotonic() + options.budget_s
    try:
        cases.extend(_grow(runner, cases, by_size, seed_files))
        cases.extend(_compare_sweep(runner))
    finally:
        shutil.rmtree(runner.storage, ignore_errors=True)
    complexity = runner.complexity
    kept_files = {c.payload for c in cases}
    for stale in out_dir.glob("*.pkl"):
        if stale.name not in kept_files:  # variants tried but not kept
            stale.unlink(missing_ok=True)
    note = "; ".join(dict.fromkeys(runner.errors))[:500]
    if note and not any(c.provenance in ("sweep", "scaled", "hypothesis", "model")
                        for c in cases):
        cases = [*cases[:-1], _noted(cases[-1], note)] if cases else []
    return StressSuite(target=target, cases=tuple(cases), folder=str(out_dir),
                       complexity=complexity, unpicklable=seeds.unpicklable)


def _grow(runner: _Runner, cases: list[StressCase], by_size: list[StressCase],
          seed_files: list[Path]) -> list[StressCase]:
    """Seed costs (set on `cases` in place), hint seeds when nothing was captured, the
    size sweep (its exponent left on runner.complexity), the model's search when there is
    one, the value strategies at the sweep's best size, then the targeted search over the
    costliest seed's plans."""
    options, out_dir = runner.options, runner.out
    runner.complexity = None
    new: list[StressCase] = []
    if seed_files:  # the seeds' own costs: what a slowdown is measured against
        for point in runner.run([(i, 1.0, "as-is") for i in range(len(seed_files))]):
            (out_dir / point.file).unlink(missing_ok=True)  # a copy of the seed
            at = next(i for i, c in enumerate(cases) if c is by_size[point.seed])
            cases[at] = dataclasses.replace(cases[at], cost=point.cost)
    else:  # nothing captured: Hypothesis draws valid calls from the type hints
        hinted = runner.search(-1, [1.0], min(10.0, runner.left() / 4), SEEDS_SCALED,
                               prefix="hinted")
        for point in hinted:
            new.append(StressCase(Path(point.file).stem, "hinted", point.file,
                                  point.size, point.cost, point.note))
        runner.seeds = [out_dir / p.file for p in hinted]
    sweep: list[_Point] = []
    for index in range(len(runner.seeds)):
        sweep.extend(_ladder(runner, index))
    best = max((p for p in sweep if p.cost <= options.max_call_s), key=lambda p: p.cost,
               default=None)
    # the model's conditions and generator, when there is a model (with or without seeds):
    # before the value strategies, whose calls at the sweep's largest size can spend the
    # budget on a loaded machine (CI saw no time left for the model after them)
    modeled = runner.model_search(min(SEARCH_MAX_S, runner.left() * SEARCH_SHARE), KEPT_MODEL)
    searched: list[_Point] = []
    if best is not None:  # each value strategy once at the sweep's best size...
        searched = runner.run([(best.seed, best.factor, s) for s in STRATEGIES])
        searched += _step_down(runner, best, sorted({p.factor for p in sweep
                                                     if p.seed == best.seed}))
        # ...then Hypothesis's targeted search over sizes, strategies per argument, seeds
        # every size the sweep reached: a value strategy (all equal, sorted...) can make
        # a smaller input costlier than the sweep's largest random one
        factors = sorted({p.factor for p in sweep if p.seed == best.seed}
                         | {best.factor * 1.5})
        searched += runner.search(best.seed, factors,
                                  min(SEARCH_MAX_S, runner.left() * SEARCH_SHARE), KEPT_SEARCHED)
    if sweep:
        first = min(p.seed for p in sweep)
        line = [p for p in sweep if p.seed == first]
        timed = [p for p in line if p.cost >= MIN_FIT_COST_S]
        runner.complexity = fit_exponent([p.size for p in timed], [p.cost for p in timed])
    runner.kept = _keep(sweep, searched, options.max_call_s)
    for point in runner.kept + modeled:
        provenance = {"random": "sweep", "hypothesis": "hypothesis",
                      "model": "model"}.get(point.strategy, "scaled")
        new.append(StressCase(
            id=Path(point.file).stem, provenance=provenance, payload=point.file,
            size=point.size, cost=point.cost,
            note=point.note if point.strategy == "model"
            else f"seed {point.seed}: {point.note}" if point.note
            else f"seed {point.seed} x{point.factor:g} {point.strategy}"))
    return new


def _noted(case: StressCase, note: str) -> StressCase:
    return StressCase(case.id, case.provenance, case.payload, case.size, case.cost,
                      f"stress: {note}")


def _ladder(runner: _Runner, seed: int) -> list[_Point]:
    """Doubling sizes of one seed until a call costs target_call_s (or stops working)."""
    points: list[_Point] = []
    factor = 1.0
    while factor <= MAX_FACTOR and runner.left() > 1:
        got = runner.run([(seed, factor, "random")])
        if not got:
            break
        point = got[0]
        if points and point.size <= points[-1].size:
            break  # nothing in the arguments grows: more factor is the same input
        points.append(point)
        if point.cost >= runner.options.target_call_s:
            break
        factor *= 4 if point.cost < runner.options.target_call_s / 16 else 2
    return points


def _step_down(runner: _Runner, best: _Point, factors: list[float]) -> list[_Point]:
    """A strategy too slow at the sweep's best size (all values equal on a quadratic in
    the groups of equal values) is tried at the sweep's smaller sizes: its largest size
    that fits max_call_s may cost far more than the sweep's best. A bisection over those
    sizes (a call too slow costs max_call_s, one that fits less), then, as the sweep's
    sizes grow up to 4x at a time, over the sizes between the largest that fits and the
    smallest too slow (STEP_BISECTIONS geometric middles)."""
    found: list[_Point] = []
    ladder = sorted(f for f in factors if f < best.factor)
    for strategy in dict.fromkeys(s for seed, f, s in runner.too_slow
                                  if seed == best.seed and f == best.factor):
        low, high = -1, len(ladder)  # indices: largest known fit, smallest known too slow
        failed = False
        while high - low > 1 and not failed:
            middle = (low + high) // 2
            got = _fits(runner, best.seed, ladder[middle], strategy)
            if got is None and runner.left() < runner.options.max_call_s + 1:
                return found
            failed = got is None
            found += got or []
            low, high = (middle, high) if got else (low, middle)
        if low < 0 or failed:
            continue
        fit, slow = ladder[low], ladder[high] if high < len(ladder) else best.factor
        for _ in range(STEP_BISECTIONS):
            middle = round((fit * slow) ** 0.5)
            if not fit < middle < slow:
                break
            got = _fits(runner, best.seed, middle, strategy)
            if got is None:
                break
            found += got
            fit, slow = (middle, slow) if got else (fit, middle)
    return found


def _fits(runner: _Runner, seed: int, factor: float, strategy: str) -> list[_Point] | None:
    """The variant's point when it fits max_call_s, [] when it is too slow, None when it
    fails otherwise or the budget cannot pay for a call that may run max_call_s."""
    if runner.left() < runner.options.max_call_s + 1:
        return None
    before = len(runner.too_slow)
    got = runner.run([(seed, factor, strategy)])
    if got:
        return got
    return [] if len(runner.too_slow) > before else None


def _keep(sweep: list[_Point], variants: list[_Point], max_call_s: float) -> list[_Point]:
    """The three largest sweep points per seed, then the three costliest variants (scaled
    or searched) that cost more than the best sweep point."""
    kept: list[_Point] = []
    for seed in sorted({p.seed for p in sweep}):
        kept.extend([p for p in sweep if p.seed == seed and p.cost <= max_call_s][-3:])
    top = max((p.cost for p in kept), default=0.0)
    kept.extend(sorted((v for v in variants if top < v.cost <= max_call_s),
                       key=lambda v: -v.cost)[:3])
    return kept


def _compare_sweep(runner: _Runner) -> list[StressCase]:
    """Compare-only inputs (provenance "compare"): up to COMPARE_LADDERS plans (the largest
    random one kept, "distinct" whether kept or not, then the costliest other kept
    strategy) grown 2x a step (4x while cheap), all in step, until one call of the original
    costs `compare_call_s`, a call is stopped (COMPARE_STOP), the size caps hold it or
    `compare_budget_s` is spent; each plan's last input that grew joins the suite. The
    harness compares candidates on them; no clock times them. Why: the stress sizes stop
    where stress_call_s does, and a rewrite wrong only on larger results passed (a dedupe
    dropping its last item above 5,000 results was accepted at 184x: the suite's largest
    result held 4,500 items). "distinct" always: random growth keeps the seed's values, so
    only distinct values make large results (sets, dedupes, dict building)."""
    options = runner.options
    if options.compare_call_s <= 0:
        return []
    plans: dict[str, _Point] = {}  # value strategy -> its largest kept point
    for p in runner.kept:
        if p.strategy in ("random", *STRATEGIES) and (
                p.strategy not in plans or (p.size, p.cost) > (plans[p.strategy].size,
                                                               plans[p.strategy].cost)):
            plans[p.strategy] = p
    if not plans:
        return []
    if "distinct" not in plans:  # from the seed's own size (factor 0.25 x 4 = 1) upwards
        seed = plans["random"].seed if "random" in plans else next(iter(plans.values())).seed
        plans["distinct"] = _Point(seed, 0.25, "distinct", 0.0, 0, "")
    order = sorted(plans.values(), key=lambda p: (p.strategy != "random",
                                                   p.strategy != "distinct", -p.cost))
    live = {p.strategy: p for p in order[:COMPARE_LADDERS]}
    caps = {"max_call_s": COMPARE_STOP * options.compare_call_s,
            "max_elements": COMPARE_MAX_ELEMENTS, "max_bytes": COMPARE_MAX_BYTES}
    reached: dict[str, _Point] = {}
    runner.deadline = time.monotonic() + options.compare_budget_s
    while live and runner.left() > 1:
        jobs = [(p.seed, p.factor * (4 if p.cost < options.compare_call_s / 16 else 2), s)
                for s, p in live.items()]
        got = {p.strategy: p for p in runner.run(jobs, caps)}
        for strategy, last in list(live.items()):
            point = got.get(strategy)
            if point is None or point.size <= last.size:  # stopped, failed or capped
                del live[strategy]
                continue
            live[strategy] = reached[strategy] = point
            if point.cost >= options.compare_call_s:
                del live[strategy]
    return [StressCase(id=Path(p.file).stem, provenance="compare", payload=p.file,
                       size=p.size, cost=p.cost,
                       note=f"seed {p.seed} x{p.factor:g} {p.strategy}; compared, not timed")
            for p in reached.values()]
