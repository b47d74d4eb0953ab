"""stress_function and the complexity sweep on real functions in a child process."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from perfopt.models import StressCase, StressSuite, Target
from perfopt.stress.functions import FunctionStressOptions, stress_function
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


def strict(items: list[int]) -> int:
    if len(items) > 20:
        raise ValueError("too long")
    return len(items)
'''


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, StressSuite]:
    root = tmp_path / "proj"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "algos.py").write_text(ALGOS)
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "case-1.pkl").write_bytes(
        pickle.dumps({"args": ([3, 1, 4, 1, 5, 9, 2, 6],), "kwargs": {}}))
    suite = StressSuite(Target("pkg/algos.py", "count_dupes"),
                        (StressCase("captured-1", "captured", "case-1.pkl"),), str(seeds))
    return root, suite


def _suite_for(project, qualname: str, tmp_path: Path, budget: float = 20.0) -> StressSuite:
    # the ladder stops at target_call_s: the budget is only a ceiling for a loaded machine
    root, seeds = project
    target = Target("pkg/algos.py", qualname)
    seeds = StressSuite(target, seeds.cases, seeds.folder)
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
