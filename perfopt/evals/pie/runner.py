"""`perfopt eval pie`: every pair through the same stress -> generate -> verify loop.

Per pair: a stress suite from the SLOW program (with the statement), the original's
outputs recorded once, then the engine's candidates through `programs.check_candidate`.
Engines: offline (codemods), llm (codemods + model, with refinement), reference (the
human fast program: the verifier's recall), mutants (behaviour-changing mutants of the
fast program: every one must be rejected). One JSON per pair makes a run resumable.
"""

from __future__ import annotations

import json
import math
import shutil
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

from perfopt.config import Settings
from perfopt.errors import UserError
from perfopt.evals.pie.data import PiePair, load_pairs, select_tests
from perfopt.evals.pie.metrics import PairResult, PieReport
from perfopt.models import Candidate, CandidateResult, Target, from_dict, to_dict

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
        rounds=3, timeout_s=60.0,
        extra={"stress_budget_s": 20.0, "stress_target_cost_s": 0.3,
               "stress_max_case_s": 1.0, "case_timeout_s": 10.0}))


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
    summary = {k: None if isinstance(v, float) and math.isnan(v) else v
               for k, v in report.summary().items()}  # NaN is not JSON
    (out / "report.json").write_text(json.dumps(
        {"summary": summary, "pairs": [to_dict(p) for p in results]}, indent=1),
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
    path.write_text(json.dumps(to_dict(result), indent=1), encoding="utf-8")
    return result


def _row(r: CandidateResult) -> dict:
    m = r.measurements[0] if r.measurements else None
    return {"origin": r.candidate.origin, "gate": r.verdict.gate,
            "reason": r.verdict.reason[:300], "speedup": m.speedup if m else None,
            "ci": [m.ci_low, m.ci_high] if m else None, "metric": m.metric if m else None}


def _evaluate(pair: PiePair, options: PieOptions, work: Path) -> PairResult:
    from perfopt.programs.build import ProgramOptions, build
    from perfopt.programs.candidates import ProgramLLM, codemod_candidates
    from perfopt.programs.cases import prepare_baseline
    from perfopt.programs.optimize import stress_suite, verify_all

    settings = options.settings
    popts = ProgramOptions.from_settings(settings)
    lang = pair.language
    ext = ".py" if lang == "python" else ".cpp"
    work.mkdir(parents=True, exist_ok=True)
    slow = work / f"slow{ext}"
    slow.write_text(pair.slow_code, encoding="utf-8")
    target = Target(file=slow.name, language=lang)
    measure_ref = (options.reference if options.reference is not None
                   else options.engine != "mutants") and bool(pair.fast_code)
    candidates: list[Candidate] = []
    if options.engine == "offline":
        candidates = codemod_candidates(pair.slow_code, target)
    elif options.engine == "reference":
        if not pair.fast_code:
            return PairResult(pair.pair_id, pair.problem_id, lang, options.engine,
                              status="skipped", error="no human fast program")
    base = PairResult(pair.pair_id, pair.problem_id, lang, options.engine)
    if not candidates and not measure_ref and options.engine == "offline":
        return base  # nothing to verify: the original stays, speedup 1.0
    samples = select_tests(pair, work / "tests")
    built = build(pair.slow_code, lang, work / "original", "original", popts)
    notes: list[str] = []
    llm = (ProgramLLM.create(settings, Path(options.out_dir), notes.append)
           if options.engine == "llm" else None)
    # with a model, its performance-characterizing conditions steer the stressor too
    suite = stress_suite(slow, built, samples, pair.statement, work / "suite", popts,
                         llm, notes.append)
    baseline = prepare_baseline(slow, lang, suite, samples, settings, work, popts, built=built)
    notes += baseline.notes
    from perfopt.programs.verify import check_candidate

    ref: CandidateResult | None = None
    if measure_ref:
        ref_cand = Candidate(target, pair.fast_code or "", "reference")
        ref = check_candidate(ref_cand, baseline, settings).result
    results: list[CandidateResult] = []
    mutants = (0, 0, 0, 0)
    if options.engine == "reference" and ref is not None:
        results = [ref]
    elif options.engine == "llm":
        cands = codemod_candidates(pair.slow_code, target)
        cands += llm.generate(target, pair.slow_code, suite) if llm else []
        results = verify_all(cands, baseline, settings, suite, llm)
    elif options.engine == "offline":
        results = verify_all(candidates, baseline, settings, suite, None)
    elif options.engine == "mutants":
        results, mutants = _mutants(pair, options, work, target, suite, samples, baseline)
    accepted = [r for r in results if r.verdict.accepted and r.measurements]
    best = max(accepted, key=lambda r: r.measurements[0].ci_low, default=None)
    gates: dict[str, int] = {}
    for r in results:
        gates[r.verdict.gate] = gates.get(r.verdict.gate, 0) + 1
    ref_m = ref.measurements[0] if ref is not None and ref.measurements else None
    return PairResult(
        pair.pair_id, pair.problem_id, lang, options.engine,
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
        mutants_invalid=mutants[2], mutants_accepted=mutants[3],
        stress_cases=len(suite.cases), notes=tuple(notes)[:10],
        verdicts=tuple(_row(r) for r in results[:40]))


def _mutants(pair, options, work, target, suite, samples, slow_baseline):
    """(verdicts of the behaviour-changing mutants, (kept, equivalent, invalid, accepted))."""
    from perfopt.evals.pie.mutants import generate_mutants
    from perfopt.programs.build import BuildError, build
    from perfopt.programs.cases import prepare_baseline
    from perfopt.programs.verify import check_candidate, equivalence

    settings = options.settings
    base = pair.fast_code or pair.slow_code  # PerfForge has no fast program: mutate the slow
    fast = work / f"fast{Path(target.file).suffix}"
    fast.write_text(base, encoding="utf-8")
    fast_baseline = prepare_baseline(fast, pair.language, suite, samples, settings,
                                     work / "fastbase", slow_baseline.options)
    kept = equivalent = invalid = accepted = 0
    results = []
    for k, m in enumerate(generate_mutants(base, pair.language, options.mutants_per_pair,
                                           options.seed)):
        try:
            built = build(m.source, pair.language, work / "mutants" / str(k), "mutant",
                          slow_baseline.options)
        except BuildError:
            invalid += 1
            continue
        same, _ = equivalence(built, fast_baseline, settings)
        if same.accepted:
            equivalent += 1  # behaves like the fast program on every input we have
            continue
        kept += 1
        cand = Candidate(target, m.source, f"mutant:{m.kind}", rationale=m.description)
        r = check_candidate(cand, slow_baseline, settings, built=built).result
        accepted += r.verdict.accepted
        results.append(r)
    return results, (kept, equivalent, invalid, accepted)
