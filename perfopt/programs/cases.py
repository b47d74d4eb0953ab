"""The inputs a program is checked on, and the original's behaviour on each.

Samples (judge tests: `input.N.txt` + `output.N.txt`, or `X.in` + `X.out` /
`X.expected_out`) are checked against their expected output; stress inputs against the
original's own output, recorded once per target (`Baseline`) and reused for every candidate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from perfopt.config import Settings
from perfopt.models import StressSuite
from perfopt.programs.build import Built, ProgramOptions, build
from perfopt.programs.outputs import first_difference
from perfopt.verify import sandbox
from perfopt.verify.sandbox import ProcResult


@dataclass(frozen=True)
class Case:
    id: str
    data: bytes
    kind: str  # "sample" (judge test) | "stress"
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
    options: ProgramOptions
    workdir: Path
    notes: tuple[str, ...] = field(default=())


def _natural(path: Path) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


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
    if samples_dir is None or not Path(samples_dir).is_dir():
        return []
    folder = Path(samples_dir)
    files = sorted({*folder.glob("input*.txt"), *folder.glob("*.in")}, key=_natural)
    cases = []
    for f in files:
        out = expected_output(f)
        cases.append(Case(f"sample:{f.name}", f.read_bytes(), "sample",
                          out.read_text(encoding="utf-8", errors="replace") if out else None))
    return cases


def stress_cases(suite: StressSuite | None) -> list[Case]:
    if suite is None:
        return []
    folder = Path(suite.folder)
    return [Case(f"stress:{c.id}", (folder / c.payload).read_bytes(), "stress")
            for c in suite.cases]


def run_case(command: tuple[str, ...], case: Case, cwd: Path, timeout_s: float,
             memory_mb: int) -> ProcResult:
    return sandbox.run(list(command), cwd=cwd, timeout_s=timeout_s, memory_mb=memory_mb,
                       stdin=case.data)


def prepare_baseline(original: Path, language: str, suite: StressSuite | None,
                     samples_dir: Path | None, settings: Settings, workdir: Path,
                     options: ProgramOptions | None = None, *,
                     built: Built | None = None) -> Baseline:
    """Build the original and record its outputs. Inputs it fails on (crash, timeout) are
    dropped with a note: its behaviour there is not a reference. Raises BuildError."""
    options = options or ProgramOptions.from_settings(settings)
    source = Path(original).read_text(encoding="utf-8")
    if built is None:
        built = build(source, language, workdir / "original", "original", options)
    seen: set[bytes] = set()
    kept: list[Case] = []
    outputs: dict[str, str] = {}
    seconds: dict[str, float] = {}
    notes: list[str] = []
    for case in [*sample_cases(samples_dir), *stress_cases(suite)]:
        if case.data in seen:  # the suite repeats the samples
            continue
        seen.add(case.data)
        proc = run_case(built.command, case, built.source_file.parent, options.case_timeout_s,
                        settings.memory_mb)
        if not proc.ok:
            why = "timed out" if proc.timed_out else f"exit {proc.returncode}"
            notes.append(f"original {why} on {case.id}; input dropped")
            continue
        if case.expected is not None:
            diff = first_difference(case.expected, proc.stdout, options.abs_tol, options.rel_tol)
            if diff:
                notes.append(f"original differs from the expected output of {case.id} ({diff}); "
                             "candidates are compared with the original there")
                case = Case(case.id, case.data, case.kind, None)
        kept.append(case)
        outputs[case.id] = proc.stdout
        seconds[case.id] = proc.seconds
    stress = tuple(c.id for c in kept if c.kind == "stress")
    return Baseline(built, source, tuple(kept), outputs, seconds,
                    stress or tuple(c.id for c in kept), options, workdir, tuple(notes))
