"""Instruction counts under callgrind: exact, restricted to the measured calls."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from perfopt.bench import callgrind
from perfopt.bench.measure import choose_instruction_work, measure_all, ordered
from perfopt.config import Settings
from perfopt.models import Measurement, StressCase, StressSuite, Target
from perfopt.verify.loader import write_cases_file

needs_valgrind = pytest.mark.skipif(shutil.which("valgrind") is None, reason="no valgrind")

# `i & 7` keeps every integer one machine digit: the cost per step is constant, so a
# third of the steps is a third of the instructions.
WORK = """
def work(n):
    s = 0
    for i in range(n):
        s += i & 7
    return s
"""
THIRD = WORK.replace("range(n)", "range(n // 3)")
TARGET = Target(file="mod.py", qualname="work")
SETTINGS = Settings().replace(rounds=2, samples_per_worker=3, min_sample_s=0.005, timeout_s=120.0)


def _tree(root: Path, source: str) -> Path:
    root.mkdir()
    (root / "mod.py").write_text(source)
    return root


def _suite(folder: Path, sizes: tuple[int, ...] = (3000, 6000)) -> StressSuite:
    folder.mkdir()
    cases = []
    for i, n in enumerate(sizes):
        (folder / f"n{i}.pkl").write_bytes(pickle.dumps({"args": (n,), "kwargs": {}}))
        cases.append(StressCase(id=f"n{i}", provenance="sweep", payload=f"n{i}.pkl", size=n))
    return StressSuite(target=TARGET, cases=tuple(cases), folder=str(folder))


def _pairs(suite: StressSuite) -> list[tuple[str, str]]:
    return [(c.id, c.payload) for c in suite.cases]


@needs_valgrind
@pytest.mark.slow
def test_counts_are_exact_and_a_third_of_the_work_is_a_third(tmp_path: Path) -> None:
    suite = _suite(tmp_path / "suite")
    base = _tree(tmp_path / "a", WORK)
    aa = callgrind.compare_instructions(
        base, _tree(tmp_path / "a_copy_with_longer_path", WORK),
        TARGET, suite, _pairs(suite), 4, SETTINGS,
    )
    assert aa.metric == "instructions"
    # Two copies at paths of different lengths: a handful of instructions apart out of
    # ~18 M (path strings are hashed and copied; 6 Ir seen in a fresh clone), far below
    # anything min_speedup could mistake for a speedup. Same tree, same path: exact (below).
    assert abs(aa.baseline[0] - aa.candidate[0]) <= 1e-5 * aa.baseline[0]
    assert aa.ci_low == aa.ci_high == aa.speedup and abs(aa.speedup - 1.0) < 1e-5
    # 4 loops x 9000 steps at 500-1000 Ir each (~18 M on 3.11, ~33 M on 3.10); the
    # worker's start-up (~220 M) is excluded
    assert 1e6 < aa.baseline[0] < 5e7
    assert "toggled" in aa.note
    # the original's count is reused from the first comparison (same tree, same inputs)
    third = callgrind.compare_instructions(
        base, _tree(tmp_path / "third", THIRD), TARGET, suite, _pairs(suite), 4, SETTINGS
    )
    assert third.baseline == aa.baseline
    # a little over 3, and not the same everywhere: 3.09 on the development machine, 3.10
    # (3.105 in the test below) on CI's
    assert 2.8 < third.speedup < 3.25, third


@needs_valgrind
@pytest.mark.slow
def test_the_same_tree_counts_exactly_the_same_twice(tmp_path: Path) -> None:
    from perfopt.verify.loader import write_cases_file

    suite = _suite(tmp_path / "suite")
    base = _tree(tmp_path / "a", WORK)
    cases = write_cases_file(tmp_path / "cases.json", _pairs(suite))
    first, how = callgrind.count_function(base, TARGET, suite, cases, 2, SETTINGS, "original")
    callgrind._COUNTS.clear()  # force a second real callgrind run, not the cached count
    second, _ = callgrind.count_function(base, TARGET, suite, cases, 2, SETTINGS, "original")
    assert how == "toggled" and first == second and first > 1e6


@needs_valgrind
@pytest.mark.slow
def test_without_the_toggle_symbol_counts_are_differenced(tmp_path: Path) -> None:
    suite = _suite(tmp_path / "suite", sizes=(3000,))
    root = _tree(tmp_path / "base", WORK)
    cases = write_cases_file(tmp_path / "cases.json", _pairs(suite))
    toggled, how = callgrind.count_function(root, TARGET, suite, cases, 2, SETTINGS, "x")
    assert how == "toggled"
    differenced, how = callgrind.count_function(
        root, TARGET, suite, cases, 2, SETTINGS, "x", toggle="no_such_function_xyz"
    )
    assert how == "differenced"
    assert abs(differenced - toggled) / toggled < 0.05


@needs_valgrind
def test_program_instructions_are_exact(tmp_path: Path) -> None:
    cat = shutil.which("cat")
    assert cat
    small = callgrind.program_instructions([cat], b"x" * 1000, cwd=tmp_path)
    assert small == callgrind.program_instructions([cat], b"x" * 1000, cwd=tmp_path)
    assert small > 10_000


@needs_valgrind
@pytest.mark.slow
def test_measure_all_gives_instructions_first_then_wall(tmp_path: Path) -> None:
    suite = _suite(tmp_path / "suite")
    ms = measure_all(
        _tree(tmp_path / "base", WORK), _tree(tmp_path / "third", THIRD), TARGET, suite, SETTINGS
    )
    assert [m.metric for m in ms] == ["instructions", "wall"]
    assert 2.8 < ms[0].speedup < 3.25, ms[0]  # see the test above
    assert ms[1].speedup > 1.5  # the clock agrees in direction even on a loaded machine


def test_measure_all_wall_only_when_asked(tmp_path: Path) -> None:
    suite = _suite(tmp_path / "suite", sizes=(2000,))
    ms = measure_all(
        _tree(tmp_path / "a", WORK), _tree(tmp_path / "b", WORK), TARGET, suite,
        SETTINGS.replace(metric="wall", rounds=1),
    )
    assert [m.metric for m in ms] == ["wall"]
    # 1 round x 2 workers x 3 samples; twice that when the first interval straddled 1.05
    assert len(ms[0].baseline) == 2 * 3 or (len(ms[0].baseline) == 4 * 3
                                            and "extended" in ms[0].note)


def test_costliest_cases_that_fit_the_budget_are_chosen() -> None:
    ids = ["big", "small", "mid"]
    # "big" alone exceeds the budget; "mid" then "small" fit; both are representative
    assert choose_instruction_work(ids, [0.004, 0.001, 0.003], budget_s=0.005) == (
        ["big", "small"], 1,
    )
    chosen, loops = choose_instruction_work(ids, [0.0002, 0.0001, 0.0001], budget_s=0.005)
    assert chosen == ["big", "small", "mid"] and loops == 12
    assert choose_instruction_work(ids, [5.0, 3.0, 4.0]) is None  # nothing fits
    # only toy inputs fit (the costliest case is 500x the one that fits): refuse
    assert choose_instruction_work(ids, [0.5, 0.001, 0.3], budget_s=0.005) is None
    assert choose_instruction_work([], []) is None


def test_ordered_puts_the_deciding_metric_first() -> None:
    def m(metric: str) -> Measurement:
        return Measurement(metric, (1.0,), (1.0,), 1.0, 1.0, 1.0)

    assert [x.metric for x in ordered((m("wall"), m("instructions")))] == ["instructions", "wall"]


def test_read_total_parses_callgrind_output(tmp_path: Path) -> None:
    out = tmp_path / "cg.out"
    out.write_text("events: Ir\nsummary: 1892012\ntotals: 1892012\n")
    assert callgrind.read_total(out) == 1892012
    out.write_text("events: Ir\n")
    with pytest.raises(callgrind.BenchFailed):
        callgrind.read_total(out)
