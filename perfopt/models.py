"""The values that flow through the pipeline.

Small, frozen and JSON round-trippable: `to_dict(value)` gives plain JSON data and
`from_dict(Type, data)` rebuilds the value (nested dataclasses, tuples, optionals).
"""

from __future__ import annotations

import dataclasses
import hashlib
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar, Union

T = TypeVar("T")

# Gate names, in the order verify runs them. A rejected candidate's verdict names one.
GATES = ("unchanged", "parse", "compile", "guard", "equivalence", "tests", "benchmark", "timeout",
         "sandbox")


@dataclass(frozen=True)
class Target:
    """Code to optimize: one function/method (qualname) in a file, or a whole program."""

    file: str  # path relative to the project root, POSIX separators
    qualname: str | None = None  # "func", "Class.method", "outer.inner"; None = whole program
    language: str = "python"
    span: tuple[int, int] | None = None  # 1-based first and last line of the definition

    @property
    def key(self) -> str:
        return f"{self.file}::{self.qualname}" if self.qualname else self.file


@dataclass(frozen=True)
class Workload:
    """How to exercise the code: pytest (default), a shell command, or a program on stdin files."""

    kind: str = "pytest"  # "pytest" | "command" | "stdin"
    command: str | None = None  # for "command": a shell command line run in the project root
    tests: str | None = None  # for "pytest": a -k expression or node ids
    inputs: tuple[str, ...] = ()  # for "stdin": input files


@dataclass(frozen=True)
class Interpreter:
    """The project's interpreter (perfopt/interpreter.py): it runs the workload, the tests,
    the harness and the timing workers."""

    path: str
    source: str  # "--python", "[tool.perfopt] python", ".venv/", "venv/", "VIRTUAL_ENV",
    # or "perfopt's own"
    version: str = ""  # "3.9.18"
    missing: tuple[str, ...] = ()  # of pytest and hypothesis, what it cannot import


@dataclass(frozen=True)
class Hotspot:
    target: Target
    self_share: float  # fraction of all samples with this function on top of the project stack
    total_share: float  # fraction of samples with this function anywhere on the stack
    score: float  # the rank key: time perfopt could win back (own + directly called non-project)
    samples: int = 0
    calls: int | None = None  # from cProfile / argument capture, when known
    hot_lines: tuple[tuple[int, float], ...] = ()  # (line, share of this function's samples)
    callers: tuple[str, ...] = ()


@dataclass(frozen=True)
class StressCase:
    """One input for a target. `payload` is a file name (relative to the suite's folder)
    holding the pickled `(args, kwargs)` for a function, or the stdin bytes for a program."""

    id: str
    # "captured", "hinted" (Hypothesis, from type hints: seeds when nothing was captured),
    # "hypothesis" (its targeted search), "scaled", "sweep", "sample", "generated",
    # "mutated", "model" (a model's input generator), "llm", "check" (small random
    # inputs of a program: compared, never timed)
    provenance: str
    payload: str
    size: int | None = None
    cost: float | None = None  # seconds (or instructions) of the original on this input
    note: str = ""


@dataclass(frozen=True)
class StressSuite:
    target: Target
    cases: tuple[StressCase, ...] = ()
    folder: str = ""  # where payload files live
    complexity: float | None = None  # fitted exponent of cost ~ size^k, when a sweep ran
    unpicklable: int = 0  # captured calls that could not be recorded


@dataclass(frozen=True)
class Skill:
    id: str
    kind: str  # "operator" | "meta"
    languages: tuple[str, ...]
    title: str
    mechanism: str
    triggers: tuple[str, ...] = ()
    example_before: str = ""
    example_after: str = ""
    pitfalls: tuple[str, ...] = ()
    codemod: str | None = None  # name of a deterministic rewrite in perfopt.skills.codemods
    impact: float = 1.0  # rough expected speedup class, used to order a plan
    source: str = ""  # where the knowledge comes from


@dataclass(frozen=True)
class Candidate:
    """Replacement source for a target (the whole def, or the whole file for programs)."""

    target: Target
    source: str
    origin: str  # "codemod:<skill-id>", "llm:<model>#<k>", "human", "reference"
    skills: tuple[str, ...] = ()
    parent: str | None = None
    rationale: str = ""

    @property
    def id(self) -> str:
        digest = hashlib.sha256(f"{self.target.key}\0{self.source}".encode()).hexdigest()
        return digest[:12]


@dataclass(frozen=True)
class Machine:
    """Where a measurement was taken (as pyperf's metadata): numbers from another machine,
    interpreter or load are not comparable."""

    python: str = ""  # version of the interpreter that ran the measured code
    platform: str = ""
    cpu: str = ""
    cpus: int = 0
    load_start: float = 0.0  # 1-minute load average when the measurement started
    load_end: float = 0.0


@dataclass(frozen=True)
class Measurement:
    metric: str  # "wall" | "instructions" | "gpu-wall"
    baseline: tuple[float, ...]  # per-sample cost of the original (seconds per loop, or counts)
    candidate: tuple[float, ...]
    speedup: float  # baseline / candidate, point estimate
    ci_low: float
    ci_high: float
    confidence: float = 0.95
    loops: int = 1
    seconds_spent: float = 0.0  # wall time the measurement itself took
    note: str = ""
    machine: Machine | None = None


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    gate: str  # "accepted", or the gate that rejected it (see GATES)
    reason: str = ""

    @classmethod
    def accept(cls, reason: str = "") -> Verdict:
        return cls(True, "accepted", reason)

    @classmethod
    def reject(cls, gate: str, reason: str) -> Verdict:
        return cls(False, gate, reason)


@dataclass(frozen=True)
class CandidateResult:
    candidate: Candidate
    verdict: Verdict
    measurements: tuple[Measurement, ...] = ()
    diff: str = ""

    @property
    def speedup(self) -> float | None:
        return self.measurements[0].speedup if self.measurements else None


@dataclass(frozen=True)
class Plan:
    """The diagnose stage's output for one target: the skills put before the model, best
    first, and the codemods (chains joined by "+") that apply to its code."""

    target: Target
    skills: tuple[str, ...] = ()
    codemods: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetOutcome:
    """What became of one target: `verified` (candidates were judged), `no-candidate`
    (nothing to try), or `skipped` (could not be judged); `reason` says why, or how the
    candidates fared."""

    target: Target
    status: str
    reason: str = ""
    inputs: int = 0  # stress-suite inputs its candidates were judged on
    # what judged them: "equivalence harness: ... on 26 inputs", or "tests: the 2 project
    # tests that run it (...), and the whole workload timed ...; no call of it could be..."
    oracle: str = ""


@dataclass(frozen=True)
class RunResult:
    project: str
    hotspots: tuple[Hotspot, ...] = ()
    results: tuple[CandidateResult, ...] = ()
    applied: tuple[str, ...] = ()  # files written (with --apply)
    patch: str = ""  # unified diff of all accepted candidates
    warnings: tuple[str, ...] = ()
    profiler: str = ""
    seconds: float = 0.0
    usage: dict[str, float] = field(default_factory=dict)  # tokens / cost, when a model ran
    plans: tuple[Plan, ...] = ()
    outcomes: tuple[TargetOutcome, ...] = ()
    python: Interpreter | None = None  # the project's interpreter (function kind)


# --- JSON round-trip -------------------------------------------------------------------


def to_dict(value: Any) -> Any:
    """Plain JSON data for a model value (dataclasses, tuples, dicts, scalars)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_dict(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_dict(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_dict(v) for k, v in value.items()}
    return value


def from_dict(cls: type[T], data: Any) -> T:
    """Inverse of `to_dict` for the dataclass `cls`."""
    return _build(cls, data)


def _build(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        options = typing.get_args(tp)
        if data is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _build(option, data)
            except (TypeError, ValueError, KeyError):
                continue
        raise ValueError(f"{data!r} fits none of {tp}")
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_build(args[0], v) for v in data)
        return tuple(_build(a, v) for a, v in zip(args, data, strict=True))
    if origin is dict:
        key_t, val_t = typing.get_args(tp)
        return {_build(key_t, k): _build(val_t, v) for k, v in data.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise TypeError(f"expected an object for {tp.__name__}, got {type(data).__name__}")
        hints = typing.get_type_hints(tp)
        kwargs = {
            f.name: _build(hints[f.name], data[f.name])
            for f in dataclasses.fields(tp)
            if f.name in data
        }
        return tp(**kwargs)
    if tp is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if tp in (str, int, float, bool) and not isinstance(data, tp):
        raise TypeError(f"expected {tp.__name__}, got {type(data).__name__}")
    if tp is int and isinstance(data, bool):
        raise TypeError("expected int, got bool")
    return data
