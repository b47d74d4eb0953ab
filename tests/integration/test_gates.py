"""The verify loop rejects an identical, a behaviour-changing, a test-breaking and a slower
candidate, each at its named gate, and accepts a real speedup (real processes throughout)."""

import pickle
import textwrap

import pytest

from perfopt.discover import discover
from perfopt.events import Silent
from perfopt.languages.python import get_function
from perfopt.models import Candidate, StressCase, StressSuite, Target
from perfopt.targets.base import Work
from perfopt.targets.function import FunctionKind
from perfopt.verify.gates import judge

ORIGINAL = textwrap.dedent("""\
    def total(xs):
        s = 0
        for x in xs:
            s += x
        return s
    """)


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text('"""Sums."""\n\n\n' + ORIGINAL)
    (root / "tests").mkdir()
    (root / "tests" / "test_mod.py").write_text(
        "from pkg.mod import total\n\n\ndef test_total():\n    assert total([1, 2, 3]) == 6\n"
    )
    cases = root.parent / "suite"
    cases.mkdir()
    for k, n in enumerate((20_000, 30_000)):
        (cases / f"case-{k}.pkl").write_bytes(
            pickle.dumps({"args": (list(range(n)),), "kwargs": {}})
        )
    target = Target("pkg/mod.py", "total", span=(4, 8))
    suite = StressSuite(
        target,
        tuple(StressCase(f"c{k}", "captured", f"case-{k}.pkl") for k in range(2)),
        folder=str(cases),
    )
    project = discover(root)
    project = type(project)(
        **{
            **project.__dict__,
            "settings": project.settings.replace(rounds=3, min_sample_s=0.01, samples_per_worker=4),
        }
    )
    with FunctionKind(project).open(project.settings, Silent(), print) as session:
        work = Work(target, get_function((root / "pkg" / "mod.py").read_text(), "total"))
        yield session, work, session.record(work, suite)


def verdict_of(setup, source):
    session, work, recorded = setup
    return judge(session, work, recorded, Candidate(work.target, source, "human"))


def test_identical_candidate_is_rejected_as_unchanged(setup):
    r = verdict_of(setup, ORIGINAL.replace("s = 0", "s = 0  # same code, new comment"))
    assert (r.verdict.accepted, r.verdict.gate) == (False, "unchanged")


def test_behaviour_change_is_rejected_by_equivalence(setup):
    r = verdict_of(setup, "def total(xs):\n    return sum(xs) + 1\n")
    assert (r.verdict.accepted, r.verdict.gate) == (False, "equivalence")


def test_change_only_the_tests_see_is_rejected_by_tests(setup):
    r = verdict_of(
        setup, "def total(xs):\n    if len(xs) == 3:\n        return 7\n    return sum(xs)\n"
    )
    assert (r.verdict.accepted, r.verdict.gate) == (False, "tests")


def test_slower_candidate_is_rejected_by_benchmark(setup):
    slower = ORIGINAL.replace("return s", "for _ in range(3):\n        sorted(xs)\n    return s")
    r = verdict_of(setup, slower)
    assert (r.verdict.accepted, r.verdict.gate) == (False, "benchmark")
    assert r.measurements and r.measurements[0].speedup < 1.0


def test_faster_candidate_is_accepted_with_an_interval(setup):
    r = verdict_of(setup, "def total(xs):\n    return sum(xs)\n")
    assert r.verdict.accepted, r.verdict.reason
    m = r.measurements[0]
    assert m.ci_low >= 1.05 and m.ci_low <= m.speedup <= m.ci_high
    assert "-    s = 0" in r.diff and "+    return sum(xs)" in r.diff
