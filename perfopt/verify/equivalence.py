"""Same behaviour on the stress suite: record the original, compare the candidate.

Both sides run `perfopt/verify/harness.py` in the sandbox, by its path in the project's
interpreter, each in its own tree. Every way of not knowing is a named rejection: no
inputs, a timeout, a crashed harness, an original that behaves differently on every run.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfopt.config import Settings
from perfopt.interpreter import python_of
from perfopt.models import StressSuite, Target, Verdict
from perfopt.verify import sandbox
from perfopt.verify.jail import jail_for
from perfopt.verify.limits import Limit
from perfopt.verify.loader import target_args, write_cases_file

HARNESS = Path(__file__).with_name("harness.py")


@dataclass(frozen=True)
class Recording:
    """The original recorded: the verdict, the record run's seconds (the base of the
    candidate's compare limit) and the inputs it behaved differently on from run to run
    (compare skips them, so no clock may time them)."""

    verdict: Verdict
    seconds: float = 0.0
    unstable: tuple[str, ...] = ()
    example: str = ""  # what the original's two runs disagreed on, on the first unstable input


def harness_command(
    mode: str,
    root: Path,
    target: Target,
    suite: StressSuite,
    cases_file: Path,
    *extra: str,
    python: str | None = None,
) -> list[str]:
    """The harness run by its file path in `python` (default: perfopt's own), the
    project's interpreter: it needs only the standard library there."""
    return [
        python or sys.executable,
        str(HARNESS),
        mode,
        *target_args(root, target, suite, cases_file),
        "--nonce-stdin",  # the nonce goes on stdin: argv is readable by the code under test
        *extra,
    ]


def parse_result(stdout: str, nonce: str) -> dict[str, Any] | None:
    """The harness's result line: the last JSON object carrying our nonce (code under test
    may print anything, even JSON, before it)."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and value.get("nonce") == nonce:
            return value
    return None


def _unsupported(target: Target, suite: StressSuite) -> Verdict | None:
    if not suite.cases:
        return Verdict.reject("equivalence", "no inputs to compare on")
    if target.qualname is None or target.language != "python":
        return Verdict.reject(
            "equivalence",
            f"no equivalence harness for {target.language} whole programs here; "
            "compare them through languages/ instead",
        )
    return None


def _run(
    mode: str,
    root: Path,
    target: Target,
    suite: StressSuite,
    settings: Settings,
    work: Path,
    *extra: str,
    timeout_s: float | None = None,
    writable: tuple[Path, ...] = (),
) -> tuple[sandbox.ProcResult, dict[str, Any] | None]:
    cases_file = work / "cases.json"
    if not cases_file.exists():
        write_cases_file(cases_file, [(c.id, c.payload) for c in suite.cases])
    nonce = secrets.token_hex(8)
    cmd = harness_command(mode, root, target, suite, cases_file, *extra,
                          python=python_of(settings))
    limit_s = settings.timeout_s if timeout_s is None else timeout_s
    # jailed on both sides (the record run unpickles inputs a model's generator may have
    # written), the tree read-only: no run may change the code a later gate runs
    proc = sandbox.run(cmd, cwd=root, timeout_s=limit_s, memory_mb=settings.memory_mb,
                       jail=jail_for(settings, work, *writable), stdin=nonce + "\n")
    return proc, parse_result(proc.stdout, nonce)


def record_outcomes(
    baseline_root: Path, target: Target, suite: StressSuite, settings: Settings, out: Path
) -> Verdict:
    """Record the original's outcomes into `out` (reusable across candidates).
    Accepted means recorded; a rejection says why the original could not be recorded."""
    return record(baseline_root, target, suite, settings, out).verdict


def record(
    baseline_root: Path, target: Target, suite: StressSuite, settings: Settings, out: Path
) -> Recording:
    """`record_outcomes`, with the record run's seconds and the unstable inputs."""
    problem = _unsupported(target, suite)
    if problem:
        return Recording(problem)
    with tempfile.TemporaryDirectory(prefix="perfopt-eq-") as tmp:
        proc, result = _run(
            "record", baseline_root, target, suite, settings, Path(tmp), "--out", str(out),
            writable=(out.parent,),
        )
    verdict = _recorded(proc, result, suite, settings)
    unstable = tuple(str(c) for c in (result or {}).get("unstable", ()))
    return Recording(verdict, proc.seconds, unstable, str((result or {}).get("example", "")))


def _recorded(proc: sandbox.ProcResult, result: dict[str, Any] | None, suite: StressSuite,
              settings: Settings) -> Verdict:
    if proc.timed_out:
        return Verdict.reject(
            "timeout",
            f"the original ran longer than {settings.timeout_s:g} s on "
            f"{len(suite.cases)} stress inputs; lower the input sizes or raise timeout_s",
        )
    if result is None:
        return Verdict.reject(
            "sandbox",
            f"the harness crashed recording the original (exit {proc.returncode}): {proc.tail(8)}",
        )
    if not result.get("ok"):
        return Verdict.reject("sandbox", f"could not record the original: {result.get('detail')}")
    unstable = int(result.get("nondeterministic", 0))
    return Verdict.accept(f"recorded {result.get('cases')} inputs ({unstable} nondeterministic)")


def compare_outcomes(
    candidate_root: Path, target: Target, suite: StressSuite, settings: Settings, recorded: Path,
    limit: Limit | None = None,
) -> Verdict:
    """The candidate's outcomes against the recording; `limit` (from the original's record
    run, verify.limits) stops a candidate that runs too long, else timeout_s does."""
    problem = _unsupported(target, suite)
    if problem:
        return problem
    with tempfile.TemporaryDirectory(prefix="perfopt-eq-") as tmp:
        proc, result = _run(
            "compare",
            candidate_root,
            target,
            suite,
            settings,
            Path(tmp),
            "--expected",
            str(recorded),
            timeout_s=None if limit is None else limit.seconds,
        )
    if proc.timed_out and limit is not None:
        return Verdict.reject("timeout", limit.reason(
            f"the candidate on {len(suite.cases)} stress inputs"))
    if proc.timed_out:
        return Verdict.reject(
            "timeout",
            f"the candidate ran longer than {settings.timeout_s:g} s on "
            f"{len(suite.cases)} stress inputs",
        )
    if result is None:
        return Verdict.reject(
            "sandbox",
            f"the harness crashed running the candidate (exit {proc.returncode}): {proc.tail(8)}",
        )
    if not result.get("ok"):
        case = result.get("case")
        detail = str(result.get("detail"))
        return Verdict.reject("equivalence", f"input {_named(suite, case)}: {detail}"
                              if case else detail)
    return Verdict.accept(str(result.get("detail")))


def _named(suite: StressSuite, case_id: str) -> str:
    """`scaled-24 (size 9003, compare)`: which input, how large, where it came from."""
    case = next((c for c in suite.cases if c.id == case_id), None)
    if case is None:
        return case_id
    size = f"size {case.size}, " if case.size is not None else ""
    return f"{case_id} ({size}{case.provenance})"


def check(
    baseline_root: Path,
    candidate_root: Path,
    target: Target,
    suite: StressSuite,
    settings: Settings,
    *,
    recorded: Path | None = None,
    limit: Limit | None = None,
) -> Verdict:
    """Does the candidate tree behave like the baseline tree on every stress input?

    Pass `recorded` (from `record_outcomes`) to skip re-recording the baseline."""
    problem = _unsupported(target, suite)
    if problem:
        return problem
    if recorded is not None:
        return compare_outcomes(candidate_root, target, suite, settings, recorded, limit)
    with tempfile.TemporaryDirectory(prefix="perfopt-rec-") as tmp:
        outcomes = Path(tmp) / "outcomes.pkl"
        verdict = record_outcomes(baseline_root, target, suite, settings, outcomes)
        if not verdict.accepted:
            return verdict
        return compare_outcomes(candidate_root, target, suite, settings, outcomes)
