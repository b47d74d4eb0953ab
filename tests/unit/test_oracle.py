"""The oracle of a function whose calls cannot be recorded: the tests that run it (found by
the capture wrapper under pytest), and the whole workload timed in two trees. Real pytest
runs on a copy of tests/fixtures/lockproj, real processes for the clock."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from perfopt.bench.timing import BenchFailed
from perfopt.bench.workload import measure_commands
from perfopt.config import Settings
from perfopt.models import Target, Workload
from perfopt.profilers.capture import CaptureReport, capture_calls
from perfopt.targets import oracle
from perfopt.targets.base import Skip, Work
from perfopt.verify.sandbox import scrubbed_env

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "lockproj"
TARGET = Target("labels/registry.py", "distinct_labels")
WORK = Work(TARGET, "def distinct_labels(registry, keys): ...")
SETTINGS = Settings(timeout_s=120.0, rounds=3)
TESTS = ("tests/test_registry.py::test_distinct_labels_keep_first_seen_order",
         "tests/test_registry.py::test_distinct_labels_of_many_keys")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("oracle") / "lockproj"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture(scope="module")
def calls(project: Path, tmp_path_factory: pytest.TempPathFactory) -> CaptureReport:
    """The project's tests run once with the target wrapped, nothing pickled."""
    out = tmp_path_factory.mktemp("test-calls")
    return capture_calls(project, Workload(), [TARGET], out, SETTINGS.replace(max_captures=0),
                         python=sys.executable)[TARGET.key]


def test_the_tests_that_call_it_are_noted(calls: CaptureReport) -> None:
    assert calls.tests == TESTS  # not test_label_count, which never calls it
    assert (calls.recorded, calls.error) == (0, "")


def test_the_oracle_passes_the_original_and_fails_a_wrong_rewrite(
        project: Path, calls: CaptureReport, tmp_path: Path) -> None:
    why = "its arguments do not pickle"
    chosen = oracle.run_on_original(
        project, oracle.choose(WORK, SETTINGS, sys.executable, why, calls), SETTINGS)
    assert chosen.tests == TESTS and chosen.seconds is not None
    assert chosen.oracle.startswith(f"tests: the 2 project tests that run it ({TESTS[0]}")
    assert chosen.oracle.endswith(f"no call of it could be recorded ({why})")

    wrong = tmp_path / "wrong"
    shutil.copytree(project, wrong)
    source = (wrong / TARGET.file).read_text()
    (wrong / TARGET.file).write_text(source.replace("    return seen\n",
                                                    "    return sorted(seen)\n"))
    verdict = oracle.judge_tests(wrong, chosen, SETTINGS)
    assert (verdict.accepted, verdict.gate) == (False, "equivalence"), verdict
    assert verdict.reason.startswith("oracle: the 2 tests that run it fail with the "
                                     "candidate (exit 1: "), verdict.reason
    assert oracle.judge_tests(project, chosen, SETTINGS).accepted


def test_no_test_that_calls_it_is_a_skip_that_says_why() -> None:
    none = CaptureReport(TARGET.key, "labels.registry", "distinct_labels", "/nowhere")
    with pytest.raises(Skip) as skip:
        oracle.choose(WORK, SETTINGS, sys.executable, "its arguments do not pickle", none)
    assert skip.value.reason == ("no call of it could be recorded (its arguments do not "
                                 "pickle), and none of the project's tests calls it: "
                                 "nothing can judge a rewrite")


@pytest.mark.parametrize(("counts", "why"), [
    ({"unpicklable": 3, "outer_calls": 3, "why": "argument 0 `r` (x.R): TypeError: no"},
     "3 of its 3 calls had arguments that do not pickle: argument 0 `r` (x.R): TypeError: no"),
    ({"too_large": 2}, "its 2 calls' arguments pickled to more than 16 MB each"),
    ({"error": "the workload never imported x"}, "the workload never imported x"),
    ({}, "the workload did not call it while its calls were captured"),
])
def test_why_no_call_was_recorded_is_exact(counts: dict, why: str) -> None:
    report = CaptureReport(TARGET.key, "x", "f", "/nowhere", **counts)
    assert oracle.unrecorded(report) == why


def _tree(root: Path, body: str) -> Path:
    root.mkdir()
    (root / "work.py").write_text(body)
    return root


def test_the_workload_clock_interleaves_both_trees(tmp_path: Path) -> None:
    original = _tree(tmp_path / "original", "print(sum(range(10)))\n")
    candidate = _tree(tmp_path / "candidate", "print(45)\n")
    m = measure_commands([sys.executable, "work.py"], original, candidate,
                         python=sys.executable, env_of=lambda root: scrubbed_env(),
                         settings=SETTINGS)
    assert (m.metric, len(m.baseline), len(m.candidate)) == ("wall", 6, 6)  # 3 rounds ABBA
    assert m.ci_low <= m.speedup <= m.ci_high


def test_a_workload_that_fails_with_the_candidate_is_named(tmp_path: Path) -> None:
    original = _tree(tmp_path / "original", "print(1)\n")
    candidate = _tree(tmp_path / "candidate", "raise SystemExit('broken')\n")
    with pytest.raises(BenchFailed) as failed:
        measure_commands([sys.executable, "work.py"], original, candidate,
                         python=sys.executable, env_of=lambda root: scrubbed_env(),
                         settings=SETTINGS)
    assert failed.value.gate == "equivalence"
    assert failed.value.reason.startswith("the workload fails with the candidate (exit 1: ")
    assert "broken" in failed.value.reason
