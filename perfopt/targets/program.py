"""Target kind: a whole program that reads stdin (a Python script or C++; the PIE case).

profile: none, the program is the one target. stress: the program stressor over its
samples and statement (perfopt.stress.programs), with the model's conditions when asked.
record: the original built (through the languages registry) and run on every sample
(judged against its expected output when one ships) and stress input. compare: a
candidate's output on every input, token by token (perfopt.verify.outputs). measure:
perfopt.bench.programs (interleaved fresh-process runs; instruction counts for C++).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from perfopt.config import Settings
from perfopt.errors import TargetError
from perfopt.events import Events
from perfopt.languages import get_language
from perfopt.languages.build import BuildError, Built, language_of
from perfopt.models import (
    Candidate,
    CandidateResult,
    Measurement,
    StressSuite,
    Target,
    Verdict,
)
from perfopt.targets.base import AskModel, Rejected, Skip, Tree, Warn, Work
from perfopt.targets.function import unified_diff
from perfopt.verify import sandbox
from perfopt.verify.jail import Jail, jail_for
from perfopt.verify.limits import candidate_limit
from perfopt.verify.outputs import first_difference
from perfopt.verify.sandbox import ProcResult


@dataclass(frozen=True)
class Case:
    id: str
    data: bytes
    kind: str  # "sample" (judge test) | "stress" | "check" (compared, never timed)
    expected: str | None = None  # the judge's output, for samples that ship one


@dataclass(frozen=True)
class Baseline:
    """The original, built, with its output and seconds on every usable case."""

    built: Built
    source: str
    cases: tuple[Case, ...]
    outputs: dict[str, str]
    seconds: dict[str, float]
    timed: tuple[str, ...]  # case ids the benchmark runs (the stress inputs)
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ProgramKind:
    """`program` (a file), judged on the inputs in `samples` (input.N.txt / *.in, with
    their expected outputs when known) and the stressor's inputs."""

    program: Path
    samples: Path
    statement: str | None = None
    name: str = "program"

    @contextmanager
    def open(self, settings: Settings, events: Events,
             warn: Warn) -> Iterator[ProgramSession]:
        program = Path(self.program).resolve()
        if not program.is_file():
            raise TargetError(f"{program} does not exist; pass a .py or .cpp program")
        source = program.read_text(encoding="utf-8")
        try:
            language = language_of(program, source)
        except BuildError as exc:
            raise TargetError(str(exc)) from None
        with tempfile.TemporaryDirectory(prefix="perfopt-program-") as tmp:
            session = ProgramSession(self, program, source, language, settings, events, warn,
                                     Path(tmp))
            yield session


def expected_output(input_file: Path) -> Path | None:
    """`input.3.txt` -> `output.3.txt`; `x.in` -> `x.out` or `x.expected_out`."""
    name = input_file.name
    options = []
    if name.startswith("input"):
        options.append(input_file.with_name("output" + name[len("input"):]))
    if input_file.suffix == ".in":
        options += [input_file.with_suffix(".out"), input_file.with_suffix(".expected_out")]
    return next((p for p in options if p.is_file()), None)


def sample_cases(samples_dir: Path | None) -> list[Case]:
    from perfopt.stress.programs import sample_inputs

    if samples_dir is None or not Path(samples_dir).is_dir():
        return []
    cases = []
    for f in sample_inputs(samples_dir):
        out = expected_output(f)
        cases.append(Case(f"sample:{f.name}", f.read_bytes(), "sample",
                          out.read_text(encoding="utf-8", errors="replace") if out else None))
    return cases


def stress_cases(suite: StressSuite | None) -> list[Case]:
    if suite is None:
        return []
    folder = Path(suite.folder)
    # "check" inputs are compared, never timed (the baseline times "stress" cases only)
    return [Case(f"stress:{c.id}", (folder / c.payload).read_bytes(),
                 "check" if c.provenance == "check" else "stress") for c in suite.cases]


def run_case(command: tuple[str, ...], case: Case, cwd: Path, timeout_s: float,
             memory_mb: int, jail: Jail | None = None) -> ProcResult:
    """One run on one input. A candidate runs in a `jail`; the original, the user's own
    program on inputs perfopt wrote, does not."""
    return sandbox.run(list(command), cwd=cwd, timeout_s=timeout_s, memory_mb=memory_mb,
                       stdin=case.data, jail=jail)


class ProgramSession:
    def __init__(self, kind: ProgramKind, program: Path, source: str, language: str,
                 settings: Settings, events: Events, warn: Warn, work: Path) -> None:
        self.kind, self.program, self.source, self.language = kind, program, source, language
        self.settings, self.events, self.warn, self.work = settings, events, warn, work
        self.profiler = ""
        self.python = settings.python or sys.executable
        self.target = Target(file=program.name, language=language)
        self._builds: dict[str, Built] = {}
        try:
            self.original = self.build(source, work / "original", "original")
        except BuildError as exc:
            raise TargetError(f"{program.name} does not build: {exc}") from None

    def build(self, source: str, folder: Path, name: str) -> Built:
        """`source` built once: a mutant checked against two baselines is not compiled
        twice."""
        built = self._builds.get(source)
        if built is None or not built.source_file.exists():  # its folder may be gone
            self._builds[source] = get_language(self.language).build(source, folder, name,
                                                                      self.settings)
        return self._builds[source]

    def targets(self) -> list[Work]:
        from perfopt.stress.programs import sample_inputs

        shown = tuple(p.read_text(encoding="utf-8", errors="replace")
                      for p in sample_inputs(self.kind.samples))
        return [Work(self.target, self.source, statement=self.kind.statement, samples=shown)]

    def stress(self, work: Work, ask_model: AskModel | None) -> StressSuite:
        """The stressor's suite (its payloads are stdin files in the session's folder).
        With a model, its performance-characterizing conditions and generator join the
        search (perfopt.stress.conditions)."""
        from perfopt.stress.conditions import ConditionRunner
        from perfopt.stress.programs import ProgramStressOptions, stress_program

        s = self.settings
        self.events.stage("stress", f"building inputs for {self.program.name} "
                          f"({s.program_stress_budget_s:g} s)")
        options = ProgramStressOptions(
            budget_s=s.program_stress_budget_s, target_cost_s=s.program_stress_cost_s,
            max_case_s=s.program_max_case_s, case_timeout_s=s.case_timeout_s)
        runner = None
        if ask_model is not None:  # it sees the program, its statement and samples
            code = ask_model("")
            if code is not None:
                runner = ConditionRunner(code, cwd=self.work, jail=jail_for(s))
                if runner.error:
                    self.warn(f"stress: {runner.error}; stressing without the model's "
                              "conditions")
        try:
            return stress_program(self.original.source_file, self.language, self.kind.samples,
                                  work.statement, self.work / "suite",
                                  budget_s=s.program_stress_budget_s, python=self.python,
                                  command=self.original.command, options=options,
                                  conditions=runner)
        finally:
            if runner is not None:
                runner.close()

    def record(self, work: Work, suite: StressSuite) -> Baseline:
        """The original's output and seconds on every case. Inputs it fails on (crash,
        timeout) are dropped with a note: its behaviour there is not a reference."""
        s = self.settings
        seen: set[bytes] = set()
        kept: list[Case] = []
        outputs: dict[str, str] = {}
        seconds: dict[str, float] = {}
        notes: list[str] = []
        for case in [*sample_cases(self.kind.samples), *stress_cases(suite)]:
            if case.data in seen:  # the suite repeats the samples
                continue
            seen.add(case.data)
            proc = run_case(self.original.command, case, self.original.source_file.parent,
                            s.case_timeout_s, s.memory_mb)
            if not proc.ok:
                why = "timed out" if proc.timed_out else f"exit {proc.returncode}"
                notes.append(f"original {why} on {case.id}; input dropped")
                continue
            if case.expected is not None:
                diff = first_difference(case.expected, proc.stdout, s.abs_tol, s.rel_tol)
                if diff:
                    notes.append(f"original differs from the expected output of {case.id} "
                                 f"({diff}); candidates are compared with the original there")
                    case = Case(case.id, case.data, case.kind, None)
            kept.append(case)
            outputs[case.id] = proc.stdout
            seconds[case.id] = proc.seconds
        for text in notes:
            self.warn(text)
        if not kept:
            raise Skip("the original runs on none of the inputs")
        stress_ids = tuple(c.id for c in kept if c.kind == "stress")
        return Baseline(self.original, self.source, tuple(kept), outputs, seconds,
                        stress_ids or tuple(c.id for c in kept), tuple(notes))

    @contextmanager
    def replace(self, work: Work, candidate: Candidate) -> Iterator[Tree]:
        diff = unified_diff(work.target.file, self.source, candidate.source)
        with tempfile.TemporaryDirectory(prefix="cand-", dir=self.work) as tmp:
            try:
                built = self.build(candidate.source, Path(tmp), "candidate")
            except BuildError as exc:
                raise Rejected("compile", str(exc), diff) from None
            yield Tree(diff, built)

    def compare(self, tree: Tree, baseline: Baseline) -> Verdict:
        """Same answer as the judge (samples) and as the original (stress inputs), case by
        case. A candidate may be slower than the original, but not without bound: a hang is
        a timeout, never a pass."""
        s, built = self.settings, tree.handle
        for case in baseline.cases:
            limit = candidate_limit(baseline.seconds[case.id], s, "on the same input",
                                    cap_s=s.case_timeout_s, cap_name="case_timeout_s")
            proc = run_case(built.command, case, built.source_file.parent, limit.seconds,
                            s.memory_mb, jail_for(s, built.source_file.parent))
            if proc.timed_out:
                return Verdict.reject("timeout", limit.reason(f"the candidate on {case.id}"))
            if proc.returncode != 0:
                return Verdict.reject("equivalence", f"exit {proc.returncode} on {case.id}: "
                                      f"{proc.tail(4, 400)}")
            want = case.expected if case.expected is not None else baseline.outputs[case.id]
            problem = first_difference(want, proc.stdout, s.abs_tol, s.rel_tol)
            if problem:
                whose = "expected output" if case.expected is not None else "original's output"
                return Verdict.reject("equivalence",
                                      f"{case.id}: differs from the {whose} ({problem})")
        return Verdict.accept(f"same output on {len(baseline.cases)} inputs")

    def tests(self, tree: Tree) -> None:
        return None  # a stdin program's tests are its inputs, compared above

    def measure(self, tree: Tree, baseline: Baseline) -> tuple[Measurement, ...]:
        from perfopt.bench.programs import measure_programs

        by_id = {c.id: c for c in baseline.cases}
        return measure_programs(baseline.built, tree.handle,
                                [by_id[i].data for i in baseline.timed],
                                sum(baseline.seconds[i] for i in baseline.timed),
                                self.settings)

    def combine(self, chosen: list[CandidateResult]) -> tuple[dict[str, str], Verdict | None]:
        return ({self.target.file: chosen[0].candidate.source} if chosen else {}), None

    def original_text(self, rel: str) -> str:
        return self.source

    def destination(self, rel: str) -> Path:
        return self.program
