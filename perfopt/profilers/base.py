"""What every profiler returns (`Profile`: weighted stacks of `Frame`s) and how a
`Workload` becomes a command line."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from perfopt.errors import UserError
from perfopt.models import Workload

# How much of the workload's output a Profile keeps, for error messages.
OUTPUT_TAIL_CHARS = 4000


@dataclass(frozen=True)
class Frame:
    file: str  # absolute path, or a pseudo-file such as "<frozen importlib._bootstrap>"
    line: int  # the executing line (py-spy) or the definition's first line (cProfile)
    function: str


# each distinct stack once: (root-first frames, weight)
Stacks = tuple[tuple[tuple[Frame, ...], int], ...]


@dataclass(frozen=True)
class Profile:
    profiler: str  # "py-spy" | "cprofile"
    samples: int  # total weight of all stacks (samples, or microseconds for cProfile)
    stacks: Stacks
    wall_s: float
    returncode: int
    output_tail: str
    calls: dict[str, int] = field(default_factory=dict)  # "file:line:func" -> calls (cProfile)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def merge(profiles: Iterable[Profile]) -> Profile:
    """One profile for several runs of the same workload (one per stdin input)."""
    items = list(profiles)
    if not items:
        raise ValueError("merge() needs at least one profile")
    weights: dict[tuple[Frame, ...], int] = {}
    calls: dict[str, int] = {}
    for p in items:
        for stack, weight in p.stacks:
            weights[stack] = weights.get(stack, 0) + weight
        for key, count in p.calls.items():
            calls[key] = calls.get(key, 0) + count
    failed = [p for p in items if p.returncode != 0]
    return Profile(
        profiler=items[0].profiler,
        samples=sum(p.samples for p in items),
        stacks=tuple(weights.items()),
        wall_s=sum(p.wall_s for p in items),
        returncode=failed[0].returncode if failed else 0,
        output_tail=(failed[0] if failed else items[-1]).output_tail,
        calls=calls,
    )


def workload_command(workload: Workload, python: str) -> list[str] | str:
    """The command that exercises `workload`: an argv list, or a shell string for "command".

    For "stdin" the program is `workload.command` (a path relative to the project); the
    caller feeds it each of `workload.inputs` in turn.
    """
    if workload.kind == "pytest":
        # -rfEs: the skip reasons too (an importorskip that skipped everything says why)
        cmd = [python, "-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider"]
        if workload.tests:
            # Node ids ("tests/test_x.py::test_y") are passed as is; anything else is -k.
            words = shlex.split(workload.tests)
            if all("::" in w or w.endswith(".py") or "/" in w for w in words):
                cmd += words
            else:
                cmd += ["-k", workload.tests]
        return cmd
    if workload.kind == "command":
        if not workload.command:
            raise UserError("a command workload needs a command; pass --workload 'CMD'")
        return workload.command
    if workload.kind == "stdin":
        if not workload.command:
            raise UserError("a stdin workload needs the program to run; name the .py file")
        if not workload.inputs:
            raise UserError("a stdin workload needs at least one input file")
        return [python, workload.command]
    raise UserError(f"unknown workload kind '{workload.kind}'; use pytest, command or stdin")


def as_shell(cmd: list[str] | str) -> str:
    return cmd if isinstance(cmd, str) else shlex.join(cmd)


def profile_env(
    env: Mapping[str, str] | None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment a profiled workload gets: `env` (default: the scrubbed current one)
    with bytecode writing off, so a profile run leaves no __pycache__ in the project."""
    from perfopt.verify.sandbox import scrubbed_env

    merged = scrubbed_env(extra, base=env) if env is not None else scrubbed_env(extra)
    merged["PYTHONDONTWRITEBYTECODE"] = "1"
    return merged


def stdin_inputs(project: Path, workload: Workload) -> list[bytes | None]:
    """The stdin of each run: one per input file for "stdin" workloads, else one run, no stdin."""
    if workload.kind != "stdin":
        return [None]
    out: list[bytes | None] = []
    for name in workload.inputs:
        path = (project / name) if not Path(name).is_absolute() else Path(name)
        try:
            out.append(path.read_bytes())
        except OSError as exc:
            raise UserError(f"cannot read stdin input {path}: {exc}") from exc
    return out


def tail(text: str) -> str:
    return text[-OUTPUT_TAIL_CHARS:]
