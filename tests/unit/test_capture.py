"""Argument capture and captured stress suites, run for real on a copy of
tests/fixtures/hotproj. Replaying cases happens in a subprocess: unpickling imports the
project, which must not leak into this test process."""

from __future__ import annotations

import dataclasses
import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from perfopt.config import Settings
from perfopt.models import StressSuite, Target, Workload
from perfopt.profilers.capture import (
    CaptureReport,
    CaseInfo,
    capture_calls,
    load_report,
    target_slug,
)
from perfopt.stress import build_suite, load_suite, save_suite
from perfopt.stress.captured import select_spread

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hotproj"
GEO, INV, TXT = "hotproj/geometry.py", "hotproj/inventory.py", "hotproj/textstats.py"
TARGETS = [
    Target(GEO, "PointCloud.closest_pair"),  # method
    Target(GEO, "PointCloud.from_pairs"),  # classmethod
    Target(GEO, "PointCloud.distance"),  # staticmethod
    Target(INV, "dedupe_records"),  # decorated with functools.wraps
    Target(INV, "bundle_count"),  # recursive
    Target(INV, "parse_sku"),  # raises on one call
    Target(TXT, "strip_stopwords"),  # mutates its argument
    Target(TXT, "filter_words"),  # called with a lambda
    Target(TXT, "no_such_function"),
]

# Replays every case of the named targets with resolve_callable; prints, per case, what
# the arguments were (classes by name, objects by the sizes of their attributes) and what
# the call returned (repr) or raised (exception name).
REPLAY = """
import json, pickle, sys
from pathlib import Path
from perfopt.profilers.capture import resolve_callable

def describe(a):
    if isinstance(a, type):
        return "class " + a.__name__
    if hasattr(a, "__dict__"):
        return {type(a).__name__: {k: len(v) for k, v in vars(a).items()}}
    return a

out = {}
for key, module, path, folder in json.loads(sys.argv[1]):
    rows = []
    for case in sorted(Path(folder).glob("case-*.pkl")):
        data = pickle.loads(case.read_bytes())
        args = [describe(a) for a in data["args"]]
        try:
            result = repr(resolve_callable(module, path)(*data["args"], **data["kwargs"]))
        except Exception as exc:
            result = type(exc).__name__
        rows.append({"args": args, "result": result})
    out[key] = rows
print(json.dumps(out))
"""


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def replay(project: Path, reports: dict[str, CaptureReport], keys: list[str]) -> dict:
    rows = [(k, reports[k].module, reports[k].callable_path, reports[k].folder) for k in keys]
    proc = subprocess.run(
        [sys.executable, "-c", REPLAY, json.dumps(rows)], cwd=project, capture_output=True,
        text=True, timeout=60, env={"PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def cases(report: CaptureReport) -> list[dict]:
    return [pickle.loads((Path(report.folder) / c.file).read_bytes()) for c in report.cases]


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("capture")
    project = base / "hotproj"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("__pycache__"))
    before = tree(project)
    reports = capture_calls(project, Workload(), TARGETS, base / "out", Settings(max_captures=5),
                            python=sys.executable)
    return project, reports, before, tree(project)


def test_capture_leaves_the_project_unchanged(captured) -> None:
    _, _, before, after = captured
    assert after == before


def test_method_case_holds_self_and_replays(captured) -> None:
    project, reports, _, _ = captured
    rep = reports[f"{GEO}::PointCloud.closest_pair"]
    assert (rep.callable_path, rep.calls, rep.recorded, rep.error) == (
        "PointCloud.closest_pair", 1, 1, "")
    ((case,),) = replay(project, reports, [rep.target]).values()
    assert case["args"] == [{"PointCloud": {"points": 1200}}]
    assert case["result"].startswith("(((") and float(case["result"].rsplit(",", 1)[1][:-1]) < 0.01


def test_classmethod_and_staticmethod_cases_replay(captured) -> None:
    project, reports, _, _ = captured
    cls_rep = reports[f"{GEO}::PointCloud.from_pairs"]
    static = reports[f"{GEO}::PointCloud.distance"]
    assert static.calls == 4 and static.recorded == 4  # 1 from the test + 3 from perimeter()
    out = replay(project, reports, [cls_rep.target, static.target])
    ((from_pairs,),) = [out[cls_rep.target]]
    assert from_pairs["args"] == ["class PointCloud", [[0, 0], [3, 0], [3, 4]]]
    assert from_pairs["result"].startswith("<hotproj.geometry.PointCloud object")
    assert all(len(row["args"]) == 2 for row in out[static.target])
    # the closest pair's distance (tiny), then perimeter()'s three sides
    distances = sorted(float(row["result"]) for row in out[static.target])
    assert distances[0] < 0.01 and distances[1:] == [3.0, 4.0, 5.0]


def test_decorated_function_is_captured_through_its_decorator(captured) -> None:
    project, reports, _, _ = captured
    rep = reports[f"{INV}::dedupe_records"]
    assert rep.recorded == 1 and rep.cases[0].outcome == "return"
    (records,) = cases(rep)[0]["args"]
    assert len(records) == 4000 and records[0] == {"sku": "AB-0", "qty": 0}
    (row,) = replay(project, reports, [rep.target])[rep.target]
    assert row["result"].count("'sku'") == 3000


def test_recursive_function_records_only_the_outer_call(captured) -> None:
    _, reports, _, _ = captured
    rep = reports[f"{INV}::bundle_count"]
    assert (rep.calls, rep.outer_calls, rep.recorded) == (465, 1, 1)
    assert cases(rep) == [{"args": (12,), "kwargs": {}}]


def test_exception_outcome_is_recorded(captured) -> None:
    _, reports, _, _ = captured
    rep = reports[f"{INV}::parse_sku"]
    assert sorted(c.outcome for c in rep.cases) == ["ValueError", "return"]


def test_arguments_are_pickled_before_the_call_mutates_them(captured) -> None:
    _, reports, _, _ = captured
    rep = reports[f"{TXT}::strip_stopwords"]
    assert cases(rep) == [{"args": (["the", "cat", "and", "the", "hat"],), "kwargs": {}}]


def test_unpicklable_call_is_counted_not_recorded(captured) -> None:
    _, reports, _, _ = captured
    rep = reports[f"{TXT}::filter_words"]
    assert (rep.calls, rep.recorded, rep.unpicklable) == (1, 0, 1)
    # which argument, of what type, and pickle's own words
    assert rep.why.startswith("argument 1 `predicate` (function): "), rep.why
    assert "lambda" in rep.why, rep.why


def test_unknown_target_gets_an_error_and_reports_round_trip(captured) -> None:
    _, reports, _, _ = captured
    rep = reports[f"{TXT}::no_such_function"]
    assert "no_such_function" in rep.error and rep.recorded == 0
    for report in reports.values():
        assert load_report(Path(report.folder)) == report
        assert Path(report.folder).name == target_slug(report.target)


def test_command_workload_chains_sitecustomize_and_caps_captures(tmp_path: Path) -> None:
    project = tmp_path / "hotproj"
    shutil.copytree(FIXTURE, project, ignore=shutil.ignore_patterns("__pycache__"))
    theirs = tmp_path / "their_site"
    theirs.mkdir()
    marker = tmp_path / "their-sitecustomize-ran"
    (theirs / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'a').write('x')\n")
    code = "from hotproj.inventory import parse_sku\nfor i in range(10): parse_sku(f'ab-{i}')\n"
    (tmp_path / "drive.py").write_text(code)
    wl = Workload(kind="command", command=f"{sys.executable} {tmp_path / 'drive.py'}")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{project}:{theirs}"}
    reports = capture_calls(project, wl, [Target(INV, "parse_sku")], tmp_path / "out",
                            Settings(max_captures=3), python=sys.executable, env=env)
    rep = reports[f"{INV}::parse_sku"]
    assert marker.read_text() == "x"  # the shadowed sitecustomize still ran, once
    assert (rep.outer_calls, rep.recorded, rep.error) == (10, 3, "")
    assert [c["args"] for c in cases(rep)] == [("ab-0",), ("ab-1",), ("ab-2",)]


# --- captured stress suites ---------------------------------------------------------------


def test_build_save_load_suite_deduplicates(captured, tmp_path: Path) -> None:
    _, reports, _, _ = captured
    rep = reports[f"{GEO}::PointCloud.distance"]
    folder = Path(rep.folder)
    # A repeated case (as two processes of one workload would record) is kept once.
    shutil.copyfile(folder / "case-1.pkl", folder / "case-9.pkl")
    extra = CaseInfo("case-9.pkl", rep.cases[0].size, "return")
    twice = dataclasses.replace(rep, cases=(*rep.cases, extra))
    suite = build_suite(Target(GEO, "PointCloud.distance"), folder, twice)
    assert len(suite.cases) == 4
    assert {c.provenance for c in suite.cases} == {"captured"}
    assert all((folder / c.payload).stat().st_size == c.size for c in suite.cases)
    saved = save_suite(suite, tmp_path / "suite")
    assert sorted(p.name for p in (tmp_path / "suite").iterdir()) == sorted(
        ["suite.json", *(c.payload for c in suite.cases)])
    loaded = load_suite(tmp_path / "suite")
    assert loaded == saved and loaded.folder == str((tmp_path / "suite").resolve())


def test_suite_of_an_unpicklable_target_counts_it(captured) -> None:
    _, reports, _, _ = captured
    rep = reports[f"{TXT}::filter_words"]
    suite = build_suite(Target(TXT, "filter_words"), Path(rep.folder), rep)
    assert suite == StressSuite(Target(TXT, "filter_words"), (), str(Path(rep.folder)), None, 1)


def test_select_spread_keeps_the_largest_and_a_spread() -> None:
    items = [(f"case-{i}.pkl", i * 10, "return") for i in range(1, 41)]
    picked = select_spread(items, 8)
    sizes = [size for _, size, _ in picked]
    assert len(picked) == 8 and sizes == sorted(sizes)
    assert sizes[-2:] == [390, 400]  # the largest quarter
    assert sizes[0] == 10  # the smallest survives too
    assert len(set(sizes)) == 8
    assert select_spread(items[:3], 8) == items[:3]


def test_suite_ids_follow_case_files(captured) -> None:
    _, reports, _, _ = captured
    rep = reports[f"{INV}::parse_sku"]
    suite = build_suite(Target(INV, "parse_sku"), Path(rep.folder), rep)
    assert sorted(c.id for c in suite.cases) == ["captured-1", "captured-2"]
    assert sorted(c.note for c in suite.cases) == ["", "raised ValueError"]
    # the pipeline passes capture_calls' outdir rather than the target's folder
    assert build_suite(Target(INV, "parse_sku"), Path(rep.folder).parent, rep) == suite
    assert build_suite(Target(INV, "parse_sku"), Path(rep.folder).parent, None).cases == ()
