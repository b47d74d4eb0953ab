"""Same behaviour on the stress suite: record the original, compare the candidate.

Both sides run `perfopt.verify.harness` in the sandbox, each in its own tree. Every way
of not knowing is a named rejection: no inputs, a timeout, a crashed harness, an original
that behaves differently on every run.
"""

from __future__ import annotations

import json
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

from perfopt.config import Settings
from perfopt.models import StressSuite, Target, Verdict
from perfopt.verify import sandbox
from perfopt.verify.loader import target_args, write_cases_file


def harness_command(
    mode: str,
    root: Path,
    target: Target,
    suite: StressSuite,
    cases_file: Path,
    nonce: str,
    *extra: str,
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "perfopt.verify.harness",
        mode,
        *target_args(root, target, suite, cases_file),
        "--nonce",
        nonce,
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
) -> tuple[sandbox.ProcResult, dict[str, Any] | None]:
    cases_file = work / "cases.json"
    if not cases_file.exists():
        write_cases_file(cases_file, [(c.id, c.payload) for c in suite.cases])
    nonce = secrets.token_hex(8)
    cmd = harness_command(mode, root, target, suite, cases_file, nonce, *extra)
    proc = sandbox.run(cmd, cwd=root, timeout_s=settings.timeout_s, memory_mb=settings.memory_mb)
    return proc, parse_result(proc.stdout, nonce)


def record_outcomes(
    baseline_root: Path, target: Target, suite: StressSuite, settings: Settings, out: Path
) -> Verdict:
    """Record the original's outcomes into `out` (reusable across candidates).
    Accepted means recorded; a rejection says why the original could not be recorded."""
    problem = _unsupported(target, suite)
    if problem:
        return problem
    with tempfile.TemporaryDirectory(prefix="perfopt-eq-") as tmp:
        proc, result = _run(
            "record", baseline_root, target, suite, settings, Path(tmp), "--out", str(out)
        )
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
    candidate_root: Path, target: Target, suite: StressSuite, settings: Settings, recorded: Path
) -> Verdict:
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
        )
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
        return Verdict.reject("equivalence", f"input {case}: {detail}" if case else detail)
    return Verdict.accept(str(result.get("detail")))


def check(
    baseline_root: Path,
    candidate_root: Path,
    target: Target,
    suite: StressSuite,
    settings: Settings,
    *,
    recorded: Path | None = None,
) -> Verdict:
    """Does the candidate tree behave like the baseline tree on every stress input?

    Pass `recorded` (from `record_outcomes`) to skip re-recording the baseline."""
    problem = _unsupported(target, suite)
    if problem:
        return problem
    if recorded is not None:
        return compare_outcomes(candidate_root, target, suite, settings, recorded)
    with tempfile.TemporaryDirectory(prefix="perfopt-rec-") as tmp:
        outcomes = Path(tmp) / "outcomes.pkl"
        verdict = record_outcomes(baseline_root, target, suite, settings, outcomes)
        if not verdict.accepted:
            return verdict
        return compare_outcomes(candidate_root, target, suite, settings, outcomes)
