"""Stress inputs for one function, grown from its captured calls (or its type hints).

Every seed call is re-made with its collections 2x, 4x, 8x... longer (values resampled
from the seed, so types and ranges stay real) until one call costs `target_call_s`; then
value strategies (sorted, reversed, all equal, few distinct, distinct, larger ints) are
tried at that size. All of it runs in a child process (`_fn_worker.py`): unpickling seeds
and calling the target run project code. The size sweep gives an empirical exponent.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from perfopt.errors import TargetError
from perfopt.languages.python import callable_path, definitions, module_name
from perfopt.models import StressCase, StressSuite, Target
from perfopt.profilers import _capture_plugin
from perfopt.stress.sweep import fit_exponent
from perfopt.verify import sandbox

STRATEGIES = ("sorted", "reverse", "equal", "few", "distinct", "grow_ints")
MAX_FACTOR = 1 << 16
MIN_FIT_COST_S = 1e-4  # below this, call overhead and timer noise bend the fit
SEEDS_SCALED = 2  # the largest seeds are the ones grown
_WORKER = Path(__file__).with_name("_fn_worker.py")


@dataclass(frozen=True)
class FunctionStressOptions:
    budget_s: float = 30.0
    target_call_s: float = 0.2  # stop growing once one call costs this much
    max_call_s: float = 2.0  # a costlier variant stays out of the suite
    memory_mb: int = 4096


@dataclass(frozen=True)
class _Point:
    seed: int
    factor: float
    strategy: str
    cost: float
    size: int
    file: str


class _Runner:
    def __init__(self, root: Path, module: str, path: str, seeds: list[Path], out: Path,
                 python: str, options: FunctionStressOptions, deadline: float) -> None:
        self.root, self.module, self.path, self.seeds = root, module, path, seeds
        self.out, self.python, self.options, self.deadline = out, python, options, deadline
        self.count = 0
        self.errors: list[str] = []

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, jobs: list[tuple[int, float, str]]) -> list[_Point]:
        """Each (seed index or -1, factor, strategy) once; the variants that returned."""
        if self.left() < 1 or not jobs:
            return []
        specs, files = [], []
        for seed, factor, strategy in jobs:
            self.count += 1
            name = f"scaled-{self.count}.pkl"
            files.append(name)
            specs.append({"seed": seed, "factor": factor, "strategy": strategy,
                          "rng": self.count, "out": str(self.out / name)})
        request = {"resolver": _capture_plugin.__file__, "module": self.module,
                   "path": self.path, "seeds": [str(p) for p in self.seeds], "jobs": specs}
        env = sandbox.scrubbed_env({"PYTHONPATH": str(self.root)})
        proc = sandbox.run([self.python, str(_WORKER)], cwd=self.root,
                           timeout_s=max(1.0, min(self.left(), self.options.max_call_s * 4 +
                                                  5 * len(jobs))),
                           memory_mb=self.options.memory_mb, env=env,
                           stdin=json.dumps(request))
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith('{"results"')]
        if not lines:
            self.errors.append(proc.tail(3) or "worker timed out")
            return []
        points = []
        for (seed, factor, strategy), name, result in zip(
                jobs, files, json.loads(lines[-1])["results"], strict=False):
            if result["ok"]:
                points.append(_Point(seed, factor, strategy, result["cost"], result["size"],
                                     name))
            else:
                self.errors.append(result["error"])
        return points


def stress_function(
    root: Path,
    target: Target,
    seeds: StressSuite,
    out_dir: Path,
    budget_s: float = 30,
    python: str = sys.executable,
    *,
    options: FunctionStressOptions | None = None,
) -> StressSuite:
    """Seeds plus scaled and strategy variants that make `target` costlier."""
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
    if seed_files:  # the seeds' own costs: what a slowdown is measured against
        measured = runner.run([(i, 1.0, "as-is") for i in range(len(seed_files))])
        for point in measured:
            (out_dir / point.file).unlink(missing_ok=True)  # a copy of the seed
            seed_case = by_size[point.seed]
            cases = [dataclasses.replace(c, cost=point.cost) if c is seed_case else c
                     for c in cases]
    sweep: list[_Point] = []
    for index in range(len(seed_files)) if seed_files else [-1]:
        sweep.extend(_ladder(runner, index))
    best = max((p for p in sweep if p.cost <= options.max_call_s), key=lambda p: p.cost,
               default=None)
    variants: list[_Point] = []
    if best is not None and best.seed >= 0:
        variants = runner.run([(best.seed, best.factor, s) for s in STRATEGIES])
    complexity = None
    if sweep:
        first = min(p.seed for p in sweep)
        line = [p for p in sweep if p.seed == first]
        timed = [p for p in line if p.cost >= MIN_FIT_COST_S]
        complexity = fit_exponent([p.size for p in timed], [p.cost for p in timed])
    for point in _keep(sweep, variants, options.max_call_s):
        cases.append(StressCase(
            id=Path(point.file).stem, provenance="sweep" if point.strategy == "random"
            else "scaled", payload=point.file, size=point.size, cost=point.cost,
            note=f"seed {point.seed} x{point.factor:g} {point.strategy}"))
    kept_files = {c.payload for c in cases}
    for stale in out_dir.glob("scaled-*.pkl"):  # variants tried but not kept
        if stale.name not in kept_files:
            stale.unlink(missing_ok=True)
    note = "; ".join(dict.fromkeys(runner.errors))[:500]
    if note and not any(c.provenance in ("sweep", "scaled") for c in cases):
        cases = [*cases[:-1], _noted(cases[-1], note)] if cases else []
    return StressSuite(target=target, cases=tuple(cases), folder=str(out_dir),
                       complexity=complexity, unpicklable=seeds.unpicklable)


def _noted(case: StressCase, note: str) -> StressCase:
    return StressCase(case.id, case.provenance, case.payload, case.size, case.cost,
                      f"stress: {note}")


def _ladder(runner: _Runner, seed: int) -> list[_Point]:
    """Doubling sizes of one seed until a call costs target_call_s (or stops working)."""
    points: list[_Point] = []
    factor = 1.0 if seed >= 0 else 8.0
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


def _keep(sweep: list[_Point], variants: list[_Point], max_call_s: float) -> list[_Point]:
    """The three largest sweep points per seed, then variants that cost more than the
    best sweep point."""
    kept: list[_Point] = []
    for seed in sorted({p.seed for p in sweep}):
        kept.extend([p for p in sweep if p.seed == seed and p.cost <= max_call_s][-3:])
    top = max((p.cost for p in kept), default=0.0)
    kept.extend(sorted((v for v in variants if top < v.cost <= max_call_s),
                       key=lambda v: -v.cost)[:3])
    return kept
