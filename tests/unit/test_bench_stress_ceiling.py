"""bench/stress_ceiling.py: its hand-made inputs keep to the constraints, and its summary."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location("stress_ceiling",
                                                      ROOT / "bench" / "stress_ceiling.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return module


def test_every_hand_made_input_keeps_to_its_problems_constraints():
    bench = _bench()
    for pid, cases in bench.WORST_CASES.items():
        for text in cases().values():
            bench._check(pid, text)


@pytest.mark.parametrize("pid, text", [
    ("p02881", "1000000000001\n"),                      # N over 10^12
    ("p03575", "4 3\n1 2\n2 3\n1 3\n"),                 # vertex 4 not connected
    ("p03013", "10 2\n5\n4\n"),                         # broken steps not increasing
    ("p03170", "2 10\n3 11\n"),                         # a stone over K
    ("p03078", "2 2 2 9\n1 2\n1 2\n1 2\n"),             # K over X*Y*Z
])
def test_an_input_that_breaks_the_constraints_is_refused(pid, text):
    bench = _bench()
    with pytest.raises(ValueError, match="constraints"):
        bench._check(pid, text)


def test_the_summary_takes_each_pairs_larger_figure_for_the_median():
    bench = _bench()
    rows = [{"problem_id": f"p{i}", "pair": "a->b", "slowdown": s}
            for i, s in enumerate([1.0, 3.0, 12.0, 30.0, 40.0])]
    results = [{"problem_id": "p2", "pair": "a->b", "ceiling": 25.0},
               {"problem_id": "p1", "pair": "a->b", "ceiling": 2.0}]
    summary = bench.summarize(results, rows)
    assert summary["median_slowdown_recorded"] == 12.0
    assert summary["median_slowdown_with_ceilings"] == 25.0
    assert summary["pairs_ceiling_ge_20x"] == 1
    assert summary["pairs_with_ceilings_ge_20x"] == 3
    assert summary["pairs_needed_ge_20x"] == 3
