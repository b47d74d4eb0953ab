"""The one loop: profile -> plan -> stress -> generate -> verify -> measure -> report.

Every entry point drives `run`: `optimize` (a function kind over a project, or a program
kind with `--inputs`), `eval pie` (a program kind per pair), `eval swe-fficiency` (a
repository kind per instance). An entry point builds a `Job` (a target kind, settings, the
model, the candidates it brings itself) and renders or scores the `RunResult`. The loop
knows no single kind, profiler, model or language: it calls the kind's session
(perfopt.targets), the plan stage (perfopt.skills.plan), the model seam (perfopt.generate)
and the gate chain (perfopt.verify.gates).
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfopt.config import Settings
from perfopt.events import Events
from perfopt.generate import Generator
from perfopt.models import (
    Candidate,
    CandidateResult,
    Hotspot,
    Interpreter,
    Plan,
    RunResult,
    StressSuite,
    TargetOutcome,
)
from perfopt.skills.plan import Diagnosis, diagnose
from perfopt.targets.base import Kind, Session, Skip, Work
from perfopt.verify.jail import announce


@dataclass(frozen=True)
class Job:
    """What an entry point hands the loop."""

    kind: Kind
    settings: Settings
    name: str  # what the report calls it: the project or program path
    model: Generator | None = None
    codemods: bool = True  # offline candidates from the skill library's codemods
    # candidates the caller brings for a target, given its stress suite (an eval's
    # reference program, mutants)
    extra: Callable[[Work, StressSuite], list[Candidate]] | None = None
    python: Interpreter | None = None  # the project's interpreter, for the report


@dataclass(frozen=True)
class RunOptions:
    apply: bool = False
    patch_file: Path | None = None
    show_prompts: bool = False


@dataclass
class _Run:
    """What the loop gathers while it runs."""

    results: list[CandidateResult]
    plans: list[Plan]
    outcomes: list[TargetOutcome]
    warnings: list[str]


def run(job: Job, options: RunOptions, events: Events) -> RunResult:
    started = time.monotonic()
    state = _Run([], [], [], [])

    def warn(text: str) -> None:
        state.warnings.append(text)
        events.warn(text)

    # candidate code confined: one line where it is not fully (strict that cannot work
    # here is a UserError before any work)
    notice = announce(job.settings.sandbox)
    if notice:
        warn(notice)
    if job.model is not None:
        job.model.report_to(warn)  # each reply's fate is in the report, not only on stderr
    patch = ""
    applied: list[str] = []
    hotspots: list[Hotspot] = []
    with job.kind.open(job.settings, events, warn) as session:
        works = session.targets()
        hotspots = [w.hotspot for w in works if w.hotspot is not None]
        for work in works:
            _one_target(job, session, work, options, events, state, warn)
        if not options.show_prompts:
            patch, applied = _report(session, state, options, warn)
        profiler = session.profiler
    return RunResult(
        project=job.name, hotspots=tuple(hotspots), results=tuple(state.results),
        applied=tuple(applied), patch=patch, warnings=tuple(state.warnings), profiler=profiler,
        seconds=round(time.monotonic() - started, 2),
        usage=job.model.usage() if job.model is not None else {},
        plans=tuple(state.plans), outcomes=tuple(state.outcomes), python=job.python)


def _one_target(job: Job, session: Session, work: Work, options: RunOptions, events: Events,
                state: _Run, warn: Callable[[str], None]) -> None:
    key = work.target.key

    def outcome(status: str, reason: str = "", inputs: int = 0, oracle: str = "") -> None:
        state.outcomes.append(TargetOutcome(work.target, status, reason, inputs, oracle))

    diagnosis = diagnose(work.code, work.target, work.hotspot,
                         extra_paths=job.settings.skills_paths, codemods=job.codemods)
    state.plans.append(diagnosis.plan)
    if not (diagnosis.rewrites or job.extra or job.model is not None or options.show_prompts):
        # nothing could be verified: no stress budget is spent on it
        events.note(f"{key}: no codemod applies (a model may find more: --model)")
        outcome("no-candidate", "no codemod applies and no model is configured")
        return
    suite = session.stress(work, job.model.asker(work) if job.model is not None else None)
    if options.show_prompts:
        from perfopt.generate import preview

        events.note(preview(work, diagnosis.skills, suite, job.settings, Path(job.name)))
        outcome("skipped", "--show-prompts: the prompts were shown, nothing was verified")
        return
    try:
        baseline = session.record(work, suite)
    except Skip as exc:
        warn(f"{key}: {exc.reason}; skipped")
        outcome("skipped", exc.reason)
        return
    events.stage("generate", key)
    candidates = [Candidate(target=work.target, source=source, origin=f"codemod:{chain}",
                            skills=tuple(chain.split("+")))
                  for chain, source in diagnosis.rewrites]
    candidates += job.extra(work, suite) if job.extra is not None else []
    if job.model is not None:
        candidates += job.model.candidates(work, diagnosis.skills, diagnosis.key_skills, suite)
    # what judges its candidates, when the baseline names it (Recorded, TestsOracle...)
    oracle = str(getattr(baseline, "oracle", ""))
    if not candidates:
        events.note(f"{key}: no candidate (the model offered none)")
        outcome("no-candidate", "neither a codemod nor the model offered a rewrite",
                len(suite.cases), oracle)
        return
    first = len(state.results)
    for candidate in candidates:
        _verify(job, session, work, baseline, candidate, diagnosis, suite, events, state)
    outcome("verified", judged(state.results[first:]), len(suite.cases), oracle)


def judged(results: list[CandidateResult]) -> str:
    """`3 candidates judged: 1 accepted, 2 rejected (equivalence 1, benchmark 1)`."""
    accepted = sum(r.verdict.accepted for r in results)
    gates: dict[str, int] = {}
    for r in results:
        if not r.verdict.accepted:
            gates[r.verdict.gate] = gates.get(r.verdict.gate, 0) + 1
    text = (f"{len(results)} candidate{'s' if len(results) != 1 else ''} judged: "
            f"{accepted} accepted")
    if gates:
        text += (f", {len(results) - accepted} rejected ("
                 + ", ".join(f"{gate} {n}" for gate, n in gates.items()) + ")")
    return text


def _verify(job: Job, session: Session, work: Work, baseline: Any, candidate: Candidate,
            diagnosis: Diagnosis, suite: StressSuite, events: Events, state: _Run) -> None:
    """One candidate through the gates; a model's rejected one is refined with the gate's
    evidence, at most `refine_rounds` times."""
    from perfopt.verify.gates import judge

    rounds = job.settings.refine_rounds if job.model is not None else 0
    for _ in range(1 + rounds):
        events.stage("verify", f"{work.target.key} <- {candidate.origin}")
        result = judge(session, work, baseline, candidate)
        state.results.append(result)
        events.candidate_done(work.target.key, candidate.origin, result.verdict.gate,
                              result.speedup)
        if (result.verdict.accepted or job.model is None
                or not candidate.origin.startswith("llm:")):
            return
        refined = job.model.refine(work, diagnosis.skills, diagnosis.key_skills, suite, result)
        if refined is None:
            return
        if any(r.candidate.id == refined.id for r in state.results):
            job.model.warn(f"model: {work.target.key}: refinement {refined.origin} repeats a"
                           " candidate already judged")
            return
        candidate = refined


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


def _report(session: Session, state: _Run, options: RunOptions,
            warn: Callable[[str], None]) -> tuple[str, list[str]]:
    """The accepted candidates, combined: the patch, and the files written with --apply."""
    from perfopt.verify.writes import write_files, write_output

    files, verdict = session.combine(best_per_target(state.results))
    if verdict is not None and not verdict.accepted:
        warn(f"accepted candidates fail the tests together: {verdict.reason}; "
             "nothing is applied")
        files = {}
    patch = "".join(unified_diff(rel, session.original_text(rel), text)
                    for rel, text in sorted(files.items()))
    if options.patch_file is not None and patch:
        write_output(options.patch_file, patch, "--patch")
    if not options.apply:
        return patch, []
    ready: list[tuple[str, Path, str]] = []
    for rel, text in sorted(files.items()):
        dest = session.destination(rel)
        # never overwrite an edit the user made while perfopt was running
        try:
            current = dest.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        if current != session.original_text(rel):
            warn(f"{rel} changed while perfopt ran; not applied (rerun perfopt)")
            continue
        ready.append((rel, dest, text))
    write_files([(dest, text) for _, dest, text in ready])
    return patch, [rel for rel, _, _ in ready]


def unified_diff(rel: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True),
                                        fromfile=f"a/{rel}", tofile=f"b/{rel}"))
