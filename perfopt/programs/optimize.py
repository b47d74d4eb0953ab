"""`perfopt optimize prog.py --inputs DIR`: stress, generate, verify, report one program."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from perfopt.config import Settings
from perfopt.errors import TargetError
from perfopt.models import Candidate, CandidateResult, RunResult, StressSuite, Target
from perfopt.programs.build import BuildError, Built, ProgramOptions, build, language_of
from perfopt.programs.candidates import ProgramLLM, codemod_candidates
from perfopt.programs.cases import Baseline, prepare_baseline
from perfopt.programs.verify import check_candidate

ENGINES = ("auto", "offline", "llm")


def stress_suite(program: Path, built: Built, samples_dir: Path, statement: str | None,
                 out_dir: Path, options: ProgramOptions, llm: ProgramLLM | None = None,
                 warn: Callable[[str], None] = lambda _: None) -> StressSuite:
    """The stressor's suite for `program` (its payloads are stdin files in `out_dir`).
    With a model, its performance-characterizing conditions and generator join the
    search (perfopt.stress.conditions)."""
    from perfopt.stress.conditions import ConditionRunner
    from perfopt.stress.programs import ProgramStressOptions, sample_inputs, stress_program

    stress_options = ProgramStressOptions(
        budget_s=options.stress_budget_s, target_cost_s=options.stress_target_cost_s,
        max_case_s=options.stress_max_case_s, case_timeout_s=options.case_timeout_s)
    runner = None
    if llm is not None:
        samples = [p.read_text(encoding="utf-8", errors="replace")
                   for p in sample_inputs(samples_dir)]
        code = llm.stress_code(Path(program).read_text(encoding="utf-8"), built.language,
                               statement, samples)
        if code is not None:
            runner = ConditionRunner(code, cwd=out_dir.parent)
            if runner.error:
                warn(f"stress: {runner.error}; stressing without the model's conditions")
    try:
        return stress_program(program, built.language, samples_dir, statement, out_dir,
                              budget_s=options.stress_budget_s, python=options.python,
                              command=built.command, options=stress_options,
                              conditions=runner)
    finally:
        if runner is not None:
            runner.close()


def read_statement(inputs_dir: Path) -> str | None:
    for name in ("statement.txt", "statement.md", "problem.txt"):
        path = Path(inputs_dir) / name
        if path.is_file():
            return path.read_text(encoding="utf-8", errors="replace")
    return None


def verify_all(candidates: list[Candidate], baseline: Baseline, settings: Settings,
               suite: StressSuite | None, llm: ProgramLLM | None,
               note: Callable[[str], None] = lambda _: None) -> list[CandidateResult]:
    """Every candidate through the gates; an LLM's rejected ones get `refine_rounds` fixes."""
    results: list[CandidateResult] = []
    for cand in candidates:
        rounds = settings.refine_rounds if llm is not None and cand.origin.startswith("llm:") \
            else 0
        for _ in range(1 + rounds):
            result = check_candidate(cand, baseline, settings).result
            results.append(result)
            note(f"{cand.origin}: {result.verdict.gate} {result.verdict.reason[:120]}")
            if result.verdict.accepted or llm is None or rounds == 0:
                break
            refined = llm.refine(cand, result.verdict.gate, result.verdict.reason,
                                 baseline.source, suite)
            if refined is None:
                break
            cand = refined
    return results


def optimize_program(program: Path, inputs_dir: Path, settings: Settings,
                     statement: str | None = None, engine: str = "auto", *,
                     apply: bool = False, note: Callable[[str], None] = lambda _: None
                     ) -> RunResult:
    """Optimize a stdin program: `inputs_dir` holds sample inputs (`input.N.txt` /
    `*.in`, with `output.N.txt` / `*.out` when known) and optionally `statement.txt`.
    engine: "offline" (codemods), "llm" (codemods + model), "auto" (llm if configured)."""
    from perfopt.pipeline import best_per_target
    from perfopt.verify.workspace import atomic_write

    if engine not in ENGINES:
        raise TargetError(f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}")
    program, inputs_dir = Path(program).resolve(), Path(inputs_dir).resolve()
    if not program.is_file():
        raise TargetError(f"{program} does not exist; pass a .py or .cpp program")
    if not inputs_dir.is_dir():
        raise TargetError(f"--inputs {inputs_dir} is not a folder of input files")
    started = time.monotonic()
    warnings: list[str] = []

    def warn(text: str) -> None:
        # collected for the report, which prints every warning once at the end
        warnings.append(text)

    source = program.read_text(encoding="utf-8")
    try:
        language = language_of(program, source)
    except BuildError as exc:
        raise TargetError(str(exc)) from None
    options = ProgramOptions.from_settings(settings)
    statement = statement if statement is not None else read_statement(inputs_dir)
    target = Target(file=program.name, language=language)
    llm = None
    if engine != "offline":
        llm = ProgramLLM.create(settings, program.parent, warn)
        if llm is None and engine == "llm":
            raise TargetError("engine llm needs a model: pass --model NAME (and OPENAI_BASE_URL)")
    with tempfile.TemporaryDirectory(prefix="perfopt-program-") as tmp:
        work = Path(tmp)
        try:
            built = build(source, language, work / "original", "original", options)
        except BuildError as exc:
            raise TargetError(f"{program.name} does not build: {exc}") from None
        note(f"stress: building inputs for {program.name} ({options.stress_budget_s:g} s)")
        suite = stress_suite(program, built, inputs_dir, statement, work / "suite", options,
                             llm, warn)
        baseline = prepare_baseline(program, language, suite, inputs_dir, settings, work,
                                    options, built=built)
        warnings.extend(baseline.notes)
        candidates = codemod_candidates(source, target)
        if llm is not None:
            candidates += llm.generate(target, source, suite)
        if not candidates:
            warn("no codemod applies to this program (a model may find more: --model)")
        results = verify_all(candidates, baseline, settings, suite, llm, note)
    best = best_per_target(results)
    patch = best[0].diff if best else ""
    applied: list[str] = []
    if apply and best:
        atomic_write(program, best[0].candidate.source)
        applied.append(str(program))
    return RunResult(project=str(program), results=tuple(results), applied=tuple(applied),
                     patch=patch, warnings=tuple(warnings),
                     seconds=round(time.monotonic() - started, 2),
                     usage=llm.usage() if llm is not None else {})
