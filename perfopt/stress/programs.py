"""Stress inputs for a program that reads stdin (the PIE / judge case).

1. Read the input grammar (statement's format block, else the samples) and the bounds
   (statement's Constraints section).
2. Sweep: write inputs at geometrically growing scale and run the ORIGINAL program on each
   until it costs `target_cost_s` or the bounds are reached. An input counts only when the
   original exits 0 within `case_timeout_s` (the judge's notion of a valid input). When
   inputs stop being accepted, a value strategy that every draw passes joins the plan.
3. Seeds (WEDGE's): when the costliest sample still costs more than the sweep's best (its
   values sit where cost hinges on more than size: K with a long cycle mod 9K, a sample
   already at the bounds), that sample and its neighbours join the search (provenance
   "seed"): an input of scalars only, one value at a time moved near itself or near its
   bound, every value kept within the statement's bounds, the costliest kept.
4. Search: at the best scale, try each variable's value strategies (sorted, all equal,
   path-shaped tree...), then mutate the best plans at random, keeping what costs more.
5. Confirm: the costliest inputs, each kept on one timing, are timed twice more and ranked
   by the median (the luckiest timing would otherwise take a stress input's place).
With a model (perfopt.stress.conditions), its input generator runs first at growing scales
(provenance "model"; it needs no grammar), and an input's score is its cost raised by the
share of the model's performance-characterizing conditions it meets: the score, not the
bare cost, ranks the search and picks the stress inputs.
At the start-up floor (the stress inputs' median net cost under the search's floor, timed
again when the first timings say otherwise: a problem whose bounds are small) the clock cannot
rank inputs, so the costliest and the largest distinct inputs are counted under callgrind
(whole-run instructions, PYTHONHASHSEED=0: exact) and the highest counts are kept;
without valgrind the clock's ranking stands.
The suite holds the samples (provenance "sample", for correctness), the costliest distinct
inputs found ("generated"/"mutated": the stress inputs) and the sweep points kept only for
the complexity fit ("sweep": not stress inputs; a cost mean over the suite leaves them out).
The floor is `FLOOR_S`, or more on a busy machine: the empty program's own spread (its
slowest run over its median), since a run's work below that is lost in the jitter.

Cost: a case's `cost` is NET seconds, the program's own work: its wall time minus the
median wall time of an empty program run the same way (same interpreter, a no-op script),
timed interleaved with the runs, floored at `NET_FLOOR_S`. Interpreter start-up (~30 ms
for CPython) would otherwise dominate every sample and cap any slowdown ratio at ~10x. The
gross (wall) seconds are kept in each case's note.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from perfopt.bench import callgrind
from perfopt.bench.timing import BenchFailed
from perfopt.models import StressCase, StressSuite, Target
from perfopt.stress.conditions import SCALES, ConditionRunner, score
from perfopt.stress.constraints import parse_constraints
from perfopt.stress.stdin_gen import InputModel, Plan, knob_high, strategy_options
from perfopt.stress.structure import Scalars, infer_structure, read_sample
from perfopt.stress.sweep import fit_exponent
from perfopt.verify import sandbox

SWEEP_FACTOR = 4.0  # scale grows this much per sweep step
SWEEP_START_KNOB = 8  # the sweep starts where the largest knob is about this big
GAIN = 1.05  # a mutation is kept when it costs this much more (single timings are noisy)
SWEEP_KEPT = 3  # sweep points kept in the suite for the complexity fit (the largest ones)
BEST_KEPT = 3  # costliest distinct inputs kept: the stress inputs
STALE_LIMIT = 60  # new inputs in a row without a gain before the search stops early
REPEAT_LIMIT = 200  # mutations in a row writing only inputs already run: the space is spent
CONFIRM_RUNS = 2  # more timings of each finalist before the stress inputs are chosen
FINALISTS = 2 * BEST_KEPT  # the costliest distinct inputs timed again
CONFIRM_SHARE = 0.25  # of the budget, at most this much is kept back for timing them again
SAMPLE_RUNS = 2  # a sample's cost is the min of this many runs (the first run pays cold caches)
STARTUP_FIRST = 2  # empty-program runs before anything else
STARTUP_EVERY = 5  # ...then one more after this many timed runs (the load drifts)
NET_FLOOR_S = 0.001  # a net cost never drops below this: ratios stay finite
WRITE_RESERVE_S = 1.0  # of the budget, kept for writing the suite after the search
RUN_GRACE_S = 0.5  # a run may end this far past the search's deadline (inside the reserve)
STATS_FILE = "generation.json"
FLOOR_S = 0.010  # below this net cost a run's own work drowns in start-up jitter, at least
IR_CANDIDATES = 8  # inputs counted under callgrind when the stress inputs sit at the floor
IR_RUN_S = 30.0  # one count's time limit (CPython under valgrind starts in ~2 s)
IR_POOL_MAX = 5  # inputs counted cost at most this many times the floor by the clock
IR_MIN_LEFT_S = 10.0  # budget a floor ranking needs (eight counts, two at a time: ~10 s)
SEED_TRIES = 24  # neighbours of the costliest sample tried when it outcosts the sweep
REPAIRS = 2  # value strategies a sweep may add to get its inputs accepted again
REPAIR_SEEDS = 3  # draws a repairing strategy must pass


@dataclass(frozen=True)
class GenerationStats:
    """How the generated inputs fared on the original program."""

    generated: int = 0  # distinct generated inputs run on the original
    accepted: int = 0  # exit 0 within case_timeout_s
    rejected: int = 0  # exit != 0, or still running at case_timeout_s
    startup_s: float | None = None  # median empty-program cost subtracted from every run
    startup_runs: int = 0
    # with a model (perfopt.stress.conditions): its conditions, how many of the suite's
    # stress inputs meet each, and how its generator's inputs fared (counted above too)
    conditions: tuple[str, ...] = ()
    condition_hits: tuple[int, ...] = ()
    model_generated: int = 0
    model_accepted: int = 0
    model_note: str = ""
    # at the start-up floor: inputs ranked by instruction count instead of by the clock
    ranked_by_instructions: int = 0
    # the costliest inputs timed again before the stress inputs were chosen (`_confirm`)
    confirmed: int = 0
    # where the budget went: (phase, seconds) in order, and the longest input render
    phases_s: tuple[tuple[str, float], ...] = ()
    render_max_s: float = 0.0


@dataclass(frozen=True)
class ProgramStress:
    suite: StressSuite
    stats: GenerationStats


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
class _Search:
    model: InputModel | None  # None until the grammar is known (samples are timed first)
    command: list[str]
    cwd: Path
    options: ProgramStressOptions
    deadline: float
    tried: list[_Tried] = field(default_factory=list)
    failures: int = 0
    attempts: int = 0
    seen: set[str] = field(default_factory=set)
    startup_cmd: list[str] = field(default_factory=list)
    startup: list[float] = field(default_factory=list)
    since_startup: int = 0
    conditions: ConditionRunner | None = None
    last_timed_out: bool = False  # the last run was stopped at its time limit
    render_max_s: float = 0.0  # the longest an input took to write (large trees: seconds)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def run(self, plan: Plan, provenance: str) -> _Tried | None:
        """Write and run one input; None when it cannot be written, fails or is too slow.
        An input is not written when writing the largest so far would leave no time to
        run it."""
        if self.left() <= 0.5 + self.render_max_s:
            return None
        text = self.render(plan)
        return None if text is None else self.run_text(text, provenance, plan)

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
            self.render_max_s = max(self.render_max_s, time.monotonic() - started)

    def run_text(self, text: str, provenance: str, plan: Plan | None = None,
                 note: str = "") -> _Tried | None:
        if self.left() <= 0.5:
            return None
        digest = hashlib.sha256(text.encode()).hexdigest()
        if digest in self.seen:
            return None
        self.seen.add(digest)
        gross = self._time(text, count=True)
        if gross is None:
            return None
        hits = self.conditions.check(text) if self.conditions is not None else ()
        best = _best(self)
        if (provenance in ("mutated", "seed") and best is not None
                and score(self.net(gross), hits) > best.score * GAIN):
            # an apparent gain is timed again: on a busy machine single runs swing by
            # tens of milliseconds, and a search that keeps lucky timings chases noise
            again = self._time(text)
            gross = min(gross, again) if again is not None else gross
        tried = _Tried(plan, text, self.net(gross), provenance,
                       note or (plan.describe() if plan is not None else ""), gross, hits)
        self.tried.append(tried)
        return tried

    def startup_s(self) -> float:
        return statistics.median(self.startup) if self.startup else 0.0

    def net(self, gross: float) -> float:
        return max(gross - self.startup_s(), NET_FLOOR_S)

    def countable_s(self) -> float:
        """The net cost up to which an input may be ranked by instruction count (a few
        floors: one count stays a few seconds under valgrind, ~100x); the clock ranks the
        costlier ones (`_confirm`), and the floor ranking keeps them first."""
        return IR_POOL_MAX * self.floor_s()

    def floor_s(self) -> float:
        """The net cost below which the clock cannot rank inputs: FLOOR_S, or the empty
        program's spread (slowest run over the median) when the load makes that wider."""
        if len(self.startup) < 3:
            return FLOOR_S
        return max(FLOOR_S, max(self.startup) - self.startup_s())

    def time_startup(self, runs: int = 1) -> None:
        """Time the empty program: the start-up every run pays, subtracted from costs."""
        for _ in range(runs):
            proc = sandbox.run(self.startup_cmd, cwd=self.cwd, timeout_s=10,
                               memory_mb=self.options.memory_mb, stdin=b"")
            if proc.ok:
                self.startup.append(proc.seconds)
        self.since_startup = 0

    def _time(self, text: str, count: bool = False) -> float | None:
        """Gross seconds of one run; None when it fails. With `count`, the run is one
        generated input: accepted or rejected (a run cut short by the budget is neither)."""
        if self.startup_cmd and self.since_startup >= STARTUP_EVERY:
            self.time_startup()
        self.since_startup += 1
        # half a second at least, but never ending RUN_GRACE_S past the deadline
        left = self.left()
        limit = min(self.options.case_timeout_s, max(0.5, left), left + RUN_GRACE_S)
        if limit < 0.05:
            return None
        proc = sandbox.run(self.command, cwd=self.cwd, timeout_s=limit,
                           memory_mb=self.options.memory_mb, stdin=text.encode())
        if count and (proc.ok or not proc.timed_out or limit >= self.options.case_timeout_s):
            self.attempts += 1
            self.failures += not proc.ok
        self.last_timed_out = proc.timed_out
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


def startup_command(command: Sequence[str], program: Path, noop: Path) -> list[str]:
    """The same command on an empty script: what the run costs before the program's own
    work. A command that does not name the program (a built binary) starts in well under
    a millisecond: `true` stands in for it."""
    cmd = list(command)
    if str(program) in cmd:
        cmd[cmd.index(str(program))] = str(noop)
        return cmd
    return [shutil.which("true") or "true"]


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
    conditions: ConditionRunner | None = None,
) -> StressSuite:
    """A suite of stdin files that make `program` slow; payloads written to `out_dir`."""
    return build_program_suite(program, language, samples_dir, statement, out_dir, budget_s,
                               python, command=command, target=target, options=options,
                               conditions=conditions).suite


def build_program_suite(
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
    conditions: ConditionRunner | None = None,
) -> ProgramStress:
    """`stress_program` plus how generation went; both written to `out_dir`
    (`generation.json` holds the stats). `conditions`: the model's stress code, loaded
    (perfopt.stress.conditions); its inputs join the search and its conditions reward it."""
    started = time.monotonic()
    options = options or ProgramStressOptions(budget_s=budget_s)
    program, out_dir = Path(program).resolve(), Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    cmd = list(command) if command else program_command(program, language, python)
    target = target or Target(file=program.name, language=language)
    samples = sample_inputs(samples_dir)
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in samples]
    noop = out_dir / ".startup_noop.py"  # not a case: no suite names it
    noop.write_text("", encoding="utf-8")
    deadline = started + max(options.budget_s - WRITE_RESERVE_S, options.budget_s / 2)
    search = _Search(None, cmd, program.parent, options, deadline,
                     startup_cmd=startup_command(cmd, program, noop),
                     conditions=conditions if conditions is not None and conditions.active
                     else None)
    phases: list[tuple[str, float]] = []
    lap_start = started

    def lap(phase: str) -> None:  # where the budget went, for generation.json
        nonlocal lap_start
        now = time.monotonic()
        phases.append((phase, round(now - lap_start, 3)))
        lap_start = now

    search.time_startup(STARTUP_FIRST)
    sample_gross: list[float | None] = []
    for text in texts:
        runs = []
        for k in range(SAMPLE_RUNS):  # start-up and samples alternate: the same load
            runs.append(sandbox.run(cmd, cwd=program.parent, timeout_s=options.case_timeout_s,
                                    memory_mb=options.memory_mb, stdin=text.encode()))
            if k == 0:
                search.time_startup()
        sample_gross.append(min(r.seconds for r in runs) if all(r.ok for r in runs) else None)
    lap("samples")
    structure = infer_structure(texts, statement)
    complexity, chosen, sweep_kept = None, [], []
    model_before = (search.attempts, search.failures)
    if search.conditions is not None:  # the model's own inputs: they may need no grammar
        _from_model(search, random.Random(options.seed + 2))
        lap("model")
    model_counts = (search.attempts - model_before[0], search.failures - model_before[1])
    if structure is not None:
        search.model = InputModel(structure, parse_constraints(statement or ""))
        sweep = _sweep(search, random.Random(options.seed))
        lap("sweep")
        _seeds(search, texts, sample_gross, random.Random(options.seed + 3))
        lap("seeds")
        _explore(search)
        lap("explore")
        _mutate(search, random.Random(options.seed + 1))
        lap("mutate")
        floor = search.startup_s()
        complexity = fit_exponent([len(t.text) for t in sweep], [t.gross for t in sweep],
                                  floor=floor)
        sweep_kept = sweep[-SWEEP_KEPT:]
    confirmed = _confirm(search)
    chosen = _choose(search.tried, options.max_case_s)
    counted = 0
    if chosen and _at_floor(search, chosen):
        counted, chosen = _rank_by_instructions(search, chosen)
    lap("choose")
    sweep_kept = [t for t in sweep_kept if all(t is not c for c in chosen)]
    cases = [_write(out_dir, f"sample-{k}", "sample", text, gross, samples[k].name, search)
             for k, (text, gross) in enumerate(zip(texts, sample_gross, strict=True))]
    for k, tried in enumerate(chosen):
        provenance = "generated" if tried.provenance == "sweep" else tried.provenance
        note = tried.note
        if tried.hits:
            note = f"meets {sum(tried.hits)}/{len(tried.hits)} model conditions; {note}"
        if tried.instructions is not None:
            note = f"{tried.instructions:,} instructions; {note}"
        cases.append(_write(out_dir, f"{provenance}-{k}", provenance, tried.text, tried.gross,
                            note, search, size=len(tried.text)))
    for k, tried in enumerate(sweep_kept):
        cases.append(_write(out_dir, f"sweep-{k}", "sweep", tried.text, tried.gross,
                            f"complexity fit only; {tried.note}", search,
                            size=len(tried.text)))
    noop.unlink(missing_ok=True)
    lap("write")
    runner = search.conditions
    names = tuple(runner.conditions) if runner is not None else ()
    stats = GenerationStats(
        search.attempts, search.attempts - search.failures, search.failures,
        round(search.startup_s(), 6), len(search.startup),
        conditions=names,
        condition_hits=tuple(sum(1 for t in chosen if len(t.hits) > i and t.hits[i])
                             for i in range(len(names))),
        model_generated=model_counts[0], model_accepted=model_counts[0] - model_counts[1],
        model_note=runner.error if runner is not None else "",
        ranked_by_instructions=counted, confirmed=confirmed, phases_s=tuple(phases),
        render_max_s=round(search.render_max_s, 3))
    (out_dir / STATS_FILE).write_text(json.dumps(asdict(stats), indent=2), encoding="utf-8")
    suite = StressSuite(target=target, cases=tuple(cases), folder=str(out_dir),
                        complexity=complexity)
    return ProgramStress(suite, stats)


def _write(folder: Path, case_id: str, provenance: str, text: str, gross: float | None,
           note: str, search: _Search, size: int | None = None) -> StressCase:
    name = f"{case_id}.in"
    (folder / name).write_text(text, encoding="utf-8")
    cost = None if gross is None else search.net(gross)
    if gross is not None:
        note = f"{note}; gross {gross:.4f}s, start-up {search.startup_s():.4f}s"
    return StressCase(case_id, provenance, name, size if size is not None else len(text),
                      cost, note.lstrip("; "))


def _sweep(search: _Search, rng: random.Random) -> list[_Tried]:
    """Valid inputs at growing scale, until the cost target or the bounds. When random
    values stop being accepted at some scale, one more variable's value strategy may repair
    them (e.g. D = its minimum keeps X + D under a bound the statement never wrote; at most
    REPAIRS times); the sweep goes on with those choices."""
    high = max(knob_high(search.model), 1)
    scale = min(1.0, SWEEP_START_KNOB / high)
    points: list[_Tried] = []
    retries = 0
    choices: tuple[tuple[str, str], ...] = ()
    repairs = 0
    while search.left() > 1:
        tried = search.run(Plan(scale, rng.randrange(1 << 30), choices), "generated")
        if tried is None:  # another seed once: a random draw may break an unstated rule
            tried = search.run(Plan(scale, rng.randrange(1 << 30), choices), "generated")
        if tried is None and repairs < REPAIRS and not search.last_timed_out:
            # rejected, not too slow: a value rule the generator broke
            repairs += 1
            tried = _repair(search, scale, rng, choices)
            if tried is not None:
                choices = tried.plan.choices
        if tried is None:
            if points and scale > points[-1].plan.scale * 1.5:  # between last good and this
                scale = points[-1].plan.scale * (scale / points[-1].plan.scale) ** 0.5
                continue
            if not points and retries < 2:  # the first scale may already break a rule
                scale, retries = scale / SWEEP_FACTOR, retries + 1
                continue
            break
        tried.provenance = "sweep"
        points.append(tried)
        if scale >= 1.0 or tried.cost >= search.options.target_cost_s:
            break
        # grow faster while the cost is far from the target
        factor = SWEEP_FACTOR if tried.cost < search.options.target_cost_s / 8 else 2.0
        scale = min(1.0, scale * factor)
    return points


def _seeds(search: _Search, texts: list[str], sample_gross: list[float | None],
           rng: random.Random) -> None:
    """The costliest sample, as is and moved one value at a time, when it costs more than
    anything the sweep wrote: hill-climbing from it, the costliest input kept as the next
    start. Only for inputs that are scalar lines alone (no counted lists to keep in step),
    and every value stays within the bounds the statement gives, read with the other
    values in place (`X <= Y`)."""
    model = search.model
    timed = [(g, t) for g, t in zip(sample_gross, texts, strict=True) if g is not None]
    if model is None or not timed:
        return
    gross, text = max(timed, key=lambda gt: gt[0])
    best = _best(search)
    if best is not None and best.score >= score(search.net(gross), ()):
        return
    nodes = model.structure.nodes
    if not all(isinstance(n, Scalars) for n in nodes):
        return
    names = [name for node in nodes for name in node.names
             if model.kind(name) == "int"]
    values = _scalar_values(nodes, text)
    if values is None or not names:
        return
    start = search.run_text(text, "seed", None, "costliest sample, as is")
    current = (values, start.score if start is not None else 0.0)
    for _ in range(SEED_TRIES):
        if search.left() <= 1:
            return
        moved = _moved(model, current[0], rng.choice(names), rng)
        if moved is None:
            continue
        name, value, moved_values = moved
        tried = search.run_text(_scalar_text(nodes, moved_values), "seed", None,
                                f"costliest sample with {name}={value}")
        if tried is not None and tried.score > current[1]:
            current = (moved_values, tried.score)


def _scalar_values(nodes: tuple[Scalars, ...], text: str) -> dict[str, int] | None:
    """The values of an input of scalar lines, by name (read as the samples are); None
    unless it fits the grammar and all are integers."""
    read = read_sample(nodes, text)
    if read is None or any(len(tokens) != 1 for tokens in read.values()):
        return None
    try:
        return {name: int(tokens[0]) for name, tokens in read.items()}
    except ValueError:
        return None


def _scalar_text(nodes: tuple[Scalars, ...], values: dict[str, int]) -> str:
    return "".join(" ".join(str(values[name]) for name in n.names) + "\n" for n in nodes)


def _moved(model: InputModel, values: dict[str, int], name: str,
           rng: random.Random) -> tuple[str, int, dict[str, int]] | None:
    """`values` with `name` moved near itself or near its upper bound; None when the move
    leaves a value outside its bounds."""
    lo, hi = model.int_range(name, {k: v for k, v in values.items() if k != name})
    old = values[name]
    width = max(2, (hi - lo) // 1000)
    anchor = old if rng.random() < 0.7 else hi
    value = min(hi, max(lo, anchor + rng.randint(-width, width)))
    if value == old:
        return None
    moved = {**values, name: value}
    for other in moved:  # bounds that name the moved value (X <= Y) hold still
        low, high = model.int_range(other, {k: v for k, v in moved.items() if k != other})
        if not low <= moved[other] <= high:
            return None
    return name, value, moved


def _repair(search: _Search, scale: float, rng: random.Random,
            choices: tuple[tuple[str, str], ...] = ()) -> _Tried | None:
    """The first strategy of a variable not yet chosen which, added to `choices`, has its
    inputs accepted at `scale` on every draw: a rule the random values broke is kept every
    time, where one accepted draw may be luck (p02758's X all distinct passed once in ten
    at N = 8, and the sweep then stalled there; D at its minimum always passes)."""
    taken = {name for name, _ in choices}
    for name, strategies in strategy_options(search.model):
        if name in taken or name in search.model.counts:  # a count at its minimum would
            continue  # pass any rule, and the sweep would stop growing
        for how in strategies:
            if how in ("random", "scale"):
                continue
            if search.left() <= 1:
                return None
            tried = _every_draw(search, Plan(scale, 0, choices).with_choice(name, how), rng)
            if tried is not None:
                tried.note = f"repaired by {name}={how}; {tried.note}"
                return tried
    return None


def _every_draw(search: _Search, plan: Plan, rng: random.Random) -> _Tried | None:
    """The first of REPAIR_SEEDS draws of `plan` (new seeds each) when all are accepted,
    else None. A plan that fixes every value writes one input, and once is enough."""
    first: _Tried | None = None
    texts: set[str] = set()
    for _ in range(REPAIR_SEEDS):
        if search.left() <= 1:
            return None
        draw = Plan(plan.scale, rng.randrange(1 << 30), plan.choices)
        text = search.render(draw)
        if text in texts:
            continue
        tried = None if text is None else search.run_text(text, "generated", draw)
        if tried is None:
            return None
        texts.add(text)
        first = first or tried
    return first


def _from_model(search: _Search, rng: random.Random) -> None:
    """The model's generator at growing scales, two seeds each, until an input costs the
    target or gets too slow; every input is run on the original like any other."""
    runner = search.conditions
    assert runner is not None
    for scale in SCALES:
        costs = []
        for _ in range(2):
            if not runner.active or search.left() <= 1:
                return
            text = runner.generate(scale, rng.randrange(1 << 30))
            if text is None:
                continue
            tried = search.run_text(text, "model", None, f"model generator at scale {scale:g}")
            if tried is not None:
                costs.append(tried.cost)
                _shrink_text(search, tried, runner, scale, rng)
        if costs and max(costs) >= search.options.target_cost_s:
            return


def _shrink_text(search: _Search, tried: _Tried, runner: ConditionRunner, scale: float,
                 rng: random.Random) -> None:
    """A model input over max_case_s, asked for again at a smaller scale."""
    if tried.cost <= search.options.max_case_s or not runner.active:
        return
    smaller = _scaled_down(search, tried, scale)
    text = runner.generate(smaller, rng.randrange(1 << 30))
    if text is not None:
        search.run_text(text, "model", None, f"model generator at scale {smaller:.3g}")


def _best(search: _Search) -> _Tried | None:
    """The input the grammar search goes on from: the best score that fits, among the
    inputs it can mutate (those with a plan)."""
    fits = [t for t in search.tried
            if t.cost <= search.options.max_case_s and t.plan is not None]
    return max(fits, key=lambda t: t.score, default=None)


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
    """Random moves from the best plan (a new seed, a larger or nearby scale, one or two
    strategies), keeping what costs more, until STALE_LIMIT new inputs in a row gain
    nothing. A move that writes an input already run is no evidence either way (scalars
    alone: a new seed writes the same text) and counts only towards REPEAT_LIMIT. The
    search stops early enough to time the finalists again (`_confirm`)."""
    options = strategy_options(search.model)
    stale = repeats = 0
    while search.left() > 1 + _confirm_reserve(search):
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
        seen = len(search.seen)
        tried = search.run(plan, "mutated")
        if tried is not None:
            _shrink_if_slow(search, tried)
        if len(search.seen) == seen:  # an input already run (or none written)
            repeats += 1
        else:
            repeats = 0
            stale = 0 if tried is not None and tried.score > best.score * GAIN else stale + 1
        if stale >= STALE_LIMIT or repeats >= REPEAT_LIMIT or search.attempts > 400:
            return  # a small input space, or a cost that does not move: enough


def _finalists(search: _Search) -> list[_Tried]:
    """The inputs `_confirm` times again: the costliest distinct ones the clock resolves
    (cheaper ones are ranked by instruction count, if at all)."""
    most = search.countable_s()
    return [t for t in _choose(search.tried, search.options.max_case_s, FINALISTS)
            if t.cost > most]


def _confirm_reserve(search: _Search) -> float:
    """Seconds `_confirm` needs for the finalists as they stand, at most CONFIRM_SHARE of
    the budget."""
    need = sum(CONFIRM_RUNS * t.gross for t in _finalists(search))
    return min(need, CONFIRM_SHARE * search.options.budget_s)


def _confirm(search: _Search) -> int:
    """The finalists timed CONFIRM_RUNS more times each, costliest first while the budget
    lasts, each one's cost then the median of its timings. The search keeps an input on
    one timing (a gain on the lesser of two), so the costliest by that count are partly
    the luckiest: a run swings by tens of milliseconds on a busy machine, and an input
    measured once at its high swing would take a place in the suite from a costlier
    one. Returns how many were timed again."""
    confirmed = 0
    for t in _finalists(search):
        if search.left() < 1 + CONFIRM_RUNS * t.gross:
            continue
        grosses = [t.gross] + [g for g in (search._time(t.text) for _ in range(CONFIRM_RUNS))
                               if g is not None]
        t.gross = statistics.median(grosses)
        t.cost = search.net(t.gross)
        confirmed += 1
    return confirmed


def _shrink_if_slow(search: _Search, tried: _Tried) -> None:
    """An input over max_case_s stays out of the suite; the same plan at a smaller scale
    keeps its shape within the time a suite may cost."""
    if tried.cost <= search.options.max_case_s or tried.plan is None:
        return
    scale = _scaled_down(search, tried, tried.plan.scale)
    search.run(Plan(scale, tried.plan.seed, tried.plan.choices), tried.provenance)


def _scaled_down(search: _Search, tried: _Tried, scale: float) -> float:
    """The scale at which an input that cost too much should cost about target_cost_s
    (assuming roughly quadratic growth)."""
    return scale * (search.options.target_cost_s / tried.cost) ** 0.5


def _at_floor(search: _Search, chosen: list[_Tried]) -> bool:
    """Whether the chosen inputs' own work is below what the clock resolves: their median
    net cost under the search's floor. Picked as the costliest of many noisy runs, their
    first timings lean high, so unless that already settles it, each is timed twice more
    and its least cost counts."""
    floor = search.floor_s()
    median = statistics.median(t.cost for t in chosen)
    if median < floor or median > search.countable_s():
        return median < floor
    least = []
    for t in chosen:
        again = [g for g in (search._time(t.text), search._time(t.text)) if g is not None]
        least.append(min([t.cost, *map(search.net, again)]))
    return statistics.median(least) < floor


def _rank_by_instructions(search: _Search, chosen: list[_Tried]) -> tuple[int, list[_Tried]]:
    """The stress inputs by instruction count, for a search whose best inputs cost less
    than the clock can resolve: the costliest and the largest distinct inputs are
    counted (two at a time: counts do not depend on the load) and the highest counts
    kept, after any chosen input the clock does resolve (a seed among cheap inputs: the
    median is at the floor, that one is not). Returns how many were counted and the
    choice; the clock's choice when valgrind is missing, the budget is short or a count
    fails."""
    if not callgrind.available() or search.left() < IR_MIN_LEFT_S:
        return 0, chosen
    most = search.countable_s()
    above = [t for t in chosen if t.cost > most]
    fits = [t for t in search.tried if t.cost <= most]
    by_cost = sorted(fits, key=lambda t: -t.score)
    by_size = sorted(fits, key=lambda t: -len(t.text))
    pool: list[_Tried] = []
    for t in (t for both in zip(by_cost, by_size, strict=True) for t in both):
        if len(pool) < IR_CANDIDATES and all(t.text != p.text for p in pool):
            pool.append(t)
    if not pool:
        return 0, chosen

    def count(t: _Tried) -> int | None:
        limit = min(IR_RUN_S, search.left())
        if limit < 3:  # the budget is spent: this input keeps no count
            return None
        return callgrind.program_instructions(search.command, t.text.encode(), cwd=search.cwd,
                                              timeout_s=limit,
                                              memory_mb=search.options.memory_mb)

    try:
        with ThreadPoolExecutor(max_workers=2) as workers:
            counts = list(workers.map(count, pool))
    except BenchFailed:
        return 0, chosen
    for t, n in zip(pool, counts, strict=True):
        t.instructions = n
    ranked = sorted((t for t in pool if t.instructions is not None),
                    key=lambda t: -score(float(t.instructions or 0), t.hits))
    if len(ranked) < min(BEST_KEPT, len(pool)):
        return 0, chosen
    return len(ranked), (above + ranked)[:BEST_KEPT]


def _choose(tried: list[_Tried], max_case_s: float, kept: int = BEST_KEPT) -> list[_Tried]:
    """The `kept` best-scoring distinct inputs within max_case_s (the costliest, without a
    model's conditions): the stress inputs."""
    keep: list[_Tried] = []
    for t in sorted((t for t in tried if t.cost <= max_case_s), key=lambda t: -t.score):
        if len(keep) >= kept:
            break
        if all(t.text != k.text for k in keep):
            keep.append(t)
    return keep
