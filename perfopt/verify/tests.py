"""Run the project's own tests in a workspace, and turn the result into a verdict.

pytest exit code 5 means "no tests collected": that is not a failure of the candidate,
but it is not evidence either. `tests_verdict` accepts it with the reason
"no tests collected" (gate "accepted"), and the pipeline turns that reason into a
warning in the report, so a project without tests never looks verified by its tests.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
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


# pytest's short summary (-rfE): "FAILED tests/t.py::test_a - AssertionError...",
# "ERROR tests/t.py::test_b - ..." (a fixture's error) or "ERROR tests/t.py" (collection)
_SUMMARY = re.compile(r"^(FAILED|ERROR) (\S[^\n]*?)(?: - [^\n]*)?$", re.MULTILINE)


@dataclass(frozen=True)
class OriginalTests:
    """The project's tests on the original: the command candidates run and its seconds."""

    command: list[str] | str | None  # None: settings.test_command or the default
    seconds: float | None  # None: they do not pass on the original either
    known_failures: tuple[str, ...] = ()  # failing on the original, left out for candidates


def original_baseline(root: Path, settings: Settings) -> OriginalTests:
    """Run the tests on the original (in `root`, a copy). When the default pytest run fails
    there, run every test once to learn which fail, and judge candidates by the others
    (`--deselect` each, `--ignore` a file that fails to collect): a test that fails before
    any change says nothing about a candidate. A configured test_command is taken whole."""
    proc = run_tests(root, settings, settings.test_command)
    if not proc.timed_out and proc.returncode in (0, PYTEST_NO_TESTS):
        return OriginalTests(settings.test_command, proc.seconds)
    if settings.test_command is not None or proc.timed_out:
        return OriginalTests(settings.test_command, None)
    command = [c for c in default_command(python_of(settings)) if c != "-x"]
    full = run_tests(root, settings, [*command, "-rfE", "--continue-on-collection-errors"])
    failing = tuple(dict.fromkeys(m.group(2).strip() for m in _SUMMARY.finditer(full.stdout)))
    if full.timed_out or not failing:
        return OriginalTests(None, None)
    passing = [*default_command(python_of(settings)),
               *(f"--deselect={n}" if "::" in n else f"--ignore={n}" for n in failing)]
    again = run_tests(root, settings, passing)
    if again.timed_out or again.returncode != 0:
        return OriginalTests(None, None)
    return OriginalTests(passing, again.seconds, failing)


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
