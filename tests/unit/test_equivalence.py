from __future__ import annotations

import contextlib
import pickle
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from perfopt.config import Settings
from perfopt.models import StressCase, StressSuite, Target
from perfopt.verify import equivalence
from perfopt.verify import tests as project_tests
from perfopt.verify.harness import diff

SETTINGS = Settings().replace(timeout_s=30.0, memory_mb=2048)

BASE = """
import os
import sys
import time


def total(xs):
    s = 0
    for x in xs:
        s += x
    return s


def normalize(xs):
    xs.sort()
    return len(xs)


def mean(xs):
    if not xs:
        raise ValueError("empty")
    return sum(xs) / len(xs)


def stamp(xs):
    return time.perf_counter_ns()


class Acc:
    def __init__(self):
        self.items = []

    def add(self, x):
        self.items.append(x)
        return len(self.items)


def entry(xs):
    # a CLI entry point: prints its answer, then closes its stdout
    print(total(xs))
    sys.stdout.close()
    return 0


def entry_hard(xs):
    # closes the interpreter's own stdout and descriptor 1 as well
    print(len(xs))
    sys.__stdout__.close()
    try:
        os.close(1)
    except OSError:
        pass
    return 0
"""


def _tree(root: Path, source: str) -> Path:
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "__init__.py").write_text("")
    (root / "src" / "pkg" / "mod.py").write_text(source)
    return root


def _suite(folder: Path, qualname: str, calls: list[tuple[Any, ...]]) -> StressSuite:
    folder.mkdir()
    cases = []
    for i, args in enumerate(calls):
        (folder / f"c{i}.pkl").write_bytes(pickle.dumps({"args": args, "kwargs": {}}))
        cases.append(StressCase(id=f"c{i}", provenance="generated", payload=f"c{i}.pkl"))
    return StressSuite(target=_target(qualname), cases=tuple(cases), folder=str(folder))


def _target(qualname: str) -> Target:
    return Target(file="src/pkg/mod.py", qualname=qualname)


def _check(
    tmp_path: Path,
    qualname: str,
    calls: list[tuple[Any, ...]],
    replace: tuple[str, str],
    settings: Settings = SETTINGS,
):
    base = _tree(tmp_path / "base", BASE)
    cand = _tree(tmp_path / "cand", BASE.replace(*replace))
    assert replace[0] in BASE
    suite = _suite(tmp_path / "suite", qualname, calls)
    return equivalence.check(base, cand, _target(qualname), suite, settings)


LISTS = [([1, 2, 3],), ([],), ([5, -1, 7, 0],)]


def test_equivalent_rewrite_passes(tmp_path: Path) -> None:
    old = "    s = 0\n    for x in xs:\n        s += x\n    return s\n"
    verdict = _check(tmp_path, "total", LISTS, (old, "    return sum(xs)\n"))
    assert verdict.accepted, verdict
    assert verdict.reason == "same behaviour on 3 inputs"


def test_different_return_value_is_caught(tmp_path: Path) -> None:
    verdict = _check(tmp_path, "total", LISTS, ("s = 0\n", "s = 1\n"))
    assert (verdict.accepted, verdict.gate) == (False, "equivalence")
    assert "return value differs" in verdict.reason and "expected 6, got 7" in verdict.reason


def test_different_mutation_of_an_argument_is_caught(tmp_path: Path) -> None:
    verdict = _check(
        tmp_path,
        "normalize",
        [([3, 1, 2],)],
        ("    xs.sort()\n    return len(xs)", "    return len(sorted(xs))"),
    )
    assert verdict.gate == "equivalence"
    assert "argument 0 mutated differently" in verdict.reason


def test_different_exception_type_is_caught(tmp_path: Path) -> None:
    verdict = _check(
        tmp_path,
        "mean",
        [([1.0, 2.0],), ([],)],
        ('    if not xs:\n        raise ValueError("empty")\n', ""),
    )
    assert verdict.gate == "equivalence"
    assert "input c1" in verdict.reason
    assert "raised ZeroDivisionError instead of ValueError" in verdict.reason


@contextlib.contextmanager
def _project_module() -> Iterator[types.ModuleType]:
    """BASE as the module pkg.mod, so instances of its classes pickle by reference."""
    module = types.ModuleType("pkg.mod")
    exec(compile(BASE, "mod.py", "exec"), module.__dict__)  # noqa: S102 - our own test source
    saved = {name: sys.modules.get(name) for name in ("pkg", "pkg.mod")}
    sys.modules["pkg"] = types.ModuleType("pkg")
    sys.modules["pkg.mod"] = module
    try:
        yield module
    finally:
        for name, old in saved.items():
            if old is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = old


def test_method_with_self_as_first_argument(tmp_path: Path) -> None:
    swap = ("        self.items.append(x)\n", "        self.items.insert(0, x)\n")
    with _project_module() as mod:
        empty, full = mod.Acc(), mod.Acc()
        full.items = [1]
        (tmp_path / "one").mkdir()
        same = _check(tmp_path / "one", "Acc.add", [(empty, 5)], swap)
        (tmp_path / "two").mkdir()
        different = _check(tmp_path / "two", "Acc.add", [(full, 5)], swap)
    assert same.accepted, same  # one item: the same state either way
    assert different.gate == "equivalence"
    assert "argument 0 mutated differently: .items[0]" in different.reason


def test_empty_suite_is_never_a_pass(tmp_path: Path) -> None:
    verdict = _check(tmp_path, "total", [], ("s = 0\n", "s = 0\n"))
    assert (verdict.accepted, verdict.gate, verdict.reason) == (
        False,
        "equivalence",
        "no inputs to compare on",
    )


def test_all_nondeterministic_means_could_not_tell(tmp_path: Path) -> None:
    verdict = _check(
        tmp_path, "stamp", [([1],), ([2],)], ("perf_counter_ns()", "perf_counter_ns()")
    )
    assert verdict.gate == "equivalence"
    assert "could not tell" in verdict.reason
    # what the original's two runs disagreed on, and on which input
    assert "(on c0 ([1]), its second run: return value differs: value: expected" \
        in verdict.reason, verdict.reason


def test_a_target_that_closes_stdout_is_recorded_and_compared(tmp_path: Path) -> None:
    verdict = _check(tmp_path, "entry", LISTS, ("print(total(xs))", "print(total(xs))"))
    assert verdict.accepted, verdict
    assert verdict.reason == "same behaviour on 3 inputs"


def test_closing_the_real_stdout_and_descriptor_1_loses_no_result(tmp_path: Path) -> None:
    verdict = _check(tmp_path, "entry_hard", LISTS, ("print(len(xs))", "print(len(xs))"))
    assert verdict.accepted, verdict


@pytest.mark.parametrize(("qualname", "change", "what"), [
    ("total", ("s = 0\n", "s = 1\n"), "return value differs: value: expected 6, got 7"),
    ("normalize", ("    xs.sort()\n", "    xs.sort(reverse=True)\n"),
     "argument 0 mutated differently: [0]: expected 1, got 3"),
    ("mean", ("    if not xs:\n", "    if len(xs) < 4:\n"),
     "raised ValueError (empty) instead of returning 2.0"),
    ("entry", ("print(total(xs))", "print(total(xs), end='')"),
     "printed output differs: expected '6\\n', got '6'"),
])
def test_a_behaviour_rejection_names_what_differed_and_the_input(
        tmp_path: Path, qualname: str, change: tuple[str, str], what: str) -> None:
    verdict = _check(tmp_path, qualname, [([1, 2, 3],)], change)
    assert verdict.gate == "equivalence", verdict
    assert verdict.reason == f"input c0 (generated): {what}; input: ([1, 2, 3])"


def test_a_hanging_candidate_is_a_timeout(tmp_path: Path) -> None:
    verdict = _check(
        tmp_path,
        "total",
        LISTS,
        ("    s = 0\n", "    while True:\n        pass\n"),
        settings=SETTINGS.replace(timeout_s=2.0),
    )
    assert verdict.gate == "timeout"


def test_candidate_that_cannot_import_is_rejected(tmp_path: Path) -> None:
    verdict = _check(
        tmp_path, "total", LISTS, ("def total(xs):", "@undefined_decorator\ndef total(xs):")
    )
    assert verdict.gate == "equivalence"
    assert "NameError" in verdict.reason


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (float("nan"), float("nan"), True),
        ([1.0, float("nan")], [1.0, float("nan")], True),
        (0.1 + 0.2, 0.3, False),  # exact, not approximate
        (1, 1.0, False),
        (True, 1, False),
        ({"a": [1, {2}]}, {"a": [1, {2}]}, True),
        ((1, 2), [1, 2], False),
    ],
)
def test_diff_values(a: Any, b: Any, same: bool) -> None:
    assert (diff(a, b) is None) is same


class _Plain:
    def __init__(self, x: Any) -> None:
        self.x = x


def test_diff_objects_without_eq_compare_by_attributes() -> None:
    assert diff(_Plain([1, 2]), _Plain([1, 2])) is None
    assert diff(_Plain([1, 2]), _Plain([1, 3])) == ".x[1]: expected 2, got 3"
    assert diff(_Plain(1), _Plain(1.0)) is not None


def test_diff_numpy_arrays() -> None:
    np = pytest.importorskip("numpy")
    assert diff(np.array([1.0, np.nan]), np.array([1.0, np.nan])) is None
    assert diff(np.array([1.0, 2.0]), np.array([1.0, 2.5])) is not None
    assert diff(np.array([1, 2]), np.array([1.0, 2.0])) is not None  # dtype differs


# --- the project's own tests (perfopt.verify.tests) ---------------------------------


@pytest.mark.parametrize(
    ("test_source", "accepted", "gate", "reason_part"),
    [
        ("def test_ok():\n    assert 1 + 1 == 2\n", True, "accepted", "1 passed"),
        ("def test_bad():\n    assert 1 + 1 == 3\n", False, "tests", "1 failed"),
        ("def helper():\n    pass\n", True, "accepted", "no tests collected"),
    ],
)
def test_run_tests_verdicts(
    tmp_path: Path, test_source: str, accepted: bool, gate: str, reason_part: str
) -> None:
    (tmp_path / "test_it.py").write_text(test_source)
    result = project_tests.run_tests(tmp_path, SETTINGS)
    verdict = project_tests.tests_verdict(result)
    assert (verdict.accepted, verdict.gate) == (accepted, gate)
    assert reason_part in verdict.reason
    assert not (tmp_path / ".pytest_cache").exists()
    assert not (tmp_path / "__pycache__").exists()
