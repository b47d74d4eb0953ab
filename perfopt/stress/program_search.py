"""The program stressor's state: every input it ran, and how one more input is run.

An input is written from a plan (perfopt.stress.stdin_gen) or given as text, run once on
the original program (perfopt.bench.program_clock: net seconds) and kept as a `Tried`.
The search phases (program_sweep, program_mutate, program_finalists) all go through
`Search.run` / `Search.run_text`, which keep to the budget's deadline.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from perfopt.bench.program_clock import Startup, time_run
from perfopt.stress.conditions import ConditionRunner, score
from perfopt.stress.stdin_gen import InputModel, Plan

GAIN = 1.05  # a mutation is kept when it costs this much more (single timings are noisy)
STARTUP_EVERY = 5  # the empty program is timed again after this many timed runs (drift)
RUN_GRACE_S = 0.5  # a run may end this far past the search's deadline (inside the reserve)
RUN_MIN_S = 0.5  # a run may always take this long, unless the budget is spent
RUN_LIMIT_MIN_S = 0.05  # a time limit shorter than this is no run at all
# inputs timed again when their first timing beats the search's best (a model's inputs
# are not: the search never goes on from them, and `confirm` times the costliest again)
RETIMED = ("generated", "mutated", "seed")


@dataclass(frozen=True)
class ProgramStressOptions:
    budget_s: float = 60.0  # everything: sweep, search, measuring
    target_cost_s: float = 1.0  # stop growing inputs once one run costs this much
    max_case_s: float = 4.0  # a costlier input is scaled down: the suite is re-run often
    case_timeout_s: float = 10.0  # the original must finish within this for a valid input
    memory_mb: int = 2048
    seed: int = 0


@dataclass
class Tried:
    plan: Plan | None  # None for an input the model's generator wrote
    text: str
    cost: float  # net seconds, as the start-up median stood when it ran
    provenance: str
    note: str = ""
    gross: float = 0.0  # wall seconds
    hits: tuple[bool, ...] = ()  # the model's conditions this input meets
    instructions: int | None = None  # whole-run count, taken only at the start-up floor

    @property
    def score(self) -> float:
        return score(self.cost, self.hits)


@dataclass
class Search:
    model: InputModel | None  # None until the grammar is known (samples are timed first)
    command: list[str]
    cwd: Path
    options: ProgramStressOptions
    deadline: float
    startup: Startup  # the empty program, run the same way as `command`
    tried: list[Tried] = field(default_factory=list)
    failures: int = 0
    attempts: int = 0
    seen: set[str] = field(default_factory=set)
    since_startup: int = 0
    conditions: ConditionRunner | None = None
    last_timed_out: bool = False  # the last run was stopped at its time limit
    last_repeat: bool = False  # the last input given was one already run
    render_max_s: float = 0.0  # the longest an input took to write (large trees: seconds)
    render_max_scale: float = 0.0  # the scale of that input

    def left(self) -> float:
        return self.deadline - time.monotonic()

    @property
    def grammar(self) -> InputModel:
        """The input model, for the phases that run once the grammar is known."""
        if self.model is None:
            raise RuntimeError("a grammar search phase ran before the grammar was known")
        return self.model

    def run(self, plan: Plan, provenance: str) -> Tried | None:
        """Write and run one input; None when it cannot be written, fails or is too slow,
        or when writing it would leave no time to run it (`can_write`)."""
        self.last_repeat = False
        if not self.can_write(plan):
            return None
        text = self.render(plan)
        return None if text is None else self.run_text(text, provenance, plan)

    def can_write(self, plan: Plan) -> bool:
        """Whether writing `plan`'s input leaves time to run it: the longest write so far,
        grown in proportion when `plan` is of a larger scale. The sweep's next scale is
        four times the last: p02822's trees took 0.9 s at one scale and 1.6-2.2 s at the
        next on a loaded machine, and a build priced at the former overran its budget."""
        growth = plan.scale / self.render_max_scale if self.render_max_scale > 0 else 1.0
        return self.left() > RUN_MIN_S + self.render_max_s * max(1.0, growth)

    def render(self, plan: Plan) -> str | None:
        """The input `plan` writes; None when it cannot be written (a rule it cannot meet)."""
        if self.model is None:
            return None
        started = time.monotonic()
        try:
            return self.model.render(plan)
        except (ValueError, KeyError, ZeroDivisionError, OverflowError, MemoryError):
            return None
        finally:
            took = time.monotonic() - started
            if took > self.render_max_s:
                self.render_max_s, self.render_max_scale = took, plan.scale

    def run_text(self, text: str, provenance: str, plan: Plan | None = None,
                 note: str = "") -> Tried | None:
        if self.left() <= RUN_MIN_S:
            return None
        digest = hashlib.sha256(text.encode()).hexdigest()
        self.last_repeat = digest in self.seen
        if self.last_repeat:
            return None
        self.seen.add(digest)
        gross = self.time(text, count=True)
        if gross is None:
            return None
        hits = self.conditions.check(text) if self.conditions is not None else ()
        leader = best(self)
        if (provenance in RETIMED and leader is not None
                and score(self.net(gross), hits) > leader.score * GAIN):
            # an apparent gain is timed again: on a busy machine single runs swing by
            # tens of milliseconds, and a search that keeps lucky timings chases noise.
            # The sweep's points too: one at N = 33 of p03170, timed once at a one-second
            # swing, reached the cost target, and the sweep stopped growing there
            again = self.time(text)
            gross = min(gross, again) if again is not None else gross
        tried = Tried(plan, text, self.net(gross), provenance,
                      note or (plan.describe() if plan is not None else ""), gross, hits)
        self.tried.append(tried)
        return tried

    def startup_s(self) -> float:
        return self.startup.median_s()

    def net(self, gross: float) -> float:
        return self.startup.net_s(gross)

    def floor_s(self) -> float:
        return self.startup.floor_s()

    def time_startup(self, runs: int = 1) -> None:
        """Time the empty program: the start-up every run pays, subtracted from costs."""
        self.startup.time(runs)
        self.since_startup = 0

    def time(self, text: str, count: bool = False) -> float | None:
        """Gross seconds of one run; None when it fails. With `count`, the run is one
        generated input: accepted or rejected (a run cut short by the budget is neither)."""
        if self.since_startup >= STARTUP_EVERY:
            self.time_startup()
        self.since_startup += 1
        # RUN_MIN_S at least, but never ending RUN_GRACE_S past the deadline
        left = self.left()
        limit = min(self.options.case_timeout_s, max(RUN_MIN_S, left), left + RUN_GRACE_S)
        if limit < RUN_LIMIT_MIN_S:
            return None
        proc = time_run(self.command, text.encode(), cwd=self.cwd, timeout_s=limit,
                        memory_mb=self.options.memory_mb)
        if count and (proc.ok or not proc.timed_out or limit >= self.options.case_timeout_s):
            self.attempts += 1
            self.failures += not proc.ok
        self.last_timed_out = proc.timed_out
        return proc.seconds if proc.ok else None


def best(search: Search) -> Tried | None:
    """The input the grammar search goes on from: the best score that fits, among the
    inputs it can mutate (those with a plan)."""
    fits = [t for t in search.tried
            if t.cost <= search.options.max_case_s and t.plan is not None]
    return max(fits, key=lambda t: t.score, default=None)


def scaled_down(search: Search, tried: Tried, scale: float) -> float:
    """The scale at which an input that cost too much should cost about target_cost_s
    (assuming roughly quadratic growth)."""
    return scale * (search.options.target_cost_s / tried.cost) ** 0.5
