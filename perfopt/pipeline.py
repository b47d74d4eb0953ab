"""The one pipeline: discover -> profile -> stress -> diagnose -> generate -> verify -> report.

Every entry point (optimize, ci, eval) drives `optimize_project`. This module knows no single
profiler, model or language detail: it calls each stage through its package.
"""

from __future__ import annotations

import difflib
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from perfopt.discover import Project
from perfopt.events import Events
from perfopt.models import Candidate, CandidateResult, Hotspot, RunResult, StressSuite, Verdict


@dataclass(frozen=True)
class RunOptions:
    apply: bool = False
    patch_file: Path | None = None
    show_prompts: bool = False


def optimize_project(project: Project, options: RunOptions, events: Events) -> RunResult:
    from perfopt import profilers, stress
    from perfopt.languages import python as pylang
    from perfopt.verify import equivalence
    from perfopt.verify.workspace import Workspace, atomic_write

    started = time.monotonic()
    settings = project.settings
    warnings: list[str] = []

    def warn(text: str) -> None:
        warnings.append(text)
        events.warn(text)

    with (
        Workspace.create(project.root) as base,
        tempfile.TemporaryDirectory(prefix="perfopt-scratch-") as scratch,
    ):
        events.stage("profile", _describe_workload(project))
        profile = profilers.profile(
            base.root, project.workload, settings, python=project.python, console_note=warn
        )
        _check_workload(profile, project)
        hotspots = profilers.rank_hotspots(profile, base.root, settings, limit=settings.top * 4)
        # module-level code (qualname None) is a whole-program target, not a function one
        hotspots = [
            h for h in hotspots if h.target.qualname and project.focus in (None, h.target.file)
        ][: settings.top]
        if not hotspots:
            warn("no project function showed up in the profile; a longer workload helps")
        events.note(_hotspot_lines(hotspots))

        events.stage("stress", f"capturing real calls of {len(hotspots)} hotspots")
        capture_dir = Path(scratch) / "captures"
        reports = profilers.capture_calls(
            base.root,
            project.workload,
            [h.target for h in hotspots],
            capture_dir,
            settings,
            python=project.python,
        )
        suites: dict[str, StressSuite] = {}
        # the model (when there is one) first states what makes each hotspot slow
        generator = _make_llm(project, options, events, warn)
        for h in hotspots:
            report = reports.get(h.target.key)
            suite = stress.build_suite(h.target, capture_dir, report)
            if settings.stress_budget_s > 0:  # no captured call: seeds from type hints
                events.stage("stress", f"{h.target.key}: scaled and searched inputs")
                suite = _stress_function(base.root, h, suite, Path(scratch), settings, project,
                                         generator)
            suites[h.target.key] = suite
            if report is not None and report.unpicklable:
                warn(
                    f"{h.target.key}: {report.unpicklable} captured calls had unpicklable arguments"
                )

        results: list[CandidateResult] = []
        for index, h in enumerate(hotspots):
            file_text = (base.root / h.target.file).read_text(encoding="utf-8")
            original_def = pylang.get_function(file_text, h.target.qualname or "")
            suite = suites[h.target.key]
            if options.show_prompts:
                events.note(_preview(h, original_def, suite, project))
                continue
            if not suite.cases:
                warn(f"{h.target.key}: no captured calls (and no type hints to draw calls "
                     "from) to compare behaviour on; skipped")
                continue
            recorded = Path(scratch) / f"outcomes-{index}.pkl"
            events.stage("record", f"{h.target.key} on {len(suite.cases)} inputs")
            baseline_ok = equivalence.record_outcomes(
                base.root, h.target, suite, settings, recorded
            )
            if not baseline_ok.accepted:
                warn(
                    f"{h.target.key}: cannot record the original's behaviour "
                    f"({baseline_ok.reason}); skipped"
                )
                continue
            events.stage("generate", h.target.key)
            candidates = _codemod_candidates(h, original_def)
            if generator is not None:
                candidates += generator.generate(h, original_def, suite)
            if not candidates:
                events.note(f"{h.target.key}: no codemod applies (a model may find more)")
            for cand in candidates:
                for _round in range(1 + (settings.refine_rounds if generator else 0)):
                    events.stage("verify", f"{h.target.key} <- {cand.origin}")
                    result = verify_candidate(
                        base, cand, file_text, suite, project, recorded=recorded
                    )
                    results.append(result)
                    events.candidate_done(
                        h.target.key, cand.origin, result.verdict.gate, result.speedup
                    )
                    if (
                        result.verdict.accepted
                        or generator is None
                        or not cand.origin.startswith("llm:")
                    ):
                        break
                    refined = generator.refine(h, original_def, result, suite)
                    if refined is None:
                        break
                    cand = refined

        chosen = best_per_target(results)
        new_files, combined_verdict = _combine(base, chosen, project)
        if combined_verdict is not None and not combined_verdict.accepted:
            warn(
                f"accepted candidates fail the tests together: {combined_verdict.reason}; "
                "nothing is applied"
            )
            new_files = {}
        patch = "".join(
            _unified_diff(rel, (base.root / rel).read_text(encoding="utf-8"), text)
            for rel, text in sorted(new_files.items())
        )
        applied: list[str] = []
        if options.patch_file is not None and patch:
            atomic_write(options.patch_file, patch)
        if options.apply:
            for rel, text in sorted(new_files.items()):
                # never overwrite an edit the user made while perfopt was running
                current = (project.root / rel).read_text(encoding="utf-8")
                if current != (base.root / rel).read_text(encoding="utf-8"):
                    warn(f"{rel} changed while perfopt ran; not applied (rerun perfopt)")
                    continue
                atomic_write(project.root / rel, text)
                applied.append(rel)
    usage = generator.usage() if generator is not None else {}
    return RunResult(
        project=str(project.root),
        hotspots=tuple(hotspots),
        results=tuple(results),
        applied=tuple(applied),
        patch=patch,
        warnings=tuple(warnings),
        profiler=profile.profiler,
        seconds=round(time.monotonic() - started, 2),
        usage=usage,
    )


def verify_candidate(
    base,
    candidate: Candidate,
    file_text: str,
    suite: StressSuite,
    project: Project,
    *,
    recorded: Path | None = None,
) -> CandidateResult:
    """Run the gates in order; the first that fails names the verdict.

    `recorded` holds the original's outcomes on the suite (recorded once per target);
    without it they are recorded here."""
    from perfopt.bench import critic, measure, timing
    from perfopt.languages import python as pylang
    from perfopt.verify import equivalence
    from perfopt.verify.tests import NO_TESTS_REASON, run_tests, tests_verdict

    target, settings = candidate.target, project.settings
    qualname = target.qualname or ""
    original_def = pylang.get_function(file_text, qualname)
    if pylang.same_code(original_def, candidate.source):
        return CandidateResult(
            candidate,
            Verdict.reject("unchanged", "candidate is the original code (modulo formatting)"),
        )
    try:
        new_text = pylang.replace_function(file_text, qualname, candidate.source)
    except ValueError as exc:
        return CandidateResult(candidate, Verdict.reject("parse", str(exc)))
    error = pylang.syntax_error(new_text)
    if error:
        return CandidateResult(candidate, Verdict.reject("compile", error))
    diff = _unified_diff(target.file, file_text, new_text)
    with base.clone("candidate") as cand_ws:
        cand_ws.write(target.file, new_text)
        verdict = equivalence.check(
            base.root, cand_ws.root, target, suite, settings, recorded=recorded
        )
        if not verdict.accepted:
            return CandidateResult(candidate, verdict, diff=diff)
        verdict = tests_verdict(run_tests(cand_ws.root, settings, _test_command(project)))
        if not verdict.accepted:
            return CandidateResult(candidate, verdict, diff=diff)
        tests_note = (
            " (the project collected no tests)" if verdict.reason == NO_TESTS_REASON else ""
        )
        try:
            measurements = measure.measure_all(
                base.root, cand_ws.root, target, timing_suite(suite), settings
            )
        except timing.BenchFailed as exc:
            return CandidateResult(candidate, Verdict.reject(exc.gate, exc.reason), diff=diff)
        verdict = critic.accept(measurements, critic.policy_from_settings(settings))
        if tests_note:
            verdict = Verdict(verdict.accepted, verdict.gate, verdict.reason + tests_note)
        return CandidateResult(candidate, verdict, tuple(measurements), diff=diff)


TIMED_GENERATED = 2  # costliest generated stress inputs timed per candidate
TIMED_CAPTURED = 3  # largest captured real inputs timed beside them


def timing_suite(suite: StressSuite) -> StressSuite:
    """The inputs a candidate is timed on: the costliest generated ones (where slow code
    shows itself) plus the largest real captured calls (what the workload really does).
    Equivalence still runs on every input; timing all of them would cost minutes."""
    def weight(case):
        return (case.cost or 0.0, case.size or 0)

    captured = sorted((c for c in suite.cases if c.provenance == "captured"), key=weight)
    generated = sorted((c for c in suite.cases if c.provenance != "captured"), key=weight)
    chosen = {c.id for c in captured[-TIMED_CAPTURED:] + generated[-TIMED_GENERATED:]}
    return replace(suite, cases=tuple(c for c in suite.cases if c.id in chosen))


def best_per_target(results: list[CandidateResult]) -> list[CandidateResult]:
    """The accepted candidate with the best lower confidence bound, per target."""
    best: dict[str, CandidateResult] = {}
    for r in results:
        if not r.verdict.accepted or not r.measurements:
            continue
        key = r.candidate.target.key
        if key not in best or r.measurements[0].ci_low > best[key].measurements[0].ci_low:
            best[key] = r
    return list(best.values())


def _combine(base, chosen: list[CandidateResult], project: Project):
    """Apply every chosen candidate to its file; with two or more, run the tests once on the
    combination (each passed alone, but they may interact)."""
    from perfopt.languages import python as pylang
    from perfopt.verify.tests import run_tests, tests_verdict

    files: dict[str, str] = {}
    for r in chosen:
        t = r.candidate.target
        text = files.get(t.file) or (base.root / t.file).read_text(encoding="utf-8")
        files[t.file] = pylang.replace_function(text, t.qualname or "", r.candidate.source)
    if len(chosen) < 2:
        return files, None
    with base.clone("combined") as ws:
        for rel, text in files.items():
            ws.write(rel, text)
        verdict = tests_verdict(run_tests(ws.root, project.settings, _test_command(project)))
    return files, verdict


def _stress_function(root, h: Hotspot, seeds: StressSuite, scratch: Path, settings, project,
                     generator=None):
    """Captured seeds plus generated inputs that make the original costlier (and a size
    sweep for the complexity estimate); with a model, its conditions and generator too.
    The seeds alone when generation fails."""
    from perfopt import stress
    from perfopt.errors import PerfoptError
    from perfopt.languages import python as pylang

    out = scratch / "stress" / h.target.key.replace("/", "_").replace("::", "--")
    options = stress.FunctionStressOptions(
        budget_s=settings.stress_budget_s,
        target_call_s=settings.stress_call_s,
        max_call_s=4 * settings.stress_call_s,
        memory_mb=settings.memory_mb,
    )
    model, refused = None, []
    if generator is not None:
        original_def = pylang.get_function((root / h.target.file).read_text(encoding="utf-8"),
                                           h.target.qualname or "")

        def model(shapes: str) -> str | None:
            try:
                return generator.stress_code(h, original_def, shapes)
            except PerfoptError as exc:  # a rejected key, an unknown model: the run's error
                refused.append(exc)
                raise

    try:
        return stress.stress_function(root, h.target, seeds, out, python=project.python,
                                      options=options, model=model)
    except PerfoptError as exc:
        if any(exc is r for r in refused):
            raise
        return seeds


def _codemod_candidates(h: Hotspot, original_def: str) -> list[Candidate]:
    from perfopt.skills import codemods

    return [
        Candidate(
            target=h.target,
            source=new_source,
            origin=f"codemod:{skill_id}",
            skills=tuple(skill_id.split("+")),
        )
        for skill_id, new_source in codemods.apply_all(original_def)
    ]


def _make_llm(project: Project, options: RunOptions, events: Events, warn):
    from perfopt import generate

    if options.show_prompts:
        return None
    return generate.make_generator(project, options, events, warn, plan_for=plan_for)


def plan_for(h: Hotspot, original_def: str) -> tuple:
    """The skills to put in front of the model for this hotspot, best first."""
    from perfopt.skills import library

    try:
        from perfopt.skills import retrieval
    except ImportError:  # retrieval lands with the skill-library issue
        retrieval = None
    if retrieval is not None:
        return tuple(retrieval.plan(original_def, h))
    from perfopt.skills import codemods

    ids = {sid for key, _ in codemods.apply_all(original_def) for sid in key.split("+")}
    return tuple(s for s in library.load_skills() if s.id in ids)


def _preview(h: Hotspot, original_def: str, suite: StressSuite, project: Project) -> str:
    from perfopt.llm import ModelConfig, PromptContext, preview, summarize_suite

    ctx = PromptContext(
        file=h.target.file,
        qualname=h.target.qualname,
        hot_lines=h.hot_lines,
        stress_summary=summarize_suite(suite),
        plan=plan_for(h, original_def),
    )
    return preview(
        h.target, original_def, ctx, ModelConfig.from_settings(project.settings, project.root)
    )


def _test_command(project: Project):
    return project.settings.test_command


def _check_workload(profile, project: Project) -> None:
    from perfopt.errors import TargetError

    if project.workload.kind == "pytest" and profile.returncode == 5:
        raise TargetError(
            "pytest collected no tests; add tests or pass --workload 'python run_bench.py'"
        )
    if profile.returncode != 0:
        tail = profile.output_tail.strip().splitlines()[-1:] or ["(no output)"]
        what = "the tests fail" if project.workload.kind == "pytest" else "the workload fails"
        raise TargetError(
            f"{what} before any change (exit {profile.returncode}: {tail[0][:160]}); "
            "fix them, narrow with --tests, or pass --workload CMD"
        )


def _describe_workload(project: Project) -> str:
    w = project.workload
    if w.kind == "command":
        return f"running `{w.command}`"
    return "running the tests" + (f" (-k {w.tests})" if w.tests else "")


def _hotspot_lines(hotspots: list[Hotspot]) -> str:
    return (
        "hotspots: " + ", ".join(f"{h.target.key} {h.score:.0%}" for h in hotspots)
        if hotspots
        else "hotspots: none"
    )


def _unified_diff(rel: str, old: str, new: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"a/{rel}",
            tofile=f"b/{rel}",
        )
    )
