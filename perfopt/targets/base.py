"""What the one loop (perfopt.pipeline) needs from a kind of target, and nothing more.

A kind (a function in a project, a whole program on stdin inputs, a repository with a
workload) opens a `Session` over its job. The session finds the targets (`targets`: the
profile stage), builds each one's inputs (`stress`), records the original's behaviour on
them (`record`), and for a candidate: places it in a tree (`replace`: parse and compile),
compares its behaviour with the recording (`compare`), runs the project's tests (`tests`)
and times it against the original through a clock of perfopt.bench (`measure`). The loop
and the gate chain (perfopt.verify.gates) call only these verbs. What `record` returns is
the kind's own baseline; one that has an `oracle` attribute (a line: what judges the
candidates) has it put in the target's outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from perfopt.config import Settings
from perfopt.events import Events
from perfopt.models import (
    Candidate,
    CandidateResult,
    Hotspot,
    Measurement,
    StressSuite,
    Target,
    Verdict,
)

# The model's stress code for a target, asked with the evidence the stressor has (the
# captured calls' shapes for a function; a program's samples are in its Work); None: it
# gave none.
AskModel = Callable[[str], "str | None"]
Warn = Callable[[str], None]


@dataclass(frozen=True)
class Work:
    """One target, ready for the loop."""

    target: Target
    code: str  # the original's source: a definition, or the whole program
    hotspot: Hotspot | None = None
    seeds: StressSuite | None = None  # real inputs captured by the profile stage
    statement: str | None = None  # a program's problem statement, when there is one
    samples: tuple[str, ...] = ()  # a program's sample inputs, as text


@dataclass(frozen=True)
class Tree:
    """A candidate placed where it can run: a workspace copy or a built program."""

    diff: str  # unified diff of the candidate against the original file
    handle: Any  # what the session's compare / tests / measure need (kind-specific)


class Skip(Exception):
    """A target that cannot be judged (no inputs, an original that does not run)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Rejected(Exception):
    """A candidate stopped before it could run: `gate` is "parse" or "compile"."""

    def __init__(self, gate: str, reason: str, diff: str = "") -> None:
        super().__init__(reason)
        self.gate, self.reason, self.diff = gate, reason, diff


class Session(Protocol):
    settings: Settings
    profiler: str  # which profiler found the targets ("" when none ran)
    python: str  # the interpreter that runs the target's code

    def targets(self) -> list[Work]: ...

    def stress(self, work: Work, ask_model: AskModel | None) -> StressSuite: ...

    def record(self, work: Work, suite: StressSuite) -> Any: ...

    def replace(self, work: Work, candidate: Candidate) -> AbstractContextManager[Tree]: ...

    def compare(self, tree: Tree, baseline: Any) -> Verdict: ...

    def tests(self, tree: Tree) -> Verdict | None: ...

    def measure(self, tree: Tree, baseline: Any) -> tuple[Measurement, ...]: ...

    def combine(self, chosen: list[CandidateResult]) -> tuple[dict[str, str], Verdict | None]: ...

    def original_text(self, rel: str) -> str: ...

    def destination(self, rel: str) -> Path: ...


class Kind(Protocol):
    """A target kind with what it was given (a project, a program and its inputs...)."""

    @property
    def name(self) -> str: ...

    def open(self, settings: Settings, events: Events,
             warn: Warn) -> AbstractContextManager[Session]: ...
