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
without valgrind the clock's ranking stands. While the inputs it would choose sit there,
the search stops early enough to leave the counts their time.
The suite holds the samples (provenance "sample", for correctness), the costliest distinct
inputs found ("generated"/"mutated": the stress inputs), the sweep points kept only for
the complexity fit ("sweep": not stress inputs; a cost mean over the suite leaves them out)
and small random inputs drawn before the sweep ("check": compared, never timed; a candidate
wrong on some values can pass the few costliest inputs).
The floor is `FLOOR_S`, or more on a busy machine: the empty program's own spread (its
slowest run over its median), since a run's work below that is lost in the jitter.

Cost: a case's `cost` is NET seconds (perfopt.bench.program_clock), the program's own
work: its wall time minus the median wall time of an empty program run the same way (same
interpreter, a no-op script), timed interleaved with the runs, floored at `NET_FLOOR_S`.
Interpreter start-up (~30 ms for CPython) would otherwise dominate every sample and cap
any slowdown ratio at ~10x. The gross (wall) seconds are kept in each case's note.

Modules: program_search (the state, one input run), program_sweep (the sweep, repairs,
seeds, the model's generator), program_mutate (the search from the best plan),
program_finalists (confirming and choosing the stress inputs); this one runs them in turn
and writes the suite.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from perfopt.bench.program_clock import FLOOR_S, NET_FLOOR_S, Startup, time_run
from perfopt.models import StressCase, StressSuite, Target
from perfopt.stress.conditions import ConditionRunner
from perfopt.stress.constraints import parse_constraints
from perfopt.stress.program_finalists import (
    BEST_KEPT,
    at_floor,
    can_rank,
    choose,
    confirm,
    rank_by_instructions,
)
from perfopt.stress.program_mutate import explore, mutate
from perfopt.stress.program_search import ProgramStressOptions, Search, Tried
from perfopt.stress.program_sweep import checks, from_model, seeds, sweep
from perfopt.stress.stdin_gen import InputModel
from perfopt.stress.structure import infer_structure
from perfopt.stress.sweep import fit_exponent

__all__ = [
    "BEST_KEPT", "FLOOR_S", "NET_FLOOR_S", "STATS_FILE", "GenerationStats", "ProgramStress",
    "ProgramStressOptions", "build_program_suite", "program_command", "sample_inputs",
    "startup_command", "stress_program",
]

SWEEP_KEPT = 3  # sweep points kept in the suite for the complexity fit (the largest ones)
SAMPLE_RUNS = 2  # a sample's cost is the min of this many runs (the first run pays cold caches)
STARTUP_FIRST = 2  # empty-program runs before anything else
WRITE_RESERVE_S = 1.0  # of the budget, kept for writing the suite after the search
STATS_FILE = "generation.json"
NOOP_FILE = ".startup_noop.py"  # the empty program; not a case: no suite names it


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
    # the costliest inputs timed again before the stress inputs were chosen (`confirm`)
    confirmed: int = 0
    # where the budget went: (phase, seconds) in order, and the longest input render
    phases_s: tuple[tuple[str, float], ...] = ()
    render_max_s: float = 0.0


@dataclass(frozen=True)
class ProgramStress:
    suite: StressSuite
    stats: GenerationStats


@dataclass(frozen=True)
class _Found:
    """What the search left for the suite: the stress inputs, the sweep points kept for
    the complexity fit, and how the choice went."""

    chosen: list[Tried]
    sweep_kept: list[Tried]
    complexity: float | None
    model_counts: tuple[int, int]  # the model's inputs: run, rejected
    confirmed: int
    counted: int
    checks: list[str]


class _Laps:
    """Where the budget went, phase by phase, for generation.json."""

    def __init__(self, started: float) -> None:
        self.phases: list[tuple[str, float]] = []
        self._since = started

    def __call__(self, phase: str) -> None:
        now = time.monotonic()
        self.phases.append((phase, round(now - self._since, 3)))
        self._since = now


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
    noop = out_dir / NOOP_FILE
    noop.write_text("", encoding="utf-8")
    deadline = started + max(options.budget_s - WRITE_RESERVE_S, options.budget_s / 2)
    startup = Startup(startup_command(cmd, program, noop), program.parent, options.memory_mb)
    search = Search(None, cmd, program.parent, options, deadline, startup,
                    conditions=conditions if conditions is not None and conditions.active
                    else None)
    laps = _Laps(started)
    search.time_startup(STARTUP_FIRST)
    sample_gross = _time_samples(search, texts)
    laps("samples")
    found = _search(search, texts, sample_gross, statement, laps)
    cases = [_write(out_dir, f"sample-{k}", "sample", text, gross, samples[k].name, search)
             for k, (text, gross) in enumerate(zip(texts, sample_gross, strict=True))]
    cases += _stress_cases(out_dir, search, found)
    noop.unlink(missing_ok=True)
    laps("write")
    stats = _stats(search, found, tuple(laps.phases))
    (out_dir / STATS_FILE).write_text(json.dumps(asdict(stats), indent=2), encoding="utf-8")
    suite = StressSuite(target=target, cases=tuple(cases), folder=str(out_dir),
                        complexity=found.complexity)
    return ProgramStress(suite, stats)


def _time_samples(search: Search, texts: list[str]) -> list[float | None]:
    """Each sample's gross seconds, the least of SAMPLE_RUNS runs (None when one fails).
    Samples are not bound by the search's deadline: the suite always holds them."""
    options = search.options
    sample_gross: list[float | None] = []
    for text in texts:
        runs = []
        for k in range(SAMPLE_RUNS):  # start-up and samples alternate: the same load
            runs.append(time_run(search.command, text.encode(), cwd=search.cwd,
                                 timeout_s=options.case_timeout_s,
                                 memory_mb=options.memory_mb))
            if k == 0:
                search.time_startup()
        sample_gross.append(min(r.seconds for r in runs) if all(r.ok for r in runs) else None)
    return sample_gross


def _search(search: Search, texts: list[str], sample_gross: list[float | None],
            statement: str | None, laps: _Laps) -> _Found:
    """The search's phases in turn, then the stress inputs chosen from what it ran."""
    options = search.options
    structure = infer_structure(texts, statement)
    complexity: float | None = None
    sweep_kept: list[Tried] = []
    small: list[str] = []
    model_before = (search.attempts, search.failures)
    if search.conditions is not None:  # the model's own inputs: they may need no grammar
        from_model(search, random.Random(options.seed + 2))
        laps("model")
    model_counts = (search.attempts - model_before[0], search.failures - model_before[1])
    if structure is not None:
        search.model = InputModel(structure, parse_constraints(statement or ""))
        small = checks(search, random.Random(options.seed + 4))
        laps("checks")
        points = sweep(search, random.Random(options.seed))
        laps("sweep")
        seeds(search, texts, sample_gross, random.Random(options.seed + 3))
        laps("seeds")
        explore(search)
        laps("explore")
        mutate(search, random.Random(options.seed + 1))
        laps("mutate")
        complexity = fit_exponent([len(t.text) for t in points], [t.gross for t in points],
                                  floor=search.startup_s())
        sweep_kept = points[-SWEEP_KEPT:]
    confirmed = confirm(search)
    chosen = choose(search.tried, options.max_case_s)
    counted = 0
    if chosen and can_rank(search, chosen) and at_floor(search, chosen):
        counted, chosen = rank_by_instructions(search, chosen)
    laps("choose")
    sweep_kept = [t for t in sweep_kept if all(t is not c for c in chosen)]
    return _Found(chosen, sweep_kept, complexity, model_counts, confirmed, counted, small)


def _stress_cases(out_dir: Path, search: Search, found: _Found) -> list[StressCase]:
    """The stress inputs, the sweep points kept for the complexity fit and the small
    inputs for equivalence only, written."""
    cases = []
    for k, tried in enumerate(found.chosen):
        provenance = "generated" if tried.provenance == "sweep" else tried.provenance
        note = tried.note
        if tried.hits:
            note = f"meets {sum(tried.hits)}/{len(tried.hits)} model conditions; {note}"
        if tried.instructions is not None:
            note = f"{tried.instructions:,} instructions; {note}"
        cases.append(_write(out_dir, f"{provenance}-{k}", provenance, tried.text, tried.gross,
                            note, search, size=len(tried.text)))
    for k, tried in enumerate(found.sweep_kept):
        cases.append(_write(out_dir, f"sweep-{k}", "sweep", tried.text, tried.gross,
                            f"complexity fit only; {tried.note}", search,
                            size=len(tried.text)))
    for k, text in enumerate(found.checks):
        cases.append(StressCase(f"check-{k}", "check", _payload(out_dir, f"check-{k}", text),
                                len(text), None, "small random input: equivalence only"))
    return cases


def _stats(search: Search, found: _Found, phases: tuple[tuple[str, float], ...]
           ) -> GenerationStats:
    runner = search.conditions
    names = tuple(runner.conditions) if runner is not None else ()
    model_run, model_rejected = found.model_counts
    return GenerationStats(
        search.attempts, search.attempts - search.failures, search.failures,
        round(search.startup_s(), 6), len(search.startup.runs_s),
        conditions=names,
        condition_hits=tuple(sum(1 for t in found.chosen if len(t.hits) > i and t.hits[i])
                             for i in range(len(names))),
        model_generated=model_run, model_accepted=model_run - model_rejected,
        model_note=runner.error if runner is not None else "",
        ranked_by_instructions=found.counted, confirmed=found.confirmed, phases_s=phases,
        render_max_s=round(search.render_max_s, 3))


def _write(folder: Path, case_id: str, provenance: str, text: str, gross: float | None,
           note: str, search: Search, size: int | None = None) -> StressCase:
    name = _payload(folder, case_id, text)
    cost = None if gross is None else search.net(gross)
    if gross is not None:
        note = f"{note}; gross {gross:.4f}s, start-up {search.startup_s():.4f}s"
    return StressCase(case_id, provenance, name, size if size is not None else len(text),
                      cost, note.lstrip("; "))


def _payload(folder: Path, case_id: str, text: str) -> str:
    name = f"{case_id}.in"
    (folder / name).write_text(text, encoding="utf-8")
    return name
