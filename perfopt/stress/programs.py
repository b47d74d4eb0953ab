"""Stress inputs for a program that reads stdin (the PIE / judge case).

1. Read the input grammar (statement's format block, else the samples) and the bounds
   (statement's Constraints section).
2. Sweep: write inputs at geometrically growing scale and run the ORIGINAL program on each
   until it costs `target_cost_s` or the bounds are reached. An input counts only when the
   original exits 0 within `case_timeout_s` (the judge's notion of a valid input).
3. Search: at the best scale, try each variable's value strategies (sorted, all equal,
   path-shaped tree...), then mutate the best plans at random, keeping what costs more.
The suite holds the samples, a few sweep points and the costliest inputs found.
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from perfopt.models import StressCase, StressSuite, Target
from perfopt.stress.constraints import parse_constraints
from perfopt.stress.stdin_gen import InputModel, Plan, knob_high, strategy_options
from perfopt.stress.structure import infer_structure
from perfopt.stress.sweep import fit_exponent
from perfopt.verify import sandbox

SWEEP_FACTOR = 4.0  # scale grows this much per sweep step
SWEEP_START_KNOB = 8  # the sweep starts where the largest knob is about this big
GAIN = 1.05  # a mutation is kept when it costs this much more (single timings are noisy)
SWEEP_KEPT = 3  # sweep points kept in the suite (the largest valid ones)
BEST_KEPT = 4  # costliest distinct searched inputs kept
STALE_LIMIT = 60  # mutations in a row without a gain before the search stops early
SAMPLE_RUNS = 2  # a sample's cost is the min of this many runs (the first run pays cold caches)


@dataclass(frozen=True)
class ProgramStressOptions:
    budget_s: float = 60.0  # everything: sweep, search, measuring
    target_cost_s: float = 1.0  # stop growing inputs once one run costs this much
    max_case_s: float = 4.0  # a costlier input is scaled down: the suite is re-run often
    case_timeout_s: float = 10.0  # the original must finish within this for a valid input
    memory_mb: int = 2048
    seed: int = 0


@dataclass
class _Tried:
    plan: Plan
    text: str
    cost: float
    provenance: str
    note: str = ""


@dataclass
class _Search:
    model: InputModel
    command: list[str]
    cwd: Path
    options: ProgramStressOptions
    deadline: float
    tried: list[_Tried] = field(default_factory=list)
    failures: int = 0
    attempts: int = 0
    seen: set[str] = field(default_factory=set)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, plan: Plan, provenance: str) -> _Tried | None:
        """Write and run one input; None when it cannot be written, fails or is too slow."""
        if self.left() <= 0.5:
            return None
        try:
            text = self.model.render(plan)
        except (ValueError, KeyError, ZeroDivisionError, OverflowError, MemoryError):
            return None
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest in self.seen:
            return None
        self.seen.add(digest)
        self.attempts += 1
        cost = self._time(text)
        if cost is None:
            self.failures += 1
            return None
        best = _best(self)
        if provenance == "mutated" and best is not None and cost > best.cost * GAIN:
            # an apparent gain is timed again: on a busy machine single runs swing by
            # tens of milliseconds, and a search that keeps lucky timings chases noise
            again = self._time(text)
            cost = min(cost, again) if again is not None else cost
        tried = _Tried(plan, text, cost, provenance, plan.describe())
        self.tried.append(tried)
        return tried


    def _time(self, text: str) -> float | None:
        limit = min(self.options.case_timeout_s, max(0.5, self.left()))
        proc = sandbox.run(self.command, cwd=self.cwd, timeout_s=limit,
                           memory_mb=self.options.memory_mb, stdin=text.encode())
        return proc.seconds if proc.ok else None


def program_command(program: Path, language: str, python: str = sys.executable) -> list[str]:
    """How to run a program on stdin. C++ needs a built binary: pass it as `program`."""
    if language == "python":
        return [python, str(program)]
    if language == "cpp":
        return [str(program)]
    raise ValueError(f"unknown language {language!r}; use python or cpp")


def sample_inputs(samples_dir: Path) -> list[Path]:
    """`input.N.txt` (PIE) or `*.in` files, in natural order."""
    folder = Path(samples_dir)
    files = [*folder.glob("input*.txt"), *folder.glob("*.in")]
    return sorted(files, key=lambda p: [int(t) if t.isdigit() else t
                                        for t in re.split(r"(\d+)", p.name)])


def stress_program(
    program: Path,
    language: str,
    samples_dir: Path,
    statement: str | None,
    out_dir: Path,
    budget_s: float = 60,
    python: str = sys.executable,
    *,
    command: Sequence[str] | None = None,
    target: Target | None = None,
    options: ProgramStressOptions | None = None,
) -> StressSuite:
    """A suite of stdin files that make `program` slow; payloads written to `out_dir`."""
    started = time.monotonic()
    options = options or ProgramStressOptions(budget_s=budget_s)
    program, out_dir = Path(program).resolve(), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = list(command) if command else program_command(program, language, python)
    target = target or Target(file=program.name, language=language)
    samples = sample_inputs(samples_dir)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in samples]
    cases: list[StressCase] = []
    for k, text in enumerate(texts):
        runs = [sandbox.run(cmd, cwd=program.parent, timeout_s=options.case_timeout_s,
                            memory_mb=options.memory_mb, stdin=text.encode())
                for _ in range(SAMPLE_RUNS)]
        cost = min(r.seconds for r in runs) if all(r.ok for r in runs) else None
        cases.append(_write(out_dir, f"sample-{k}", "sample", text, cost, samples[k].name))
    structure = infer_structure(texts, statement)
    if structure is None:  # nothing to scale: the samples are the suite
        return StressSuite(target=target, cases=tuple(cases), folder=str(out_dir))
    model = InputModel(structure, parse_constraints(statement or ""))
    search = _Search(model, cmd, program.parent, options, started + options.budget_s)
    sweep = _sweep(search, random.Random(options.seed))
    _explore(search)
    _mutate(search, random.Random(options.seed + 1))
    floor = min((c.cost for c in cases if c.cost is not None), default=0.0)
    complexity = fit_exponent([len(t.text) for t in sweep], [t.cost for t in sweep],
                              floor=floor)
    chosen = _choose(sweep, search.tried, options.max_case_s)
    for k, tried in enumerate(chosen):
        cases.append(_write(out_dir, f"{tried.provenance}-{k}", tried.provenance, tried.text,
                            tried.cost, tried.note, size=len(tried.text)))
    return StressSuite(target=target, cases=tuple(cases), folder=str(out_dir),
                       complexity=complexity)


def _write(folder: Path, case_id: str, provenance: str, text: str, cost: float | None,
           note: str, size: int | None = None) -> StressCase:
    name = f"{case_id}.in"
    (folder / name).write_text(text, encoding="utf-8")
    return StressCase(case_id, provenance, name, size if size is not None else len(text),
                      cost, note)


def _sweep(search: _Search, rng: random.Random) -> list[_Tried]:
    """Valid inputs at growing scale, until the cost target or the bounds."""
    high = max(knob_high(search.model), 1)
    scale = min(1.0, SWEEP_START_KNOB / high)
    points: list[_Tried] = []
    while search.left() > 1:
        tried = search.run(Plan(scale, rng.randrange(1 << 30)), "generated")
        if tried is None:  # another seed once: a random draw may break an unstated rule
            tried = search.run(Plan(scale, rng.randrange(1 << 30)), "generated")
        if tried is None:
            if points and scale > points[-1].plan.scale * 1.5:  # between last good and this
                scale = points[-1].plan.scale * (scale / points[-1].plan.scale) ** 0.5
                continue
            break
        tried.note = f"sweep {tried.note}"
        points.append(tried)
        if scale >= 1.0 or tried.cost >= search.options.target_cost_s:
            break
        # grow faster while the cost is far from the target
        factor = SWEEP_FACTOR if tried.cost < search.options.target_cost_s / 8 else 2.0
        scale = min(1.0, scale * factor)
    return points


def _best(search: _Search) -> _Tried | None:
    fits = [t for t in search.tried if t.cost <= search.options.max_case_s]
    return max(fits, key=lambda t: t.cost, default=None)


def _explore(search: _Search) -> None:
    """Greedy: at the best plan, each variable's strategies in turn, keeping gains."""
    for name, strategies in strategy_options(search.model):
        for how in strategies:
            best = _best(search)
            if best is None or search.left() <= 1:
                return
            if best.plan.strategy(name, "") == how:
                continue
            tried = search.run(best.plan.with_choice(name, how), "mutated")
            if tried is not None:
                tried.note = f"strategy {name}={how}; {tried.note}"
                _shrink_if_slow(search, tried)


def _mutate(search: _Search, rng: random.Random) -> None:
    options = strategy_options(search.model)
    stale = 0
    while search.left() > 1:
        best = _best(search)
        if best is None:
            return
        plan = best.plan
        roll = rng.random()
        if roll < 0.3 or not options:
            plan = Plan(plan.scale, rng.randrange(1 << 30), plan.choices)
        elif roll < 0.45:
            grow = 1.3 if best.cost < search.options.target_cost_s else 0.8
            plan = Plan(min(1.0, plan.scale * grow), plan.seed, plan.choices)
        elif roll < 0.6:  # a nearby value: cost can hinge on K's residues, not its size
            plan = Plan(min(1.0, plan.scale * rng.uniform(0.9, 1.02)), plan.seed, plan.choices)
        else:
            for _ in range(rng.choice((1, 2))):
                name, strategies = rng.choice(options)
                plan = plan.with_choice(name, rng.choice(strategies))
        tried = search.run(plan, "mutated")
        if tried is not None:
            _shrink_if_slow(search, tried)
        stale = 0 if tried is not None and tried.cost > best.cost * GAIN else stale + 1
        if stale >= STALE_LIMIT or search.attempts > 400:
            return  # a small input space, or a cost that does not move: enough


def _shrink_if_slow(search: _Search, tried: _Tried) -> None:
    """An input over max_case_s stays out of the suite; the same plan at a smaller scale
    keeps its shape within the time a suite may cost."""
    if tried.cost <= search.options.max_case_s:
        return
    scale = tried.plan.scale * (search.options.target_cost_s / tried.cost) ** 0.5
    search.run(Plan(scale, tried.plan.seed, tried.plan.choices), tried.provenance)


def _choose(sweep: list[_Tried], tried: list[_Tried], max_case_s: float) -> list[_Tried]:
    """The largest valid sweep points, then the costliest other inputs (distinct)."""
    keep = [t for t in sweep[-SWEEP_KEPT:] if t.cost <= max_case_s]
    others = [t for t in tried if t.cost <= max_case_s and all(t is not k for k in keep)]
    for t in sorted(others, key=lambda t: -t.cost):
        if len(keep) >= SWEEP_KEPT + BEST_KEPT:
            break
        if all(t.text != k.text for k in keep):
            keep.append(t)
    return keep
