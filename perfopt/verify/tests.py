"""Run the project's own tests in a workspace, and turn the result into a verdict.

pytest exit code 5 means "no tests collected": that is not a failure of the candidate,
but it is not evidence either. `tests_verdict` accepts it with the reason
"no tests collected" (gate "accepted"), and the pipeline turns that reason into a
warning in the report, so a project without tests never looks verified by its tests.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from perfopt.config import Settings
from perfopt.interpreter import python_of, tree_env
from perfopt.models import Verdict
from perfopt.verify import sandbox
from perfopt.verify.jail import jail_for
from perfopt.verify.limits import Limit
from perfopt.verify.sandbox import ProcResult

PYTEST_NO_TESTS = 5
NO_TESTS_REASON = "no tests collected"


def default_command(python: str | None = None) -> list[str]:
    # No cache provider: .pytest_cache would otherwise appear in the workspace copy.
    return [python or sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]


def run_tests(root: Path, settings: Settings, command: list[str] | str | None = None, *,
              timeout_s: float | None = None) -> ProcResult:
    """Run `command` (or settings.test_command, or pytest) in `root`, sandboxed, for at most
    `timeout_s` (default settings.timeout_s). A string command runs through the shell, as
    the user wrote it in their config. They run in the project's interpreter, with the
    tree's src/ and root first on PYTHONPATH (perfopt.interpreter.tree_env)."""
    python = python_of(settings)
    if command is None:
        command = settings.test_command or default_command(python)
    shell = isinstance(command, str)
    return sandbox.run(
        command,
        cwd=root,
        timeout_s=settings.timeout_s if timeout_s is None else timeout_s,
        memory_mb=settings.memory_mb,
        env=tree_env(root, python, sandbox.scrubbed_env()),
        shell=shell,
        jail=jail_for(settings, root),  # the tests run a candidate's tree
    )


def tests_verdict(result: ProcResult, limit: Limit | None = None) -> Verdict:
    """`limit`: the one the run had (verify.limits), named in a timeout's reason."""
    if result.timed_out and limit is not None:
        return Verdict.reject("timeout", limit.reason("the tests"))
    if result.timed_out:
        return Verdict.reject("timeout", f"tests ran longer than {result.seconds:.0f} s")
    if result.returncode == 0:
        summary = result.stdout.strip().splitlines()[-1:] or [""]
        return Verdict.accept(f"tests passed: {summary[0]}".rstrip(": "))
    if result.returncode == PYTEST_NO_TESTS:
        return Verdict(True, "accepted", NO_TESTS_REASON)
    return Verdict.reject("tests", f"tests failed (exit {result.returncode}):\n{result.tail(15)}")


def describe(command: list[str] | str) -> str:
    return command if isinstance(command, str) else shlex.join(command)
