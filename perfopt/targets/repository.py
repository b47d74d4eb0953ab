"""Target kind: the functions of a repository, judged on a workload script and its tests
(the SWE-fficiency case).

profile: the workload repeated for a few seconds under the profiler, in the repository's
own interpreter; its hottest functions are the targets. stress: none, the workload is the
input. record: nothing to record, the tests are the oracle. compare: the guards against
gaming the workload (introspection, caching across calls: perfopt.verify.guards). tests:
the listed tests (PASS_TO_PASS) in the candidate tree. measure: the workload timed in the
original and the candidate tree, interleaved (perfopt.bench.workload).
"""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from perfopt.config import Settings
from perfopt.events import Events
from perfopt.languages import python as pylang
from perfopt.models import (
    Candidate,
    CandidateResult,
    Measurement,
    StressSuite,
    Verdict,
    Workload,
)
from perfopt.targets.base import AskModel, Rejected, Tree, Warn, Work
from perfopt.targets.function import unified_diff

# Repeat the workload for a few seconds (at least once) so that it, not the package's
# import, owns most samples: sympy's import alone is ~1 s of a 0.3 s workload's profile.
PROFILE_LOOP = """

def _perfopt_profile_loop(seconds=3.0, most=50):
    import time
    start, runs = time.time(), 0
    while runs < 1 or (time.time() - start < seconds and runs < most):
        setup()
        workload()
        runs += 1


_perfopt_profile_loop()
"""
PROBE_REPETITIONS = 6  # per side, when timing a candidate during the search


@dataclass(frozen=True)
class RepositoryKind:
    root: Path  # the source tree (its package importable from here)
    python: str  # the repository's interpreter (its venv)
    workload: str  # the workload script's source: setup() and workload()
    package: str  # the package the workload imports (must come from the tree)
    tests: tuple[str, ...]  # pytest ids that must keep passing
    work: Path  # scratch folder
    name: str = "repository"

    @contextmanager
    def open(self, settings: Settings, events: Events,
             warn: Warn) -> Iterator[RepositorySession]:
        self.work.mkdir(parents=True, exist_ok=True)
        yield RepositorySession(self, settings, events, warn)


class RepositorySession:
    def __init__(self, kind: RepositoryKind, settings: Settings, events: Events,
                 warn: Warn) -> None:
        self.kind, self.settings, self.events, self.warn = kind, settings, events, warn
        self.profiler = ""
        self.python = kind.python
        self._candidates = 0

    def targets(self) -> list[Work]:
        from perfopt import profilers
        from perfopt.bench.workload import strip_harness
        from perfopt.verify.sandbox import scrubbed_env

        kind = self.kind
        stripped, _ = strip_harness(kind.workload)
        driver = kind.work / "profile_driver.py"
        driver.write_text(stripped + PROFILE_LOOP, encoding="utf-8")
        command = f"{shlex.quote(kind.python)} {shlex.quote(str(driver))}"
        env = scrubbed_env({"PYTHONPATH": str(kind.root)})
        self.events.stage("profile", "the workload, repeated")
        prof = profilers.profile(kind.root, Workload(kind="command", command=command),
                                 self.settings, python=kind.python, env=env,
                                 console_note=self.warn)
        self.profiler = prof.profiler
        if not prof.ok:
            self.warn(f"profiling run failed (exit {prof.returncode}): {prof.output_tail[-300:]}")
        hotspots = profilers.rank_hotspots(prof, kind.root, self.settings,
                                           limit=self.settings.top)
        self.events.note(f"profile: {prof.profiler}, {prof.samples} samples, "
                         f"{prof.wall_s:.1f} s; hotspots: "
                         + ", ".join(f"{h.target.key} ({h.self_share:.0%})" for h in hotspots))
        works = []
        for h in hotspots:
            if h.target.qualname is None:
                continue
            try:
                code = pylang.get_function(self.original_text(h.target.file),
                                           h.target.qualname)
            except Exception as exc:  # noqa: BLE001 - a hotspot we cannot read is noted
                self.warn(f"{h.target.key}: cannot read the definition ({exc})")
                continue
            works.append(Work(h.target, code, hotspot=h))
        return works

    def stress(self, work: Work, ask_model: AskModel | None) -> StressSuite:
        return StressSuite(work.target)  # the workload is the input

    def record(self, work: Work, suite: StressSuite) -> Work:
        return work  # the tests are the oracle: nothing of the original to record

    @contextmanager
    def replace(self, work: Work, candidate: Candidate) -> Iterator[Tree]:
        target = work.target
        source = self.original_text(target.file)
        try:
            new_text = pylang.replace_function(source, target.qualname or "", candidate.source)
        except ValueError as exc:
            raise Rejected("parse", str(exc)) from None
        error = pylang.syntax_error(new_text)
        if error:
            raise Rejected("compile", error)
        self._candidates += 1
        folder = self.kind.work / f"candidate-{self._candidates}"
        shutil.rmtree(folder, ignore_errors=True)
        tree = Path(shutil.copytree(self.kind.root, folder, symlinks=True,
                                    ignore=shutil.ignore_patterns("__pycache__")))
        try:
            (tree / target.file).write_text(new_text, encoding="utf-8")
            yield Tree(unified_diff(target.file, source, new_text), (tree, target.file))
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def compare(self, tree: Tree, baseline: Work) -> Verdict:
        """The guards on the changed file: a rewrite that inspects its caller or caches
        across the workload's calls wins a benchmark, not a user's run."""
        from perfopt.verify.guards import check_patch

        root, rel = tree.handle
        found = check_patch(tree.diff, {rel: (root / rel).read_text(encoding="utf-8")})
        if not found.ok:
            return Verdict.reject("guard", found.reason)
        return Verdict.accept("no guard objects to the change")

    def tests(self, tree: Tree) -> Verdict:
        from perfopt.verify.jail import jail_for
        from perfopt.verify.passtests import run_pass_to_pass

        root, _ = tree.handle
        outcome = run_pass_to_pass(self.kind.python, root, self.kind.tests,
                                   timeout_s=self.settings.timeout_s,
                                   memory_mb=self.settings.memory_mb,
                                   jail=jail_for(self.settings))
        if not outcome.passed:
            return Verdict.reject("tests", f"PASS_TO_PASS failed: {outcome.summary}")
        return Verdict.accept(outcome.summary)

    def measure(self, tree: Tree, baseline: Work) -> tuple[Measurement, ...]:
        from perfopt.bench.workload import measure_trees

        root, _ = tree.handle
        return (measure_trees(self.kind.python, self.kind.root, root, self.kind.workload,
                              self.kind.work / "probe", package=self.kind.package,
                              repetitions=PROBE_REPETITIONS, rounds=2,
                              settings=self.settings),)

    def combine(self, chosen: list[CandidateResult]) -> tuple[dict[str, str], Verdict | None]:
        files: dict[str, str] = {}
        for r in chosen:
            t = r.candidate.target
            text = files.get(t.file) or self.original_text(t.file)
            files[t.file] = pylang.replace_function(text, t.qualname or "", r.candidate.source)
        return files, None  # the eval runs the tests on the patched tree itself

    def original_text(self, rel: str) -> str:
        return (self.kind.root / rel).read_text(encoding="utf-8")

    def destination(self, rel: str) -> Path:
        return self.kind.root / rel
