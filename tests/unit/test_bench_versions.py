"""`perfopt bench` as a library call, paired statistics, and whole-program timing."""

from __future__ import annotations

import math
import random
import subprocess
import sys
from pathlib import Path

import pytest

from perfopt.bench.stats import paired_speedup_ci, round_values, speedup_ci
from perfopt.bench.versions import BenchInputs, bench_versions, parse_call
from perfopt.config import Settings
from perfopt.errors import UserError

WALL = Settings().replace(
    metric="wall", rounds=3, samples_per_worker=3, min_sample_s=0.005, timeout_s=60.0,
)
WORK = "def work(n):\n    s = 0\n    for i in range(n):\n        s += i & 7\n    return s\n"


def test_paired_interval_cancels_drift_that_hits_both_sides() -> None:
    # Round i runs 30% slower than round i-1 for both sides alike: a drift the unpaired
    # statistic sees as noise, the per-round ratio removes.
    rng = random.Random(3)
    drift = [1.3**i for i in range(6)]
    a = [2.0 * d * (1 + rng.gauss(0, 0.01)) for d in drift]
    b = [1.0 * d * (1 + rng.gauss(0, 0.01)) for d in drift]
    point, low, high = paired_speedup_ci(a, b)
    assert 1.95 < low <= point <= high < 2.05
    _, ulow, uhigh = speedup_ci(a, b)
    assert uhigh / ulow > 2 * (high / low)


def test_paired_interval_of_identical_sides_contains_one() -> None:
    rng = random.Random(4)
    a = [1 + rng.gauss(0, 0.03) for _ in range(6)]
    b = [1 + rng.gauss(0, 0.03) for _ in range(6)]
    _, low, high = paired_speedup_ci(a, b)
    assert low < 1.0 < high
    assert math.isnan(paired_speedup_ci([1.0], [2.0])[1])
    with pytest.raises(ValueError):
        paired_speedup_ci([1.0, 2.0], [1.0])


def test_round_values_average_the_two_workers_of_a_round() -> None:
    assert round_values([[1.0, 3.0, 2.0], [4.0], [10.0], [20.0]]) == [3.0, 15.0]


def test_parse_call_takes_literals_only() -> None:
    assert parse_call("1000") == ((1000,), {})
    assert parse_call("[3, 1, 2], reverse=True") == (([3, 1, 2],), {"reverse": True})
    with pytest.raises(UserError):
        parse_call("__import__('os').system('true')")


@pytest.mark.slow
def test_two_files_with_the_same_function(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old = tmp_path / "old" / "mod.py"
    new = tmp_path / "new" / "fast.py"
    old.write_text(WORK)
    new.write_text(WORK.replace("range(n)", "range(n // 4)"))
    report = bench_versions(old, new, "work", None, None, BenchInputs(calls=("20000",)), WALL)
    assert report.metric == "wall"
    assert report.speedup > 1.5  # 4x fewer steps; a 2-core machine under load blurs it
    text = "\n".join(report.lines())
    assert "fast.py::work vs" in text and "wall" in text


@pytest.mark.slow
def test_two_git_revisions_of_a_function(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=tmp_path, check=True, capture_output=True)

    mod = tmp_path / "mod.py"
    mod.write_text(WORK)
    git("init", "-q")
    git("add", "mod.py")
    git("commit", "-qm", "slow")
    mod.write_text(WORK.replace("range(n)", "range(n // 4)"))
    git("commit", "-qam", "fast")
    report = bench_versions(mod, None, "work", "HEAD~1", "HEAD", BenchInputs(calls=("20000",)),
                            WALL)
    assert report.a.startswith("HEAD~1:") and report.speedup > 1.5
    with pytest.raises(UserError, match="git show"):
        bench_versions(mod, None, "work", "no-such-rev", None, BenchInputs(calls=("1",)), WALL)


@pytest.mark.slow
def test_whole_python_programs_on_stdin(tmp_path: Path) -> None:
    slow = tmp_path / "slow.py"
    fast = tmp_path / "fast.py"
    body = "import sys\nn = int(sys.stdin.read())\ns = 0\nfor i in range(N):\n    s += i & 7\n"
    slow.write_text(body.replace("N", "n"))
    fast.write_text(body.replace("N", "n // 10"))
    data = tmp_path / "in.txt"
    data.write_text("1000000")
    report = bench_versions(slow, fast, None, None, None, BenchInputs(files=(data,)), WALL)
    assert [m.metric for m in report.measurements] == ["wall"]  # scripts are not counted
    assert report.speedup > 1.5  # ~100 ms of loop vs ~10 ms, plus start-up in both


def test_nothing_to_compare_is_a_user_error(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text(WORK)
    with pytest.raises(UserError, match="nothing to compare"):
        bench_versions(f, None, "work", None, None, BenchInputs(calls=("1",)), WALL)
    assert sys.executable
