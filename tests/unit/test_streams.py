"""Stream arguments (generators, builtin iterators): captured as the items a call took,
replayed as fresh generators, compared on what they left unread. Real workloads (a copy of
tests/fixtures/streamproj) and real harness runs in subprocesses."""

from __future__ import annotations

import pickle
import shutil
import sys
import types
from pathlib import Path

import pytest

from perfopt.config import Settings
from perfopt.models import Target, Workload
from perfopt.profilers._capture_plugin import REST, replay, stream_rest
from perfopt.profilers.capture import CaptureReport, capture_calls
from perfopt.stress import build_suite
from perfopt.verify import equivalence

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "streamproj"
TARGET = Target("words/stream.py", "count_distinct")
SETTINGS = Settings(timeout_s=60.0, memory_mb=2048)


def cases(report: CaptureReport) -> list[dict]:
    return [pickle.loads((Path(report.folder) / c.file).read_bytes()) for c in report.cases]


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, CaptureReport]:
    base = tmp_path_factory.mktemp("streams")
    project = base / "streamproj"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("__pycache__"))
    out = base / "out"
    reports = capture_calls(project, Workload(), [TARGET], out, Settings(max_captures=10),
                            python=sys.executable)
    return project, out, reports[TARGET.key]


def test_a_stream_is_recorded_as_the_items_the_call_took(captured) -> None:
    _, _, report = captured
    # the workload passed with the call's generator in place of its own: the caller's
    # `list(stream)` after the call still got "c" and "d" (nothing was read ahead)
    assert (report.error, report.unpicklable) == ("", 0), report
    found = {tuple(c["args"][0][:4]): c["streams"][0]["ended"] for c in cases(report)}
    assert found[("a", "B", "b", "c")] is True  # read to its end
    assert found[("a", "b", "STOP")] is False  # stopped at STOP: "c d" was not taken
    assert found[()] is True
    assert set(report.tests) == {f"tests/test_stream.py::{name}" for name in
                                 ("test_small", "test_the_rest_is_the_callers", "test_large")}


def test_replay_makes_fresh_generators_that_say_what_is_left() -> None:
    data = {"args": (["a", "STOP"],), "kwargs": {"more": [1]},
            "streams": {0: {"ended": False, "error": None},
                        "more": {"ended": True, "error": pickle.dumps(ValueError("torn"))}}}
    args, kwargs = replay(data)
    again, _ = replay(data)
    assert isinstance(args[0], types.GeneratorType) and args[0] is not again[0]
    assert next(args[0]) == "a"
    assert stream_rest(args[0]) == ["STOP", REST]  # a rewrite reading on would take these
    assert list(again[0]) == ["a", "STOP", REST] and stream_rest(again[0]) == []
    assert next(kwargs["more"]) == 1
    with pytest.raises(ValueError, match="torn"):  # the stream's own exception, replayed
        next(kwargs["more"])
    assert stream_rest(iter([1])) is None and stream_rest([1]) is None


def _candidate(tmp_path: Path, project: Path, old: str, new: str) -> Path:
    tree = tmp_path / "candidate"
    shutil.copytree(project, tree, ignore=shutil.ignore_patterns("__pycache__"))
    text = (tree / TARGET.file).read_text()
    assert old in text
    (tree / TARGET.file).write_text(text.replace(old, new))
    return tree


def test_a_rewrite_with_a_set_is_the_same_on_streams(captured, tmp_path: Path) -> None:
    project, out, report = captured
    tree = _candidate(tmp_path, project, "    seen = []\n", "    seen = set()\n")
    text = (tree / TARGET.file).read_text().replace("seen.append(word)", "seen.add(word)")
    (tree / TARGET.file).write_text(text)
    verdict = equivalence.check(project, tree, TARGET, build_suite(TARGET, out, report),
                                SETTINGS)
    assert verdict.accepted, verdict


def test_a_rewrite_that_reads_the_stream_further_is_rejected(captured, tmp_path: Path) -> None:
    project, out, report = captured
    # list(stream) takes what the caller would have read after STOP
    tree = _candidate(tmp_path, project, "    for tok in stream:", "    for tok in list(stream):")
    verdict = equivalence.check(project, tree, TARGET, build_suite(TARGET, out, report),
                                SETTINGS)
    assert verdict.gate == "equivalence", verdict
    assert "argument 0, a stream, was read to a different point" in verdict.reason
    assert "input: (iter(['a', 'b', 'STOP']))" in verdict.reason  # the input it differed on


LAZY = '''
def shout(stream):
    """A lazy function: it returns a generator that reads the stream only when consumed."""
    return (t.upper() for t in stream)
'''

RUN = '''
from lazy import shout

words = iter(["a", "b", "c"])
print(list(shout(words)))
'''


def test_a_lazy_function_is_recorded_with_what_its_generator_took(tmp_path: Path) -> None:
    project = tmp_path / "lazyproj"
    project.mkdir()
    (project / "lazy.py").write_text(LAZY)
    (project / "run.py").write_text(RUN)
    target = Target("lazy.py", "shout")
    out = tmp_path / "out"
    report = capture_calls(project, Workload(kind="command", command="python run.py"),
                           [target], out, Settings(), python=sys.executable)[target.key]
    (case,) = cases(report)
    assert (case["args"], case["streams"][0]["ended"]) == ((["a", "b", "c"],), True)

    tree = tmp_path / "candidate"
    shutil.copytree(project, tree)
    (tree / "lazy.py").write_text(LAZY.replace("return (t.upper() for t in stream)",
                                               "return [t.upper() for t in stream]"))
    verdict = equivalence.check(project, tree, target, build_suite(target, out, report),
                                SETTINGS)
    # a returned generator is compared as the items it yields, and as a generator
    assert verdict.gate == "equivalence", verdict
    assert "return value differs: value: expected Yielded" in verdict.reason, verdict.reason
    assert "got list ['A', 'B', 'C']" in verdict.reason, verdict.reason


def test_the_timing_worker_runs_a_returned_generator_to_its_end() -> None:
    from perfopt.bench import worker

    taken: list[int] = []

    def lazy():
        for i in range(3):
            taken.append(i)
            yield i

    worker._run_calls(lazy, [((), {}), ((), {})])
    assert taken == [0, 1, 2, 0, 1, 2]
