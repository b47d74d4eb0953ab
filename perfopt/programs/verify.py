"""Verify a whole-program candidate: unchanged -> compile -> equivalence -> benchmark.

The gates mirror `pipeline.verify_candidate` for functions; the first that fails names the
verdict. Equivalence runs the samples first (cheap, judged against expected outputs) and
stops at the first difference. The benchmark is `bench.programs.compare_programs`
(interleaved ABBA runs in fresh processes, speedup CI of total seconds per run), plus
exact instruction counts for C++ when valgrind is installed; `critic.accept` decides.
"""

from __future__ import annotations

import difflib
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from perfopt.config import Settings
from perfopt.models import Candidate, CandidateResult, Measurement, StressSuite, Target, Verdict
from perfopt.programs.build import BuildError, Built, ProgramOptions, build, portable_command
from perfopt.programs.cases import Baseline, prepare_baseline, run_case
from perfopt.programs.outputs import first_difference

# Instruction counts run the whole suite under valgrind (~100x native, measured in
# bench/programs.py); beyond this many native seconds per side (~60 s counted) we skip them.
INSTR_NATIVE_BUDGET_S = 0.6
# A promising but unproven wall speedup (point above min_speedup, interval straddling it)
# gets this many times the rounds once more, pooled with the first: on a loaded 2-core box
# 6 samples a side gave +-30% intervals and missed half the real 1.1-1.2x human speedups.
EXTEND_FACTOR = 2


@dataclass(frozen=True)
class ProgramVerification:
    result: CandidateResult
    # (case id, original seconds, candidate seconds) from the equivalence runs
    per_input: tuple[tuple[str, float, float], ...] = ()


def same_program(a: str, b: str, language: str) -> bool:
    if language == "python":
        from perfopt.languages.python import same_code

        return same_code(a, b)
    return " ".join(a.split()) == " ".join(b.split())


def verify_program(original: Path, candidate_source: str, language: str,
                   suite: StressSuite | None, samples_dir: Path | None, settings: Settings,
                   *, baseline: Baseline | None = None, origin: str = "candidate",
                   options: ProgramOptions | None = None) -> CandidateResult:
    """The verdict on one whole-file candidate. Pass `baseline` (from `prepare_baseline`)
    to reuse the original's build and outputs across candidates."""
    return verify_detailed(original, candidate_source, language, suite, samples_dir, settings,
                           baseline=baseline, origin=origin, options=options).result


def verify_detailed(original: Path, candidate_source: str, language: str,
                    suite: StressSuite | None, samples_dir: Path | None, settings: Settings,
                    *, baseline: Baseline | None = None, origin: str = "candidate",
                    options: ProgramOptions | None = None) -> ProgramVerification:
    original = Path(original)
    target = Target(file=original.name, language=language)
    cand = Candidate(target=target, source=candidate_source, origin=origin)
    if baseline is None:
        with tempfile.TemporaryDirectory(prefix="perfopt-program-") as tmp:
            try:
                baseline = prepare_baseline(original, language, suite, samples_dir, settings,
                                            Path(tmp), options)
            except BuildError as exc:
                verdict = Verdict.reject("sandbox", f"the original does not build: {exc}")
                return ProgramVerification(CandidateResult(cand, verdict))
            return check_candidate(cand, baseline, settings)
    return check_candidate(cand, baseline, settings)


def check_candidate(cand: Candidate, baseline: Baseline, settings: Settings, *,
                    built: Built | None = None) -> ProgramVerification:
    """The gates for `cand` (a whole file) against a prepared baseline; `built` reuses a
    build of exactly `cand.source` made in a folder that outlives this call."""
    language = baseline.built.language
    if same_program(baseline.source, cand.source, language):
        return ProgramVerification(CandidateResult(cand, Verdict.reject(
            "unchanged", "candidate is the original program (modulo formatting)")))
    diff = "".join(difflib.unified_diff(
        baseline.source.splitlines(keepends=True), cand.source.splitlines(keepends=True),
        fromfile=f"a/{cand.target.file}", tofile=f"b/{cand.target.file}"))
    with tempfile.TemporaryDirectory(prefix="cand-", dir=baseline.workdir) as tmp:
        try:
            if built is None or built.source_file.read_text(encoding="utf-8") != cand.source:
                built = build(cand.source, language, Path(tmp), "candidate", baseline.options)
        except BuildError as exc:
            return ProgramVerification(CandidateResult(cand, Verdict.reject("compile", str(exc)),
                                                       diff=diff))
        verdict, per_input = equivalence(built, baseline, settings)
        if not verdict.accepted:
            return ProgramVerification(CandidateResult(cand, verdict, diff=diff), per_input)
        from perfopt.bench import critic
        from perfopt.bench.timing import BenchFailed

        try:
            measurements = measure(baseline, built, settings)
        except BenchFailed as exc:
            return ProgramVerification(
                CandidateResult(cand, Verdict.reject(exc.gate, exc.reason), diff=diff),
                per_input)
        verdict = critic.accept(measurements, critic.policy_from_settings(settings))
        return ProgramVerification(CandidateResult(cand, verdict, measurements, diff=diff),
                                   per_input)


def equivalence(built: Built, baseline: Baseline,
                settings: Settings) -> tuple[Verdict, tuple[tuple[str, float, float], ...]]:
    """Same answer as the judge (samples) and as the original (stress inputs), case by case."""
    opts = baseline.options
    per_input: list[tuple[str, float, float]] = []
    # A candidate may be slower than the original, but not without bound: a hang is a
    # timeout, never a pass.
    for case in baseline.cases:
        limit = min(opts.case_timeout_s, max(1.0, 10 * baseline.seconds[case.id] + 1.0))
        proc = run_case(built.command, case, built.source_file.parent, limit, settings.memory_mb)
        if proc.timed_out:
            return Verdict.reject("timeout", f"no answer on {case.id} within {limit:.1f} s "
                                  f"(the original took {baseline.seconds[case.id]:.2f} s)"), \
                tuple(per_input)
        if proc.returncode != 0:
            return Verdict.reject("equivalence", f"exit {proc.returncode} on {case.id}: "
                                  f"{proc.tail(4, 400)}"), tuple(per_input)
        want = case.expected if case.expected is not None else baseline.outputs[case.id]
        problem = first_difference(want, proc.stdout, opts.abs_tol, opts.rel_tol)
        if problem:
            whose = "expected output" if case.expected is not None else "original's output"
            return Verdict.reject("equivalence", f"{case.id}: differs from the {whose} "
                                  f"({problem})"), tuple(per_input)
        per_input.append((case.id, baseline.seconds[case.id], proc.seconds))
    if not baseline.cases:
        return Verdict.reject("equivalence", "could not tell: no input the original runs on"), ()
    return Verdict.accept(f"same output on {len(baseline.cases)} inputs"), tuple(per_input)


def measure(baseline: Baseline, built: Built, settings: Settings) -> tuple[Measurement, ...]:
    from perfopt.bench import callgrind
    from perfopt.bench.programs import compare_programs

    by_id = {c.id: c for c in baseline.cases}
    inputs = [by_id[i].data for i in baseline.timed]
    cwd = built.source_file.parent
    (wall,) = compare_programs(baseline.built.command, built.command, inputs, settings, cwd=cwd,
                               count_instructions=False)
    if wall.ci_low < settings.min_speedup <= wall.speedup and EXTEND_FACTOR:
        wall = _extend(wall, baseline.built.command, built.command, inputs, settings, cwd)
    native_s = sum(baseline.seconds[i] for i in baseline.timed)
    if (built.language != "cpp" or settings.metric == "wall" or not callgrind.available()
            or max(native_s, statistics.median(wall.baseline)) > INSTR_NATIVE_BUDGET_S):
        return (wall,)
    started = time.perf_counter()
    cmds = (portable_command(baseline.built, baseline.options),
            portable_command(built, baseline.options))

    counts = callgrind.programs_instructions(
        [(cmd, data) for cmd in cmds for data in inputs], cwd=cwd,
        timeout_s=settings.timeout_s, memory_mb=settings.memory_mb)
    base, cand = sum(counts[:len(inputs)]), sum(counts[len(inputs):])
    ratio = base / max(cand, 1)
    counted = Measurement(
        metric="instructions", baseline=(float(base),), candidate=(float(cand),),
        speedup=ratio, ci_low=ratio, ci_high=ratio, confidence=settings.confidence,
        seconds_spent=time.perf_counter() - started,
        note=f"callgrind Ir of the whole programs on {len(inputs)} input(s), portable build")
    return (counted, wall)


def _extend(wall: Measurement, cmd_a: tuple[str, ...], cmd_b: tuple[str, ...],
            inputs: list[bytes], settings: Settings, cwd: Path) -> Measurement:
    from perfopt.bench.programs import compare_programs
    from perfopt.bench.stats import shift_ci

    more_settings = settings.replace(rounds=settings.rounds * EXTEND_FACTOR)
    (more,) = compare_programs(cmd_a, cmd_b, inputs, more_settings, cwd=cwd,
                               count_instructions=False)
    base, cand = wall.baseline + more.baseline, wall.candidate + more.candidate
    point, low, high = shift_ci(base, cand, settings.confidence)
    return Measurement(
        metric="wall", baseline=base, candidate=cand, speedup=point, ci_low=low, ci_high=high,
        confidence=settings.confidence, loops=wall.loops,
        seconds_spent=wall.seconds_spent + more.seconds_spent,
        note=f"{wall.note}; extended by {more_settings.rounds} rounds (the first interval "
        f"[{wall.ci_low:.2f}, {wall.ci_high:.2f}] straddled {settings.min_speedup:.2f}x)")
