"""Target kind: a function (or method) in a project, exercised by the project's workload.

profile: the workload (tests or a command) under py-spy or cProfile in ONE workspace copy
of the project, frames ranked into hotspots, then the workload run again with the top
hotspots wrapped to capture real calls (the seeds). stress: the seeds grown and searched
in a child (perfopt.stress.functions). record / compare: the original's outcomes on every
input, then the candidate's in a copy, through perfopt.verify.harness. tests: the
project's tests in the candidate copy. measure: perfopt.bench.measure (fresh worker
processes, instruction counts when valgrind is there).
"""

from __future__ import annotations

import difflib
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from perfopt.config import Settings
from perfopt.discover import Project
from perfopt.errors import PerfoptError, TargetError
from perfopt.events import Events
from perfopt.languages import python as pylang
from perfopt.models import (
    Candidate,
    CandidateResult,
    Hotspot,
    Measurement,
    StressSuite,
    Verdict,
)
from perfopt.targets.base import AskModel, Rejected, Skip, Tree, Warn, Work
from perfopt.verify.workspace import Workspace

TIMED_GENERATED = 2  # costliest generated stress inputs timed per candidate
TIMED_CAPTURED = 3  # largest captured real inputs timed beside them


@dataclass(frozen=True)
class FunctionKind:
    project: Project
    name: str = "function"

    @contextmanager
    def open(self, settings: Settings, events: Events,
             warn: Warn) -> Iterator[FunctionSession]:
        with (
            Workspace.create(self.project.root) as base,
            tempfile.TemporaryDirectory(prefix="perfopt-scratch-") as scratch,
        ):
            yield FunctionSession(self.project, settings, events, warn, base, Path(scratch))


@dataclass(frozen=True)
class Recorded:
    """The original's outcomes on a suite, recorded once per target."""

    work: Work
    suite: StressSuite
    outcomes: Path


def unified_diff(rel: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True),
                                        fromfile=f"a/{rel}", tofile=f"b/{rel}"))


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


class FunctionSession:
    def __init__(self, project: Project, settings: Settings, events: Events, warn: Warn,
                 base: Workspace, scratch: Path) -> None:
        self.project, self.settings, self.events, self.warn = project, settings, events, warn
        self.base, self.scratch = base, scratch
        self.profiler = ""
        self.python = project.python
        self._recorded = 0

    # -- profile --------------------------------------------------------------------------

    def targets(self) -> list[Work]:
        """The workload profiled and ranked: the top hotspots, with their real calls."""
        from perfopt import profilers

        settings, project = self.settings, self.project
        self.events.stage("profile", describe_workload(project))
        profile = profilers.profile(self.base.root, project.workload, settings,
                                    python=project.python, console_note=self.warn)
        self.profiler = profile.profiler
        check_workload(profile, project)
        ranked = profilers.rank_hotspots(profile, self.base.root, settings,
                                         limit=settings.top * 4)
        # module-level code (qualname None) is a whole-program target, not a function one
        hotspots = [h for h in ranked
                    if h.target.qualname and project.focus in (None, h.target.file)]
        hotspots = hotspots[: settings.top]
        if not hotspots:
            self.warn("no project function showed up in the profile; a longer workload helps")
        self.events.note(hotspot_lines(hotspots))
        return self.capture(hotspots)

    def capture(self, hotspots: list[Hotspot]) -> list[Work]:
        """The workload run again with `hotspots` wrapped: their real calls are the seeds."""
        from perfopt import profilers, stress

        self.events.stage("stress", f"capturing real calls of {len(hotspots)} hotspots")
        captures = self.scratch / "captures"
        reports = profilers.capture_calls(self.base.root, self.project.workload,
                                          [h.target for h in hotspots], captures,
                                          self.settings, python=self.python)
        works = []
        for h in hotspots:
            report = reports.get(h.target.key)
            if report is not None and report.unpicklable:
                self.warn(f"{h.target.key}: {report.unpicklable} captured calls had "
                          "unpicklable arguments")
            seeds = stress.build_suite(h.target, captures, report)
            text = self.base.read(h.target.file)
            works.append(Work(h.target, pylang.get_function(text, h.target.qualname or ""),
                              hotspot=h, seeds=seeds))
        return works

    # -- stress and record ----------------------------------------------------------------

    def stress(self, work: Work, ask_model: AskModel | None) -> StressSuite:
        """Captured seeds plus generated inputs that make the original costlier (and a size
        sweep for the complexity estimate); with a model, its conditions and generator
        too. The seeds alone when generation fails."""
        from perfopt import stress

        seeds = work.seeds or StressSuite(work.target)
        settings = self.settings
        if settings.stress_budget_s <= 0:
            return seeds
        self.events.stage("stress", f"{work.target.key}: scaled and searched inputs")
        out = self.scratch / "stress" / work.target.key.replace("/", "_").replace("::", "--")
        options = stress.FunctionStressOptions(
            budget_s=settings.stress_budget_s, target_call_s=settings.stress_call_s,
            max_call_s=4 * settings.stress_call_s, memory_mb=settings.memory_mb)
        refused: list[PerfoptError] = []
        model = None
        if ask_model is not None:
            def model(shapes: str) -> str | None:
                try:
                    return ask_model(shapes)
                except PerfoptError as exc:  # a rejected key, an unknown model: the run's
                    refused.append(exc)
                    raise

        try:
            return stress.stress_function(self.base.root, work.target, seeds, out,
                                          python=self.python, options=options, model=model)
        except PerfoptError as exc:
            if any(exc is r for r in refused):
                raise
            return seeds

    def record(self, work: Work, suite: StressSuite) -> Recorded:
        from perfopt.verify import equivalence

        if not suite.cases:
            raise Skip("no captured calls (and no type hints to draw calls from) to compare "
                       "behaviour on")
        self._recorded += 1
        outcomes = self.scratch / f"outcomes-{self._recorded}.pkl"
        self.events.stage("record", f"{work.target.key} on {len(suite.cases)} inputs")
        verdict = equivalence.record_outcomes(self.base.root, work.target, suite,
                                              self.settings, outcomes)
        if not verdict.accepted:
            raise Skip(f"cannot record the original's behaviour ({verdict.reason})")
        return Recorded(work, suite, outcomes)

    # -- a candidate ----------------------------------------------------------------------

    @contextmanager
    def replace(self, work: Work, candidate: Candidate) -> Iterator[Tree]:
        target = work.target
        file_text = self.base.read(target.file)
        try:
            new_text = pylang.replace_function(file_text, target.qualname or "",
                                               candidate.source)
        except ValueError as exc:
            raise Rejected("parse", str(exc)) from None
        error = pylang.syntax_error(new_text)
        if error:
            raise Rejected("compile", error)
        diff = unified_diff(target.file, file_text, new_text)
        with self.base.clone("candidate") as ws:
            ws.write(target.file, new_text)
            yield Tree(diff, ws)

    def compare(self, tree: Tree, baseline: Recorded) -> Verdict:
        from perfopt.verify import equivalence

        return equivalence.check(self.base.root, tree.handle.root, baseline.work.target,
                                 baseline.suite, self.settings, recorded=baseline.outcomes)

    def tests(self, tree: Tree) -> Verdict:
        from perfopt.verify.tests import run_tests, tests_verdict

        return tests_verdict(run_tests(tree.handle.root, self.settings,
                                       self.settings.test_command))

    def measure(self, tree: Tree, baseline: Recorded) -> tuple[Measurement, ...]:
        from perfopt.bench import measure

        return measure.measure_all(self.base.root, tree.handle.root, baseline.work.target,
                                   timing_suite(baseline.suite), self.settings)

    # -- the run's outcome ----------------------------------------------------------------

    def combine(self, chosen: list[CandidateResult]) -> tuple[dict[str, str], Verdict | None]:
        """Every chosen candidate in its file; with two or more, the tests run once on the
        combination (each passed alone, but they may interact)."""
        from perfopt.verify.tests import run_tests, tests_verdict

        files: dict[str, str] = {}
        for r in chosen:
            t = r.candidate.target
            text = files.get(t.file) or self.base.read(t.file)
            files[t.file] = pylang.replace_function(text, t.qualname or "", r.candidate.source)
        if len(chosen) < 2:
            return files, None
        with ExitStack() as stack:
            ws = stack.enter_context(self.base.clone("combined"))
            for rel, text in files.items():
                ws.write(rel, text)
            verdict = tests_verdict(run_tests(ws.root, self.settings,
                                              self.settings.test_command))
        return files, verdict

    def original_text(self, rel: str) -> str:
        return self.base.read(rel)

    def destination(self, rel: str) -> Path:
        return self.project.root / rel


def check_workload(profile, project: Project) -> None:
    if project.workload.kind == "pytest" and profile.returncode == 5:
        raise TargetError(
            "pytest collected no tests; add tests or pass --workload 'python run_bench.py'")
    if profile.returncode != 0:
        tail = profile.output_tail.strip().splitlines()[-1:] or ["(no output)"]
        what = "the tests fail" if project.workload.kind == "pytest" else "the workload fails"
        raise TargetError(
            f"{what} before any change (exit {profile.returncode}: {tail[0][:160]}); "
            "fix them, narrow with --tests, or pass --workload CMD")


def describe_workload(project: Project) -> str:
    w = project.workload
    if w.kind == "command":
        return f"running `{w.command}`"
    return "running the tests" + (f" (-k {w.tests})" if w.tests else "")


def hotspot_lines(hotspots: list[Hotspot]) -> str:
    if not hotspots:
        return "hotspots: none"
    return "hotspots: " + ", ".join(f"{h.target.key} {h.score:.0%}" for h in hotspots)
