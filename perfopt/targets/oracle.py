"""The oracle of a hot function whose calls cannot be recorded (its arguments do not
pickle: an object holding a lock, a lambda, a file), used by the function kind.

With no recorded call there is nothing for the equivalence harness to replay, so the
project's own tests judge behaviour instead, and only those that run the function: the
capture plugin notes, under pytest, the id of the test running at each call of it (of the
workload's tests when the workload is pytest and the tests are the default ones, else of
one run of the test command). `record` runs them on the original (they must pass);
`compare` runs them on the candidate's tree (the candidate must pass them); speed is the
whole workload timed in the original tree and the candidate's, interleaved
(perfopt.bench.workload.measure_commands), and the critic decides on it as on any wall
clock. The one gate chain (perfopt.verify.gates.judge) runs all of it: unchanged, parse,
guard, these tests as "equivalence", the project's tests, the workload clock, the critic.

Why calls and not line coverage: the question is which tests run the function, and the
wrapper that captures calls answers it in the project's own interpreter with the standard
library alone (coverage.py is seldom installed there), the same wrapper for both. A call
the wrapper cannot see (a reference to the function taken before its module finished
importing) goes unseen by both; the full test suite still runs at the "tests" gate.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from perfopt.config import Settings
from perfopt.models import Verdict
from perfopt.profilers.capture import CaptureReport
from perfopt.targets.base import Skip, Work
from perfopt.verify.limits import candidate_limit
from perfopt.verify.sandbox import ProcResult

MAX_TEST_IDS = 200  # more tests run it: the whole test command is the oracle
SHOWN_TESTS = 3  # test ids named in the oracle's description


@dataclass(frozen=True)
class TestsOracle:
    """The baseline of a function judged by the tests that run it."""

    __test__ = False  # a name pytest would otherwise collect

    work: Work
    command: tuple[str, ...] | str  # runs the selected tests
    tests: tuple[str, ...]  # their pytest ids; () when the whole test command is the oracle
    why: str  # why no call of it could be recorded
    seconds: float | None = None  # the selected tests on the original

    @property
    def oracle(self) -> str:
        """What judges a candidate, in one line (the report's `oracle`)."""
        if self.tests:
            shown = ", ".join(self.tests[:SHOWN_TESTS])
            more = len(self.tests) - SHOWN_TESTS
            which = (f"the {len(self.tests)} project tests that run it ({shown}"
                     f"{f' and {more} more' if more > 0 else ''})")
        else:
            which = "the project's test command, which runs it"
        return (f"tests: {which}, and the whole workload timed original against candidate; "
                f"no call of it could be recorded ({self.why})")


def unrecorded(report: CaptureReport | None) -> str:
    """Why argument capture recorded no call of a target, exactly."""
    if report is None:
        return "argument capture did not run"
    if report.recorded:
        return f"{report.recorded} calls were recorded"
    if report.unpicklable:
        return (f"{report.unpicklable} of its {report.outer_calls} calls had arguments that "
                f"do not pickle: {report.why or 'no detail'}")
    if report.too_large:
        return f"its {report.too_large} calls' arguments pickled to more than 16 MB each"
    if report.error:
        return report.error
    return "the workload did not call it while its calls were captured"


def test_ids(report: CaptureReport | None) -> tuple[str, ...]:
    return report.tests if report is not None else ()


def command_for(settings: Settings, python: str, tests: tuple[str, ...]) -> tuple[str, ...] | str:
    """The command that runs `tests` (pytest ids): the project's test command (a shell line,
    or pytest in the project's interpreter) with the ids after it."""
    from perfopt.verify.tests import default_command

    if settings.test_command:
        return " ".join([settings.test_command, *map(shlex.quote, tests)])
    return (*default_command(python), *tests)


def choose(work: Work, settings: Settings, python: str, why: str,
           report: CaptureReport | None) -> TestsOracle:
    """The oracle for `work` from the tests that called it (`report`: the test run's
    capture report); Skip, saying exactly why, when no test runs it."""
    tests = test_ids(report)
    if not tests and (report is None or not report.calls):
        ran = f" (the tests: {report.error})" if report is not None and report.error else ""
        raise Skip(f"no call of it could be recorded ({why}), and none of the project's "
                   f"tests calls it{ran}: nothing can judge a rewrite")
    if len(tests) > MAX_TEST_IDS or not tests:  # many, or a test command without pytest
        tests = ()
    return TestsOracle(work, command_for(settings, python, tests), tests, why)


def _as_command(command: tuple[str, ...] | str) -> list[str] | str:
    return command if isinstance(command, str) else list(command)


def run_on_original(root: Path, oracle: TestsOracle, settings: Settings) -> TestsOracle:
    """The oracle with the original's seconds on its tests; Skip when they do not pass."""
    from dataclasses import replace

    from perfopt.verify.tests import run_tests

    proc = run_tests(root, settings, _as_command(oracle.command))
    if proc.timed_out or proc.returncode != 0:
        raise Skip(f"no call of it could be recorded ({oracle.why}), and the tests that run "
                   f"it do not pass on the original ({_failure(proc)})")
    return replace(oracle, seconds=proc.seconds)


def judge_tests(root: Path, oracle: TestsOracle, settings: Settings) -> Verdict:
    """The candidate's tree on the oracle's tests: gate "equivalence" when they fail."""
    from perfopt.verify.tests import run_tests

    limit = candidate_limit(oracle.seconds, settings, "running the tests that run it")
    proc = run_tests(root, settings, _as_command(oracle.command), timeout_s=limit.seconds)
    what = f"{len(oracle.tests)} tests that run it" if oracle.tests else "the test command"
    if proc.timed_out:
        return Verdict.reject("timeout", limit.reason(f"the {what}"))
    if proc.returncode != 0:
        return Verdict.reject("equivalence", f"oracle: the {what} fail with the candidate "
                                             f"({_failure(proc)})")
    summary = (proc.stdout.strip().splitlines()[-1:] or [""])[0]
    return Verdict.accept(f"oracle: the {what} pass ({summary})")


def _failure(proc: ProcResult) -> str:
    if proc.timed_out:
        return f"ran past {proc.seconds:.0f} s"
    return f"exit {proc.returncode}: {proc.tail(12)}"
