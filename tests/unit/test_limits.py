"""Derived candidate limits (perfopt.verify.limits): the rule on plain numbers, then a
looping candidate stopped within its derived limit at each gate that runs it."""

from __future__ import annotations

import pickle
import time
from pathlib import Path

import pytest

from perfopt.bench.timing import BenchFailed, compare_detailed
from perfopt.config import Settings, validate
from perfopt.errors import ConfigError
from perfopt.models import StressCase, StressSuite, Target
from perfopt.verify import equivalence
from perfopt.verify import tests as project_tests
from perfopt.verify.limits import candidate_limit

SETTINGS = Settings().replace(memory_mb=2048)  # timeout_s stays 300: the flat limit of old
ORIGINAL = "def total(xs):\n    return sum(xs)\n"
LOOPS = "def total(xs):\n    while True:\n        pass\n"
# behaves in the harness, loops in a timing worker (python -m perfopt.bench.worker)
LOOPS_WHEN_TIMED = """import sys


def total(xs):
    while sys.argv[0].endswith("worker.py"):
        pass
    return sum(xs)
"""
# the stop itself: the process group killed, the pipes drained, on a loaded machine
KILL_S = 3.0


def test_the_rule() -> None:
    limit = candidate_limit(0.5, SETTINGS, "recording the same inputs")
    assert limit.seconds == pytest.approx(10 * 0.5 + 2.0)
    assert "10 x the original's 0.50 s recording the same inputs + 2 s" in limit.why
    assert "candidate_timeout_factor" in limit.why
    capped = candidate_limit(40.0, SETTINGS)
    assert capped.seconds == 300.0 and "timeout_s = 300 s" in capped.why
    unknown = candidate_limit(None, SETTINGS)
    assert unknown.seconds == 300.0 and "unknown" in unknown.why
    program = candidate_limit(0.2, SETTINGS, cap_s=3.0, cap_name="case_timeout_s")
    assert program.seconds == 3.0 and "case_timeout_s" in program.why
    assert "ran past its limit of 7.0 s" in limit.reason("the candidate")


def test_a_factor_under_one_is_refused() -> None:
    with pytest.raises(ConfigError, match="candidate_timeout_factor must be >= 1"):
        validate(Settings(candidate_timeout_factor=0.5))


def _tree(root: Path, source: str) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text(source)
    return root


def _suite(folder: Path) -> StressSuite:
    folder.mkdir()
    cases = []
    for i, xs in enumerate(([1, 2, 3], list(range(1000)))):
        (folder / f"c{i}.pkl").write_bytes(pickle.dumps({"args": (xs,), "kwargs": {}}))
        cases.append(StressCase(f"c{i}", "generated", f"c{i}.pkl"))
    return StressSuite(TARGET, tuple(cases), str(folder))


TARGET = Target(file="pkg/mod.py", qualname="total")


def test_a_looping_candidate_is_stopped_within_its_derived_limit(tmp_path: Path) -> None:
    base, cand = _tree(tmp_path / "base", ORIGINAL), _tree(tmp_path / "cand", LOOPS)
    suite = _suite(tmp_path / "suite")
    recording = equivalence.record(base, TARGET, suite, SETTINGS, tmp_path / "out.pkl")
    assert recording.verdict.accepted and recording.unstable == ()
    limit = candidate_limit(recording.seconds, SETTINGS, "recording the same inputs")
    assert limit.seconds < 30  # a record run of a fraction of a second, x10 + 2 s

    started = time.monotonic()
    verdict = equivalence.compare_outcomes(cand, TARGET, suite, SETTINGS, tmp_path / "out.pkl",
                                           limit)
    took = time.monotonic() - started
    assert limit.seconds <= took <= limit.seconds + KILL_S, (took, limit)
    assert verdict.gate == "timeout"
    assert f"ran past its limit of {limit.seconds:.1f} s" in verdict.reason
    assert f"the original's {recording.seconds:.2f} s" in verdict.reason


def test_a_candidate_looping_in_the_timing_worker_is_stopped(tmp_path: Path) -> None:
    base, cand = _tree(tmp_path / "base", ORIGINAL), _tree(tmp_path / "cand", LOOPS_WHEN_TIMED)
    settings = SETTINGS.replace(rounds=1, samples_per_worker=2, min_sample_s=0.001)
    started = time.monotonic()
    with pytest.raises(BenchFailed) as info:
        compare_detailed(base, cand, TARGET, _suite(tmp_path / "suite"), settings)
    took = time.monotonic() - started
    assert info.value.gate == "timeout"
    assert "timing the candidate ran past its limit of" in info.value.reason
    assert "the original's" in info.value.reason and "timing worker" in info.value.reason
    assert took < 60, took  # two original workers, then the candidate's derived limit


def test_looping_tests_are_stopped_within_the_limit(tmp_path: Path) -> None:
    (tmp_path / "test_it.py").write_text("def test_loop():\n    while True:\n        pass\n")
    limit = candidate_limit(0.3, SETTINGS, "running the tests")
    started = time.monotonic()
    result = project_tests.run_tests(tmp_path, SETTINGS, timeout_s=limit.seconds)
    verdict = project_tests.tests_verdict(result, limit)
    assert time.monotonic() - started <= limit.seconds + KILL_S
    assert verdict.gate == "timeout"
    assert verdict.reason.startswith("the tests ran past its limit of 5.0 s (10 x")
