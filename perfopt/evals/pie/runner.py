"""`perfopt eval pie`: an adapter that turns each pair into a program target and drives the
one loop (perfopt.pipeline) on it, then scores what the loop returns.

Per pair: the SLOW program is the target, its samples and statement the inputs; the loop
stresses it, records its outputs and judges the engine's candidates.
Engines: offline (codemods), llm (codemods + model, with refinement), reference (the
human fast program: the verifier's recall), mutants (behaviour-changing mutants of the
fast program: every one must be rejected). One JSON per pair makes a run resumable.
"""

from __future__ import annotations

import json
import shutil
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

from perfopt import jsonout
from perfopt.config import Settings
from perfopt.errors import UserError
from perfopt.evals.pie.data import PiePair, load_pairs, select_tests
from perfopt.evals.pie.metrics import PairResult, PieReport
from perfopt.models import (
    Candidate,
    CandidateResult,
    RunResult,
    StressSuite,
    from_dict,
    to_dict,
)
from perfopt.targets.base import Work

ENGINES = ("offline", "llm", "reference", "mutants")


@dataclass(frozen=True)
class PieOptions:
    data: Path
    out_dir: Path = Path("pie-results")
    limit: int | None = None
    engine: str = "offline"
    jobs: int = 1
    executor: str = "local"
    force: bool = False
    reference: bool | None = None  # measure the human speedup too (None: not for mutants)
    mutants_per_pair: int = 16
    seed: int = 0
    keep_work: bool = False
    # rounds=3 gives critic's 6 samples a side; timing the whole dev split at 6 rounds
    # would take ~10 hours on 2 cores
    settings: Settings = field(default_factory=lambda: Settings(
        rounds=3, timeout_s=60.0, program_stress_budget_s=20.0, program_stress_cost_s=0.3,
        program_max_case_s=1.0, case_timeout_s=10.0))


def run_pie(options: PieOptions) -> PieReport:
    """Evaluate every pair (resuming from per-pair JSON) and write `report.md` + `report.json`."""
    from perfopt.evals.executors import run_all

    if options.engine not in ENGINES:
        raise UserError(f"unknown engine '{options.engine}'; use one of {', '.join(ENGINES)}")
    if options.engine == "llm" and not options.settings.model:
        raise UserError("engine llm needs a model: pass --model NAME (and OPENAI_BASE_URL)")
    started = time.monotonic()
    pairs = load_pairs(options.data, options.limit)
    out = Path(options.out_dir).resolve()
    (out / "pairs").mkdir(parents=True, exist_ok=True)
    options = replace(options, out_dir=out, data=Path(options.data).resolve())
    todo = [p for p in pairs if options.force or _load(out, p, options.engine) is None]
    run_all(evaluate_pair, [(p, options) for p in todo], options.jobs, options.executor,
            return_exceptions=True)
    results = tuple(_load(out, p, options.engine) or _failed(p, options.engine, "no result written")
                    for p in pairs)
    report = PieReport(options.engine, results, time.monotonic() - started)
    (out / "report.md").write_text(report.markdown(), encoding="utf-8")
    (out / "report.json").write_text(jsonout.dumps(
        {"summary": report.summary(), "pairs": [to_dict(p) for p in results]}, indent=1),
        encoding="utf-8")
    return report


def _path(out: Path, pair: PiePair, engine: str) -> Path:
    return out / "pairs" / f"{pair.pair_id}.{engine}.json"


def _load(out: Path, pair: PiePair, engine: str) -> PairResult | None:
    """A finished pair's result; errors are retried, so they do not count as finished."""
    for path in [_path(out, pair, engine)]:
        if not path.is_file():
            continue
        try:
            result = from_dict(PairResult, json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            continue
        if result.status == "ok":
            return result
    return None


def _failed(pair: PiePair, engine: str, error: str) -> PairResult:
    return PairResult(pair.pair_id, pair.problem_id, pair.language, engine, status="error",
                      error=error)


def evaluate_pair(job: tuple[PiePair, PieOptions]) -> PairResult:
    """One pair, end to end; never raises (an error is a result), writes its JSON."""
    pair, options = job
    work = Path(options.out_dir) / "work" / pair.pair_id
    started = time.monotonic()
    try:
        result = _evaluate(pair, options, work)
    except Exception as exc:  # noqa: BLE001 - one broken pair must not stop the run
        tail = traceback.format_exc().strip().splitlines()[-3:]
        result = _failed(pair, options.engine,
                         f"{type(exc).__name__}: {exc}"[:500] + " | " + " / ".join(tail)[:500])
    finally:
        if not options.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    result = replace(result, seconds=round(time.monotonic() - started, 1))
    # the engine is in the file name only to keep runs of different engines apart
    path = _path(Path(options.out_dir), pair, options.engine)
    path.write_text(jsonout.dumps(to_dict(result), indent=1), encoding="utf-8")
    return result


def _row(r: CandidateResult) -> dict:
    m = r.measurements[0] if r.measurements else None
    return {"origin": r.candidate.origin, "gate": r.verdict.gate,
            "reason": r.verdict.reason[:300], "speedup": m.speedup if m else None,
            "ci": [m.ci_low, m.ci_high] if m else None, "metric": m.metric if m else None}


@dataclass
class _Extra:
    """The candidates a pair brings to the loop (the human fast program, mutants of it)
    and what the mutant filter counted: (kept, equivalent to the fast program, invalid)."""

    pair: PiePair
    options: PieOptions
    work: Path
    samples: Path
    reference: bool
    mutants: tuple[int, int, int] = (0, 0, 0)

    def __call__(self, work: Work, suite: StressSuite) -> list[Candidate]:
        if self.options.keep_work and suite.folder:  # the inputs a rejection names
            keep = self.work / "suite"
            shutil.copytree(suite.folder, keep, dirs_exist_ok=True)
            (keep / "cases.json").write_text(jsonout.dumps(
                {c.id: c.payload for c in suite.cases}), encoding="utf-8")
        out = []
        if self.reference:
            out.append(Candidate(work.target, self.pair.fast_code or "", "reference"))
        if self.options.engine == "mutants":
            kept, self.mutants = behaviour_changing_mutants(
                self.pair, self.options, self.work, work, suite, self.samples)
            out += kept
        return out


def _evaluate(pair: PiePair, options: PieOptions, work: Path) -> PairResult:
    from perfopt.events import Silent
    from perfopt.generate import make_generator
    from perfopt.pipeline import Job, RunOptions, run
    from perfopt.targets.program import ProgramKind

    settings = options.settings
    lang = pair.language
    if options.engine == "reference" and not pair.fast_code:
        return PairResult(pair.pair_id, pair.problem_id, lang, options.engine,
                          status="skipped", error="no human fast program")
    work.mkdir(parents=True, exist_ok=True)
    slow = work / f"slow{'.py' if lang == 'python' else '.cpp'}"
    slow.write_text(pair.slow_code, encoding="utf-8")
    measure_ref = (options.reference if options.reference is not None
                   else options.engine != "mutants") and bool(pair.fast_code)
    samples = select_tests(pair, work / "tests")
    notes: list[str] = []
    model = (make_generator(settings, Path(options.out_dir), notes.append)
             if options.engine == "llm" else None)
    extra = _Extra(pair, options, work, samples, measure_ref)
    wanted = measure_ref or options.engine == "mutants" or options.keep_work
    job = Job(ProgramKind(slow, samples, pair.statement), settings, str(slow), model=model,
              codemods=options.engine in ("offline", "llm"), extra=extra if wanted else None)
    run_result = run(job, RunOptions(), Silent())
    notes = [*run_result.warnings, *notes]
    ref = next((r for r in run_result.results if r.candidate.origin == "reference"), None)
    results = [r for r in run_result.results
               if r.candidate.origin != "reference" or options.engine == "reference"]
    return _pair_result(pair, options, results, ref, extra.mutants, run_result, notes)


def _pair_result(pair: PiePair, options: PieOptions, results: list[CandidateResult],
                 ref: CandidateResult | None, mutants: tuple[int, int, int],
                 run_result: RunResult, notes: list[str]) -> PairResult:
    accepted = [r for r in results if r.verdict.accepted and r.measurements]
    best = max(accepted, key=lambda r: r.measurements[0].ci_low, default=None)
    gates: dict[str, int] = {}
    for r in results:
        gates[r.verdict.gate] = gates.get(r.verdict.gate, 0) + 1
    ref_m = ref.measurements[0] if ref is not None and ref.measurements else None
    mutants_accepted = sum(r.verdict.accepted for r in results
                           if r.candidate.origin.startswith("mutant:"))
    inputs = max((o.inputs for o in run_result.outcomes), default=0)
    return PairResult(
        pair.pair_id, pair.problem_id, pair.language, options.engine,
        candidates=len(results), accepted=len(accepted),
        correct=any(r.verdict.gate in ("accepted", "benchmark") for r in results),
        speedup=best.measurements[0].speedup if best else 1.0,
        best_origin=best.candidate.origin if best else "",
        reference_speedup=ref_m.speedup if ref_m else None,
        reference_ci=(ref_m.ci_low, ref_m.ci_high) if ref_m else None,
        reference_accepted=ref.verdict.accepted if ref is not None else None,
        reference_gate=ref.verdict.gate if ref is not None else "",
        reference_reason=ref.verdict.reason[:300] if ref is not None else "",
        gates=gates, mutants_kept=mutants[0], mutants_equivalent=mutants[1],
        mutants_invalid=mutants[2], mutants_accepted=mutants_accepted,
        stress_cases=inputs, notes=tuple(notes)[:10],
        verdicts=tuple(_row(r) for r in results[:40]))


def behaviour_changing_mutants(pair: PiePair, options: PieOptions, work: Path, slow: Work,
                               suite: StressSuite, samples: Path
                               ) -> tuple[list[Candidate], tuple[int, int, int]]:
    """Mutants of the fast program (PerfForge has none: of the slow one) that behave
    differently from it on the suite: (those, (kept, equivalent, invalid)). A mutant that
    matches the fast program everywhere is not a wrong program we could catch."""
    from perfopt.evals.pie.mutants import generate_mutants
    from perfopt.events import Silent
    from perfopt.targets.base import Rejected, Skip
    from perfopt.targets.program import ProgramKind

    base = pair.fast_code or pair.slow_code
    fast = work / f"fast{Path(slow.target.file).suffix}"
    fast.write_text(base, encoding="utf-8")
    kept: list[Candidate] = []
    equivalent = invalid = 0
    with ProgramKind(fast, samples).open(options.settings, Silent(), lambda _: None) as session:
        (fast_work,) = session.targets()
        try:
            fast_baseline = session.record(fast_work, suite)
        except Skip:  # the fast program runs on none of the inputs: nothing to tell apart
            return [], (0, 0, 0)
        for m in generate_mutants(base, pair.language, options.mutants_per_pair, options.seed):
            cand = Candidate(slow.target, m.source, f"mutant:{m.kind}", rationale=m.description)
            try:
                with session.replace(fast_work, cand) as tree:
                    same = session.compare(tree, fast_baseline)
            except Rejected:
                invalid += 1
                continue
            if same.accepted:
                equivalent += 1  # behaves like the fast program on every input we have
                continue
            kept.append(cand)
    return kept, (len(kept), equivalent, invalid)
