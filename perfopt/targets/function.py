"""Target kind: a function (or method) in a project, exercised by the project's workload.

profile: the workload (tests or a command) under py-spy or cProfile in ONE workspace copy
of the project, frames ranked into hotspots, then the workload run again with the top
hotspots wrapped to capture real calls (the seeds). stress: the seeds grown and searched
in a child (perfopt.stress.functions), then grown further for the comparison alone
(provenance "compare"). record / compare: the original's outcomes on every input, then the
candidate's in a copy, through perfopt.verify.harness. tests: the project's tests in the
candidate copy. measure: perfopt.bench.measure (fresh worker processes, instruction counts
when valgrind is there) on inputs the harness compared, never others. A candidate's
compare, tests and timing workers are stopped past limits derived from the original's
seconds on the same work (perfopt.verify.limits). Where nothing of the function can be
recorded (its arguments do not pickle...), record returns a TestsOracle instead: compare
runs the tests that call it, measure times the whole workload (perfopt.targets.oracle).
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
from perfopt.interpreter import announce, skips_tests
from perfopt.languages import python as pylang
from perfopt.models import (
    Candidate,
    CandidateResult,
    Hotspot,
    Measurement,
    StressSuite,
    Target,
    Verdict,
    Workload,
)
from perfopt.profilers.capture import CaptureReport
from perfopt.targets.base import AskModel, Rejected, Tree, Warn, Work
from perfopt.targets.oracle import TestsOracle
from perfopt.verify.jail import jail_for
from perfopt.verify.limits import candidate_limit
from perfopt.verify.tests import OriginalTests
from perfopt.verify.workspace import Workspace
from perfopt.workloads import drivers, import_failure, thin_profile

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
    """The original's outcomes on a suite, recorded once per target: the record run's
    seconds, and the inputs it answered differently from run to run (compare skips them)."""

    work: Work
    suite: StressSuite
    outcomes: Path
    seconds: float | None = None
    unstable: tuple[str, ...] = ()

    @property
    def compared(self) -> frozenset[str]:
        """The inputs the harness compares a candidate on."""
        return frozenset(c.id for c in self.suite.cases) - frozenset(self.unstable)

    @property
    def oracle(self) -> str:
        """What judges a candidate, in one line (the report's `oracle`)."""
        kinds = sorted({c.provenance for c in self.suite.cases if c.id in self.compared})
        return (f"equivalence harness: the original's recorded behaviour on "
                f"{len(self.compared)} inputs ({', '.join(kinds)})")


def unified_diff(rel: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True),
                                        fromfile=f"a/{rel}", tofile=f"b/{rel}"))


def timing_suite(suite: StressSuite, unstable: tuple[str, ...] = ()) -> StressSuite:
    """The inputs a candidate is timed on: the costliest generated ones (where slow code
    shows itself) plus the largest real captured calls (what the workload really does).
    Equivalence still runs on every input; timing all of them would cost minutes. Never a
    compare-only input (grown past what the clock affords) nor an `unstable` one (the
    original answered it differently from run to run, so compare skips it): a clock
    times only what the harness compared."""
    def weight(case):
        return (case.cost or 0.0, case.size or 0)

    timeable = [c for c in suite.cases if c.provenance != "compare" and c.id not in unstable]
    captured = sorted((c for c in timeable if c.provenance == "captured"), key=weight)
    generated = sorted((c for c in timeable if c.provenance != "captured"), key=weight)
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
        self._tests: OriginalTests | None = None  # the original's tests, once
        self._captured: dict[str, CaptureReport] = {}  # argument capture, per target key
        self._hotspots: list[Target] = []
        self._test_calls: dict[str, CaptureReport] | None = None  # which tests call them

    # -- profile --------------------------------------------------------------------------

    def targets(self) -> list[Work]:
        """The workload profiled and ranked: the top hotspots, with their real calls."""
        from perfopt import profilers

        settings, project = self.settings, self.project
        announce(project.interpreter, settings.test_command, bool(project.test_files),
                 self.events.note, self.warn)
        self.events.stage("profile", describe_workload(project))
        profile = profilers.profile(self.base.root, project.workload, settings,
                                    python=project.python, console_note=self.warn)
        self.profiler = profile.profiler
        check_workload(profile, project)
        ranked = profilers.rank_hotspots(
            profile, self.base.root, settings, limit=settings.top * 4,
            drivers=drivers(self.base.root, project.workload, project.focus))
        # module-level code (qualname None) is a whole-program target, not a function one
        hotspots = [h for h in ranked
                    if h.target.qualname and project.focus in (None, h.target.file)
                    and (project.only is None or h.target.key in project.only)]
        hotspots = hotspots[: settings.top]
        if not hotspots:
            self.warn(import_failure(profile.output_tail, project.python) or
                      "no project function showed up in the profile; a longer workload helps")
        else:
            thin = thin_profile(project.workload, profile.wall_s, hotspots[0].score)
            if thin:
                self.warn(thin)
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
        self._captured, self._hotspots = dict(reports), [h.target for h in hotspots]
        works = []
        for h in hotspots:
            report = reports.get(h.target.key)
            if report is not None and report.unpicklable:
                self.events.note(f"{h.target.key}: {report.unpicklable} calls could not be "
                                 f"recorded: {report.why}")
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
            max_call_s=4 * settings.stress_call_s, memory_mb=settings.memory_mb,
            compare_call_s=settings.compare_call_s, compare_budget_s=settings.compare_budget_s,
            jail=jail_for(settings))
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

    def record(self, work: Work, suite: StressSuite) -> Recorded | TestsOracle:
        """The original's behaviour recorded on the suite; where nothing can be recorded
        (no call pickled, the harness could not record, every input unstable), the tests
        that run the function are the oracle instead (perfopt.targets.oracle)."""
        from perfopt.targets import oracle
        from perfopt.verify import equivalence

        if not suite.cases:
            return self.tests_oracle(work, oracle.unrecorded(self._captured.get(
                work.target.key)))
        self._recorded += 1
        outcomes = self.scratch / f"outcomes-{self._recorded}.pkl"
        self.events.stage("record", f"{work.target.key} on {len(suite.cases)} inputs")
        recording = equivalence.record(self.base.root, work.target, suite, self.settings,
                                       outcomes)
        if not recording.verdict.accepted:
            return self.tests_oracle(work, f"cannot record the original's behaviour: "
                                           f"{recording.verdict.reason}")
        if len(set(recording.unstable)) >= len(suite.cases):
            return self.tests_oracle(work, f"the original behaves differently from run to "
                                           f"run on all {len(suite.cases)} inputs "
                                           f"({recording.example})")
        return Recorded(work, suite, outcomes, recording.seconds, recording.unstable)

    def tests_oracle(self, work: Work, why: str) -> TestsOracle:
        """The tests that run the function, passing on the original: its oracle when no
        behaviour of it can be recorded (`why`). Skip when there are none."""
        from perfopt.targets import oracle

        self.events.stage("record", f"{work.target.key}: {why}; the tests that run it judge")
        chosen = oracle.choose(work, self.settings, self.python, why,
                               self.calling_tests().get(work.target.key))
        with self.base.clone("oracle-original") as ws:
            chosen = oracle.run_on_original(ws.root, chosen, self.settings)
        self.events.note(f"{work.target.key}: judged by {chosen.oracle}")
        return chosen

    def calling_tests(self) -> dict[str, CaptureReport]:
        """Which tests call each hotspot: the capture run's notes when the workload is the
        default tests, else one run of the test command with the hotspots wrapped (once)."""
        from perfopt import profilers

        if self._test_calls is None:
            settings = self.settings
            if self.project.workload.kind == "pytest" and settings.test_command is None:
                self._test_calls = dict(self._captured)
            else:
                tests = (Workload() if settings.test_command is None
                         else Workload(kind="command", command=settings.test_command))
                self._test_calls = profilers.capture_calls(
                    self.base.root, tests, self._hotspots, self.scratch / "test-calls",
                    settings.replace(max_captures=0), python=self.python)
        return self._test_calls

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

    def compare(self, tree: Tree, baseline: Recorded | TestsOracle) -> Verdict:
        from perfopt.targets import oracle
        from perfopt.verify import equivalence

        if isinstance(baseline, TestsOracle):  # the tests that run it, on the candidate
            return oracle.judge_tests(tree.handle.root, baseline, self.settings)
        limit = candidate_limit(baseline.seconds, self.settings,
                                "recording the same inputs (each called twice)")
        return equivalence.check(self.base.root, tree.handle.root, baseline.work.target,
                                 baseline.suite, self.settings, recorded=baseline.outcomes,
                                 limit=limit)

    def tests(self, tree: Tree) -> Verdict | None:
        from perfopt.verify.tests import run_tests, tests_verdict

        if skips_tests(self.project.interpreter, self.settings.test_command):  # said at start
            return None
        baseline = self.tests_baseline()
        limit = candidate_limit(baseline.seconds, self.settings, "running the tests")
        return tests_verdict(run_tests(tree.handle.root, self.settings, baseline.command,
                                       timeout_s=limit.seconds), limit)

    def tests_baseline(self) -> OriginalTests:
        """The original's tests, run once (in a copy) the first time a candidate reaches
        them: the command every candidate runs (without the tests that fail on the original)
        and its seconds, the base of every candidate's test limit (None when they do not
        pass: a failing run's time says nothing of a passing one)."""
        from perfopt.verify.tests import original_baseline

        if self._tests is None:
            with self.base.clone("original-tests") as ws:
                self._tests = original_baseline(ws.root, self.settings)
            known = self._tests.known_failures
            if known:
                shown = ", ".join(known[:3]) + (f" and {len(known) - 3} more" if len(known) > 3
                                                else "")
                self.warn(f"{len(known)} tests fail on the original ({shown}); candidates are "
                          "judged by the tests that pass on it")
        return self._tests

    def measure(self, tree: Tree, baseline: Recorded | TestsOracle) -> tuple[Measurement, ...]:
        from perfopt.bench import measure

        if isinstance(baseline, TestsOracle):  # no recorded call to time: the workload
            return (self.measure_workload(tree),)
        timed = timing_suite(baseline.suite, baseline.unstable)
        never_compared = {c.id for c in timed.cases} - baseline.compared
        if never_compared:  # a bug: the clock would rank what the harness never checked
            raise AssertionError(f"timing inputs the harness did not compare: "
                                 f"{sorted(never_compared)}")
        return measure.measure_all(self.base.root, tree.handle.root, baseline.work.target,
                                   timed, self.settings)

    def measure_workload(self, tree: Tree) -> Measurement:
        """The whole workload timed in a copy of the original and in the candidate's tree,
        interleaved (perfopt.bench.workload.measure_commands)."""
        from perfopt.bench.workload import measure_commands
        from perfopt.interpreter import tree_env
        from perfopt.profilers.base import workload_command
        from perfopt.verify.sandbox import scrubbed_env

        def env_of(root: Path) -> dict[str, str]:
            return tree_env(root, self.python, scrubbed_env())

        self.events.stage("measure", "the whole workload, original against candidate")
        with self.base.clone("original-workload") as ws:
            return measure_commands(workload_command(self.project.workload, self.python),
                                    ws.root, tree.handle.root, python=self.python,
                                    env_of=env_of, settings=self.settings)

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
        if len(chosen) < 2 or skips_tests(self.project.interpreter, self.settings.test_command):
            return files, None
        with ExitStack() as stack:
            ws = stack.enter_context(self.base.clone("combined"))
            for rel, text in files.items():
                ws.write(rel, text)
            baseline = self.tests_baseline()
            limit = candidate_limit(baseline.seconds, self.settings, "running the tests")
            verdict = tests_verdict(run_tests(ws.root, self.settings, baseline.command,
                                              timeout_s=limit.seconds), limit)
        return files, verdict

    def original_text(self, rel: str) -> str:
        return self.base.read(rel)

    def destination(self, rel: str) -> Path:
        return self.project.root / rel


def check_workload(profile, project: Project) -> None:
    if project.workload.kind == "pytest" and profile.returncode == 5:
        raise TargetError(
            "pytest collected no tests; add tests or pass --workload 'python run_bench.py'")
    failed = import_failure(profile.output_tail, project.python) if profile.returncode else None
    if failed:
        raise TargetError(failed)
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
