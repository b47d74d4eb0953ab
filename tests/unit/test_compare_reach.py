"""Every timed input is a compared one, and the comparison reaches past the stress sizes.

Before: a dedupe that dropped its last item once its result passed 5,000 items was
accepted at 184x: the suite's largest result held 4,500 items, where the original's cost
stopped the stress search. The compare-only sweep grows the kept plans until one call of
the original costs compare_call_s; those inputs are compared, never timed."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from perfopt.config import Settings
from perfopt.models import StressCase, StressSuite, Target
from perfopt.stress.functions import FunctionStressOptions, stress_function
from perfopt.targets import function as fn_kind
from perfopt.targets.base import Work
from perfopt.verify import equivalence
from tests.unit.test_stress_functions import function_project

UNIQUE = '''def unique(items):
    out = []
    for x in items:
        if x not in out:
            out.append(x)
    return out


def stamp(items):
    import time
    return time.perf_counter_ns()
'''
TARGET = Target("pkg/uniq.py", "unique")


def _case(cid: str, provenance: str, cost: float, size: int) -> StressCase:
    return StressCase(cid, provenance, f"{cid}.pkl", size, cost)


def test_timing_never_takes_a_compare_only_or_unstable_input() -> None:
    suite = StressSuite(TARGET, (
        _case("captured-1", "captured", 0.01, 100), _case("captured-2", "captured", 0.02, 200),
        _case("scaled-1", "scaled", 0.1, 1000), _case("scaled-2", "sweep", 0.2, 2000),
        _case("hypothesis-1", "hypothesis", 0.3, 3000),
        _case("scaled-9", "compare", 0.9, 90000)))
    timed = fn_kind.timing_suite(suite, unstable=("hypothesis-1",))
    assert [c.id for c in timed.cases] == ["captured-1", "captured-2", "scaled-1", "scaled-2"]
    assert [c.id for c in fn_kind.timing_suite(suite).cases][-2:] == ["scaled-2", "hypothesis-1"]


def test_the_timing_suite_is_checked_against_what_was_compared(monkeypatch, tmp_path) -> None:
    """Where the timing suite is built, an input the harness did not compare is a bug."""
    suite = StressSuite(TARGET, (_case("captured-1", "captured", 0.01, 10),
                                 _case("scaled-1", "scaled", 0.1, 100)))
    recorded = fn_kind.Recorded(Work(TARGET, UNIQUE), suite, tmp_path / "out.pkl", 0.1,
                                unstable=("scaled-1",))
    assert recorded.compared == {"captured-1"}
    monkeypatch.setattr(fn_kind, "timing_suite", lambda suite, unstable=(): suite)
    session = fn_kind.FunctionSession.__new__(fn_kind.FunctionSession)
    with pytest.raises(AssertionError, match=r"did not compare: \['scaled-1'\]"):
        session.measure(None, recorded)  # type: ignore[arg-type]


def test_the_record_run_names_its_unstable_inputs(tmp_path: Path) -> None:
    root, seeds = function_project(tmp_path, "uniq", UNIQUE, "stamp", [1, 2, 3])
    recording = equivalence.record(root, Target("pkg/uniq.py", "stamp"), seeds, Settings(),
                                   tmp_path / "out.pkl")
    assert recording.verdict.accepted and recording.unstable == ("captured-1",)
    assert recording.seconds > 0


def _distinct(suite: StressSuite, case: StressCase) -> int:
    payload = pickle.loads((Path(suite.folder) / case.payload).read_bytes())
    return len(set(payload["args"][0]))


@pytest.mark.slow
def test_the_comparison_reaches_past_the_stress_sizes(tmp_path: Path) -> None:
    # captured values span 0..199: random growth never passes 200 distinct items, only the
    # "distinct" strategy makes large results, and the original's cost stops it early
    root, seeds = function_project(tmp_path, "uniq", UNIQUE, "unique",
                                   [(i * 37) % 200 for i in range(400)])
    options = FunctionStressOptions(budget_s=8.0, target_call_s=0.01, max_call_s=0.04,
                                    compare_call_s=0.15, compare_budget_s=15.0)
    suite = stress_function(root, TARGET, seeds, tmp_path / "suite", options=options)
    compare = [c for c in suite.cases if c.provenance == "compare"]
    stressed = [c for c in suite.cases if c.provenance != "compare"]
    assert compare, [(c.id, c.provenance, c.size, c.cost) for c in suite.cases]
    assert max(c.size or 0 for c in compare) > max(c.size or 0 for c in stressed)
    assert max(_distinct(suite, c) for c in compare) > max(_distinct(suite, c)
                                                          for c in stressed)
    # within the comparison's budget per call (a call past 2x is stopped)
    assert all((c.cost or 0) <= 2 * options.compare_call_s for c in compare)
    assert all("compared, not timed" in c.note for c in compare)
    # none of them is timed
    timed = fn_kind.timing_suite(suite)
    assert not {c.id for c in timed.cases} & {c.id for c in compare}
    assert sorted(p.name for p in Path(suite.folder).iterdir()) == sorted(
        c.payload for c in suite.cases)  # the ladders' smaller rungs are not left behind
