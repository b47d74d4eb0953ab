"""Choosing the stress inputs: the time the search leaves for it, and a floor ranking
that keeps the counts that finish."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

import pytest

from perfopt.bench.program_clock import Startup
from perfopt.stress.program_finalists import (
    BEST_KEPT,
    IR_SHARE,
    IR_SLOWDOWN,
    confirm_reserve_s,
    rank_by_instructions,
    reserve_s,
)
from perfopt.stress.program_search import ProgramStressOptions, Search, Tried

STARTUPS_S = [0.030, 0.031, 0.032]  # a calm machine: the floor is FLOOR_S (10 ms)


def _search(budget_s: float, costs: list[float], gross_s: float = 0.03,
            cwd: Path = Path("."), command: list[str] | None = None) -> Search:
    """A search that has run one input per cost (plain numbers: nothing runs)."""
    startup = Startup([], cwd, None, runs_s=list(STARTUPS_S))
    search = Search(None, command or [], cwd, ProgramStressOptions(budget_s=budget_s),
                    time.monotonic() + budget_s, startup)
    for k, cost in enumerate(costs):
        search.tried.append(Tried(None, f"{k}\n", cost, "mutated", gross=gross_s + cost))
    return search


def test_inputs_at_the_floor_keep_time_for_their_counts_when_valgrind_is_there():
    at_floor = _search(40.0, [0.001, 0.002, 0.003, 0.001])
    reserve = reserve_s(at_floor, can_count=True)
    one_count_s = IR_SLOWDOWN * 0.032  # the chosen inputs' median gross, ~100x
    # at least the rounds BEST_KEPT counts take two at a time, at most IR_SHARE
    assert 2 * one_count_s <= reserve <= IR_SHARE * 40.0 + 1, reserve
    assert reserve_s(at_floor, can_count=False) == 0.0  # no valgrind: the clock's choice
    # a budget too short for BEST_KEPT counts keeps nothing back for them
    assert reserve_s(_search(8.0, [0.001, 0.002, 0.003]), can_count=True) == 0.0


def test_inputs_the_clock_resolves_keep_time_only_for_their_confirmation():
    resolved = _search(40.0, [0.5, 0.6, 0.7])
    assert reserve_s(resolved, can_count=True) == confirm_reserve_s(resolved) > 0


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("valgrind") is None, reason="instruction counts need valgrind")
def test_a_count_that_cannot_finish_loses_its_input_not_the_ranking(tmp_path):
    # on a loaded machine a count took ~8 s where ~2 s were planned, and one count over
    # its limit made the whole floor ranking fall back to the clock's random choice
    program = tmp_path / "cube.py"
    program.write_text("n = int(input())\nfor _ in range(n ** 3):\n    pass\n")
    search = _search(25.0, [], cwd=tmp_path, command=[sys.executable, str(program)])
    # three small inputs, and one whose count runs far past any limit, last in the pool
    # (the cheapest by the clock; texts of one length keep the run order by size)
    for text, cost in (("030\n", 0.004), ("020\n", 0.003), ("010\n", 0.002),
                       ("999\n", 0.001)):
        search.tried.append(Tried(None, text, cost, "mutated", gross=0.03 + cost))
    counted, chosen = rank_by_instructions(search, search.tried[:BEST_KEPT])
    assert counted == BEST_KEPT, [t.instructions for t in search.tried]
    assert [t.text for t in chosen] == ["030\n", "020\n", "010\n"]  # by count: n**3
    assert search.tried[-1].instructions is None
