from __future__ import annotations

import json
import pickle
import random
import subprocess
import sys
from pathlib import Path

import pytest

from perfopt.bench import critic, timing
from perfopt.bench.stats import mann_whitney_rank, shift_ci, speedup_ci
from perfopt.config import Settings
from perfopt.models import StressCase, StressSuite, Target

# --- statistics ----------------------------------------------------------------------


def test_identical_distributions_give_an_interval_containing_one() -> None:
    rng = random.Random(1)
    a = [1.0 + rng.gauss(0, 0.03) for _ in range(30)]
    b = [1.0 + rng.gauss(0, 0.03) for _ in range(30)]
    point, low, high = speedup_ci(a, b)
    assert low <= 1.0 <= high
    assert low <= point <= high
    assert speedup_ci(a, b) == (point, low, high)  # seeded: reproducible


def test_a_real_speedup_excludes_one() -> None:
    rng = random.Random(2)
    a = [3.0 + rng.gauss(0, 0.05) for _ in range(12)]
    b = [1.0 + rng.gauss(0, 0.02) for _ in range(12)]
    point, low, high = speedup_ci(a, b)
    assert 2.7 < low <= point <= high < 3.3


def test_exact_counts_have_a_point_interval() -> None:
    assert speedup_ci([300.0] * 3, [100.0] * 3) == (3.0, 3.0, 3.0)


def test_bad_samples_are_refused() -> None:
    with pytest.raises(ValueError):
        speedup_ci([], [1.0])
    with pytest.raises(ValueError):
        speedup_ci([1.0, 0.0], [1.0, 1.0])


def _with_u(m: int, n: int, u: int) -> tuple[list[float], list[float]]:
    """Samples whose Mann-Whitney U (pairs x > y) is exactly u."""
    y = [float(j) for j in range(n)]
    x = []
    for _ in range(m):
        take = min(n, u)
        u -= take
        x.append(take - 0.5)
    return x, y


@pytest.mark.parametrize(("m", "n"), [(6, 6), (12, 12), (8, 5), (12, 10), (24, 24)])
def test_rank_interval_uses_the_exact_critical_value(m: int, n: int) -> None:
    from scipy import stats

    c = mann_whitney_rank(m, n, 0.05)
    assert c is not None
    # scipy's exact test as the oracle: U = c is rejected at 5%, U = c + 1 is not
    for u, rejected in ((c, True), (c + 1, False)):
        x, y = _with_u(m, n, u)
        p = stats.mannwhitneyu(x, y, method="exact", alternative="two-sided").pvalue
        assert bool(p <= 0.05) is rejected, (m, n, u, p)
    assert mann_whitney_rank(3, 3, 0.05) is None  # 20 arrangements: none rare enough


def test_rank_interval_covers_and_resists_outlier_workers() -> None:
    rng = random.Random(3)
    covered = 0
    for _ in range(400):
        a = [1.0 + rng.gauss(0, 0.05) for _ in range(12)]
        b = [1.0 + rng.gauss(0, 0.05) for _ in range(12)]
        _, low, high = shift_ci(a, b)
        covered += low <= 1.0 <= high
    assert 0.92 <= covered / 400 <= 0.99
    # 1.25x, with two workers per side caught by a burst that makes them 1.6x slower
    base = [1.25 + rng.gauss(0, 0.02) for _ in range(12)]
    cand = [1.0 + rng.gauss(0, 0.02) for _ in range(12)]
    base[3] *= 1.6
    cand[7] *= 1.6
    cand[8] *= 1.6
    point, low, high = shift_ci(base, cand)
    assert 1.15 < low <= point <= high < 1.4
    assert speedup_ci(base, cand)[1] < low  # the bootstrap of medians is pulled further
    assert shift_ci([3.0] * 4, [1.0] * 4) == (3.0, 3.0, 3.0)


def test_undecided_means_more_rounds_could_accept() -> None:
    assert timing.undecided(1.2, 1.0, 1.4, 1.05)
    assert not timing.undecided(1.2, 1.06, 1.4, 1.05)  # already accepted
    assert not timing.undecided(1.01, 0.9, 1.1, 1.05)  # point below: not worth it
    assert not timing.undecided(1.5, 0.9, 1.04, 1.05)  # cannot reach it


# --- real timing on a tiny project --------------------------------------------------

WORK = """
def work(n):
    s = 0
    for i in range(n):
        s += i * i
    return s
"""

TARGET = Target(file="mod.py", qualname="work")
# Small enough for a unit test, big enough for a loaded 2-core machine: 6 workers a side.
FAST = Settings().replace(rounds=3, samples_per_worker=3, min_sample_s=0.01, timeout_s=60.0)


def _tree(root: Path, source: str) -> Path:
    root.mkdir()
    (root / "mod.py").write_text(source)
    return root


def _suite(folder: Path) -> StressSuite:
    folder.mkdir()
    cases = []
    for i, n in enumerate((3000, 6000)):
        (folder / f"n{i}.pkl").write_bytes(pickle.dumps({"args": (n,), "kwargs": {}}))
        cases.append(StressCase(id=f"n{i}", provenance="sweep", payload=f"n{i}.pkl", size=n))
    return StressSuite(target=TARGET, cases=tuple(cases), folder=str(folder))


def test_worker_calibrates_and_samples(tmp_path: Path) -> None:
    root, suite = _tree(tmp_path / "base", WORK), _suite(tmp_path / "suite")
    base = [
        sys.executable,
        "-m",
        "perfopt.bench.worker",
        "--root",
        str(root),
        "--file",
        "mod.py",
        "--qualname",
        "work",
        "--suite",
        suite.folder,
    ]

    def run(*extra: str) -> dict:
        out = subprocess.run(
            [*base, *extra], capture_output=True, text=True, timeout=60, check=True
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    loops = run("--calibrate", "0.01")["loops"]
    assert loops >= 1 and loops & (loops - 1) == 0  # a power of two
    result = run("--loops", str(loops), "--samples", "4", "--warmup", "1")
    assert result["loops"] == loops
    assert len(result["samples"]) == 4
    # one loop = both cases once: 9000 iterations of a Python loop, microseconds at least
    assert all(1e-5 < s < 0.5 for s in result["samples"])


def test_interleave_runs_abba() -> None:
    order: list[str] = []

    def runner(name: str):
        return lambda: order.append(name) or [float(len(order))]

    a, b = timing.interleave(runner("A"), runner("B"), rounds=2)
    assert "".join(order) == "ABBAABBA"
    assert len(a) == len(b) == 4


@pytest.mark.slow
def test_a_a_is_not_accepted(tmp_path: Path) -> None:
    base = _tree(tmp_path / "base", WORK)
    same = _tree(tmp_path / "same", WORK)
    aa = timing.compare(base, same, TARGET, _suite(tmp_path / "suite"), FAST)
    assert aa.metric == "wall" and len(aa.baseline) == len(aa.candidate)
    # 3 rounds x 2 workers x 3 samples; once more when the first interval straddled 1.05
    assert len(aa.baseline) == 18 or (len(aa.baseline) == 36 and "extended by 3" in aa.note)
    assert aa.ci_low < 1.05
    assert not critic.accept([aa], critic.policy_from_settings(FAST)).accepted


@pytest.mark.slow
def test_a_third_of_the_work_is_accepted(tmp_path: Path) -> None:
    base = _tree(tmp_path / "base", WORK)
    third = _tree(tmp_path / "third", WORK.replace("range(n)", "range(n // 3)"))
    faster = timing.compare(base, third, TARGET, _suite(tmp_path / "suite"), FAST)
    verdict = critic.accept([faster], critic.policy_from_settings(FAST))
    assert verdict.accepted, (verdict, faster)
    assert 1.5 < faster.speedup < 6.0
    assert faster.seconds_spent > 0 and faster.loops >= 1


def test_a_crashing_candidate_raises_bench_failed(tmp_path: Path) -> None:
    base = _tree(tmp_path / "base", WORK)
    broken = _tree(
        tmp_path / "broken",
        WORK.replace("def work(n):", "def work(n):\n    import os; os._exit(3)"),
    )
    with pytest.raises(timing.BenchFailed) as failure:
        timing.compare(base, broken, TARGET, _suite(tmp_path / "suite"), FAST)
    assert failure.value.gate == "sandbox"
    assert "candidate" in failure.value.reason


def test_budget_plan_shrinks_repetitions_for_costly_samples() -> None:
    from perfopt.bench.timing import budget_plan
    from perfopt.config import Settings

    s = Settings()
    assert budget_plan(0.001, s) == (s.rounds, s.samples_per_worker)  # cheap: full plan
    rounds, samples = budget_plan(0.3, s)
    assert (rounds, samples) < (s.rounds, s.samples_per_worker)
    assert rounds * 4 * (0.3 + (samples + 1) * 0.3) <= s.measure_budget_s + 5
    assert budget_plan(10.0, s) == (3, 2)  # never below the floor
