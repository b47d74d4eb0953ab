"""stress_function and the complexity sweep on real functions in a child process."""

from __future__ import annotations

import pickle
import sys
import time
from pathlib import Path

import pytest

from perfopt.languages.python import module_name
from perfopt.models import StressCase, StressSuite, Target
from perfopt.stress.functions import FunctionStressOptions, _Runner, stress_function
from perfopt.stress.sweep import fit_exponent, is_superlinear

ALGOS = '''\
def count_dupes(items: list[int]) -> int:
    n = 0
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if items[i] == items[j]:
                n += 1
    return n


def total(items: list[int]) -> int:
    s = 0
    for x in items:
        s += x
    return s


def dup_pairs(items: list[int]) -> int:
    """Linear on distinct values, quadratic in the size of each group of equal ones."""
    groups = {}
    for x in items:
        groups.setdefault(x, []).append(x)
    n = 0
    for g in groups.values():
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                n += g[i] == g[j]
    return n


def strict(items: list[int]) -> int:
    if len(items) > 20:
        raise ValueError("too long")
    return len(items)
'''


def function_project(tmp_path: Path, module: str, source: str, qualname: str,
                     seed: list) -> tuple[Path, StressSuite]:
    """tmp_path/proj with pkg/`module`.py holding `source`, and one captured call of
    `qualname` with `seed` as its only argument."""
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / f"{module}.py").write_text(source)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "case-1.pkl").write_bytes(pickle.dumps({"args": (seed,), "kwargs": {}}))
    return root, StressSuite(Target(f"pkg/{module}.py", qualname),
                             (StressCase("captured-1", "captured", "case-1.pkl"),), str(seeds))


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, StressSuite]:
    return function_project(tmp_path, "algos", ALGOS, "count_dupes", [3, 1, 4, 1, 5, 9, 2, 6])


def _suite_for(project, qualname: str, tmp_path: Path, budget: float = 20.0,
               seed: list[int] | None = None, captured: bool = True) -> StressSuite:
    # the ladder stops at target_call_s: the budget is only a ceiling for a loaded machine
    root, seeds = project
    if seed is not None:
        (Path(seeds.folder) / "case-1.pkl").write_bytes(
            pickle.dumps({"args": (seed,), "kwargs": {}}))
    target = Target("pkg/algos.py", qualname)
    seeds = StressSuite(target, seeds.cases if captured else (), seeds.folder)
    return stress_function(root, target, seeds, tmp_path / qualname,
                           options=FunctionStressOptions(budget_s=budget, target_call_s=0.1))


def test_fit_exponent_on_exact_power_laws():
    sizes = [100, 200, 400, 800, 1600]
    assert fit_exponent(sizes, [1e-6 * n**2 for n in sizes]) == pytest.approx(2.0)
    assert fit_exponent(sizes, [1e-6 * n for n in sizes]) == pytest.approx(1.0)
    assert fit_exponent([1, 2], [1.0, 2.0]) is None  # too few points
    # a fixed start-up cost flattens the fit unless it is removed
    assert fit_exponent(sizes, [0.05 + 1e-6 * n**2 for n in sizes], floor=0.05) == \
        pytest.approx(2.0, abs=0.05)
    assert is_superlinear(2.0) and not is_superlinear(1.0)


@pytest.mark.slow
def test_quadratic_function_sweeps_to_exponent_two(project, tmp_path):
    suite = _suite_for(project, "count_dupes", tmp_path)
    assert suite.complexity is not None and 1.5 < suite.complexity < 3.0, suite.complexity
    scaled = [c for c in suite.cases if c.provenance in ("sweep", "scaled")]
    assert scaled and max(c.size for c in scaled) > 100
    payload = pickle.loads((Path(suite.folder) / scaled[-1].payload).read_bytes())
    assert set(payload) == {"args", "kwargs"} and len(payload["args"]) == 1
    assert all(isinstance(x, int) for x in payload["args"][0])
    # the captured seed is timed too: the slowdown of the stress inputs is against it
    (seed,) = [c for c in suite.cases if c.provenance == "captured"]
    assert seed.cost is not None and 0 < seed.cost < max(c.cost for c in scaled) / 100
    assert sorted(p.name for p in Path(suite.folder).iterdir()) == sorted(
        c.payload for c in suite.cases)  # no stray copies


@pytest.mark.slow
def test_linear_function_sweeps_to_exponent_one(project, tmp_path):
    suite = _suite_for(project, "total", tmp_path)
    assert suite.complexity is not None and 0.6 < suite.complexity < 1.5, suite.complexity


def test_variants_that_raise_are_not_kept(project, tmp_path):
    suite = _suite_for(project, "strict", tmp_path, budget=3.0)
    for case in suite.cases:
        payload = pickle.loads((Path(suite.folder) / case.payload).read_bytes())
        assert len(payload["args"][0]) <= 20


@pytest.mark.slow
def test_value_strategies_find_a_shape_the_size_sweep_misses(project, tmp_path):
    # distinct values from a wide range: random growth stays linear, however long the list;
    # only few distinct values (or all equal) reach the quadratic part, and at the sweep's
    # largest size that is far too slow: the strategy is stepped down to a size that fits
    # (or found by Hypothesis's search over sizes x strategies)
    suite = _suite_for(project, "dup_pairs", tmp_path, budget=30.0,
                       seed=[100, 5000, 73, 999999, 42, 7, 123456, 31337])
    swept = [c for c in suite.cases if c.provenance == "sweep"]
    searched = [c for c in suite.cases if c.provenance in ("scaled", "hypothesis")]
    assert swept and searched, [(c.provenance, c.note) for c in suite.cases]
    top = max(searched, key=lambda c: c.cost)
    assert top.cost > 2 * max(c.cost for c in swept), (top, swept)
    assert "few" in top.note or "equal" in top.note, top.note
    assert top.size < max(c.size for c in swept)  # smaller, yet costlier
    payload = pickle.loads((Path(suite.folder) / top.payload).read_bytes())
    assert len(set(payload["args"][0])) <= 2 and dup_pairs_count(payload) > 0
    # Hypothesis's storage folder is ours and gone: the folder holds the payloads only
    assert sorted(p.name for p in Path(suite.folder).iterdir()) == sorted(
        c.payload for c in suite.cases)


def dup_pairs_count(payload: dict) -> int:
    items = payload["args"][0]
    return sum(items.count(v) * (items.count(v) - 1) // 2 for v in set(items))


@pytest.mark.slow
def test_type_hints_alone_seed_the_sweep_through_hypothesis(project, tmp_path):
    root, _ = project
    suite = _suite_for(project, "count_dupes", tmp_path, captured=False)
    hinted = [c for c in suite.cases if c.provenance == "hinted"]
    assert hinted, [(c.provenance, c.note) for c in suite.cases]
    for case in hinted:  # valid calls of count_dupes(items: list[int])
        payload = pickle.loads((Path(suite.folder) / case.payload).read_bytes())
        assert isinstance(payload["args"][0], list)
        assert all(type(x) is int for x in payload["args"][0])
    grown = [c for c in suite.cases if c.provenance == "sweep"]
    assert grown and max(c.size for c in grown) > max(c.size for c in hinted)
    assert max(c.cost for c in grown) > max(c.cost for c in hinted)
    assert not (root / ".hypothesis").exists()
    assert sorted(p.name for p in Path(suite.folder).iterdir()) == sorted(
        c.payload for c in suite.cases)


def test_a_worker_stopped_at_its_deadline_keeps_the_jobs_it_finished(tmp_path):
    """One request runs several jobs; when the budget ends in the middle of one, the jobs
    already done are still results (with the model's search ahead of them, a loaded
    machine lost all six value strategies' calls to one cut-off)."""
    root, seeds = function_project(tmp_path, "nap", (
        "import time\n\n\ndef nap(values: list[int]) -> int:\n"
        "    if values == sorted(values):\n        time.sleep(30)\n    return len(values)\n"),
        "nap", [3, 1, 2])
    out = tmp_path / "out"
    out.mkdir()
    options = FunctionStressOptions(max_call_s=60.0)  # the deadline stops it, not the timer
    runner = _Runner(root, module_name(seeds.target.file), "nap",
                     [Path(seeds.folder) / "case-1.pkl"], out, sys.executable, options,
                     time.monotonic() + 6.0)
    points = runner.run([(0, 1.0, "as-is"), (0, 1.0, "sorted"), (0, 1.0, "reverse")])
    assert [p.strategy for p in points] == ["as-is"]
    assert (out / points[0].file).is_file()


ENTRY_POINT = '''\
import sys


def main(items):
    """A CLI entry point: prints first, then closes its stdout."""
    print(len(items))
    sys.stdout.close()
    return sum(x * x for x in items)
'''


def test_a_target_that_closes_stdout_is_still_stressed(tmp_path):
    # Its first call closed the worker's stdout: every later call failed on its print,
    # so no input grew. Now its stdout is a sink it may close.
    root, seeds = function_project(tmp_path, "cli", ENTRY_POINT, "main", list(range(50)))
    suite = stress_function(root, seeds.target, seeds, tmp_path / "out",
                            options=FunctionStressOptions(budget_s=5.0, target_call_s=0.01))
    grown = [c for c in suite.cases if c.provenance != "captured"]
    assert grown and max(c.size or 0 for c in grown) > 50, suite.cases
