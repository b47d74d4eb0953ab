"""Run an instance's PASS_TO_PASS tests in a tree, with the official harness's retry.

A failing test is run once more on its own before it counts (the benchmark retries flaky
tests too); a timeout is a failure, never a pass.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from perfopt.verify import sandbox
from perfopt.verify.jail import Jail

_FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+::\S+)", re.M)


@dataclass(frozen=True)
class P2POutcome:
    passed: bool
    summary: str  # pytest's last line, or why it could not tell
    failed: tuple[str, ...] = ()
    seconds: float = 0.0


def _pytest(python: str, tree: Path, ids: Sequence[str], timeout_s: float,
            memory_mb: int | None, jail: Jail | None = None) -> sandbox.ProcResult:
    env = sandbox.scrubbed_env({"PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": ""})
    cmd = [python, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", *ids]
    return sandbox.run(cmd, cwd=tree, timeout_s=timeout_s, memory_mb=memory_mb, env=env,
                       jail=None if jail is None else jail.allowing(tree))


def _summary(result: sandbox.ProcResult) -> str:
    lines = [ln.strip("= ") for ln in result.stdout.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else result.tail(3)


def existing_ids(python: str, tree: Path, ids: Sequence[str], *, timeout_s: float,
                 memory_mb: int | None = None) -> tuple[str, ...] | None:
    """The ids of `ids` that pytest collects in `tree` (None when collection itself failed).

    A tree rebuilt from a release is not the benchmark's base commit: a few PASS_TO_PASS
    tests may not exist there (sympy 1.7.1 lacks 9 of the 366 listed for 21006). Those can
    neither pass nor fail, so the caller drops them, and says so.
    """
    files = sorted({i.split("::", 1)[0] for i in ids})
    env = sandbox.scrubbed_env({"PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": ""})
    cmd = [python, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
           *[f for f in files if (tree / f).is_file()]]
    result = sandbox.run(cmd, cwd=tree, timeout_s=timeout_s, memory_mb=memory_mb, env=env)
    if result.timed_out or result.returncode not in (0, 5):
        return None
    collected = {line.strip() for line in result.stdout.splitlines() if "::" in line}
    return tuple(i for i in ids if i in collected)


def run_pass_to_pass(python: str, tree: Path, ids: Sequence[str], *, timeout_s: float,
                     memory_mb: int | None = None, retries: int = 1,
                     jail: Jail | None = None) -> P2POutcome:
    """The tests in `tree`, in `jail` (the tree writable) when it holds a candidate."""
    if not ids:
        return P2POutcome(True, "no PASS_TO_PASS tests listed")
    result = _pytest(python, tree, ids, timeout_s, memory_mb, jail)
    seconds = result.seconds
    if result.timed_out:
        return P2POutcome(False, f"tests ran longer than {timeout_s:.0f} s", (), seconds)
    if result.returncode == 0:
        return P2POutcome(True, _summary(result), (), seconds)
    failed = tuple(dict.fromkeys(_FAILED.findall(result.stdout)))
    if not failed:  # collection error, crash: nothing to retry
        return P2POutcome(False, f"pytest exit {result.returncode}: {result.tail(6)}", (), seconds)
    for _ in range(retries):
        again = _pytest(python, tree, failed, timeout_s, memory_mb, jail)
        seconds += again.seconds
        if again.returncode == 0 and not again.timed_out:
            return P2POutcome(True, _summary(result) + f" (flaky, passed on retry: "
                               f"{', '.join(failed)})", (), seconds)
        failed = tuple(dict.fromkeys(_FAILED.findall(again.stdout))) or failed
    return P2POutcome(False, f"{_summary(result)}; failing: {', '.join(failed[:5])}",
                       failed, seconds)
