"""Profilers and hotspot ranking, run for real on tests/fixtures/hotproj (a copy of it)."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from perfopt.config import Settings
from perfopt.errors import ToolMissing, UserError
from perfopt.models import Workload
from perfopt.profilers import Frame, Profile, profile, rank_hotspots, workload_command
from perfopt.profilers.pyspy import _DENIED, find_pyspy, parse_raw

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "hotproj"
INTENDED = {
    "hotproj/textstats.py::word_frequencies",
    "hotproj/geometry.py::PointCloud.closest_pair",
    "hotproj/inventory.py::dedupe_records",
}


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("proj") / "hotproj"
    shutil.copytree(FIXTURE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@pytest.fixture(scope="module")
def pyspy_run(project: Path) -> tuple[Profile, set[str], set[str], list[str]]:
    before = tree(project)
    notes: list[str] = []
    prof = profile(project, Workload(), Settings(), python=sys.executable,
                   console_note=notes.append)
    return prof, before, tree(project), notes


@pytest.fixture(scope="module")
def cprofile_fallback(project: Path) -> tuple[Profile, list[str]]:
    notes: list[str] = []
    missing = str(project.parent / "no-such-dir" / "py-spy")
    prof = profile(project, Workload(), Settings(), python=sys.executable,
                   console_note=notes.append, pyspy_path=missing)
    return prof, notes


# --- commands and parsing ----------------------------------------------------------------


def test_workload_command_kinds() -> None:
    py = "/venv/bin/python"
    assert workload_command(Workload(), py) == [py, "-m", "pytest", "-q", "-rfEs", "-p",
                                              "no:cacheprovider"]
    k_expr, node = "fast and not slow", "tests/test_a.py::test_x"
    assert workload_command(Workload(tests=k_expr), py)[-2:] == ["-k", k_expr]
    assert workload_command(Workload(tests=node), py)[-1] == node
    assert workload_command(Workload(kind="command", command="make bench"), py) == "make bench"
    assert workload_command(Workload(kind="stdin", command="main.py", inputs=("in.txt",)), py) == [
        py, "main.py"]
    with pytest.raises(UserError, match="unknown workload kind 'gpu'"):
        workload_command(Workload(kind="gpu"), py)
    with pytest.raises(UserError, match="input file"):
        workload_command(Workload(kind="stdin", command="main.py"), py)


def test_parse_raw_drops_process_header_and_keeps_frames() -> None:
    text = (
        'process 12:"sh -c a; b (x:1)";process 13:"python t.py";'
        "<module> (/p/t.py:5);Cls.f (/p/t.py:3) 29\n"
        "<module> (/p/t.py:5);Cls.f (/p/t.py:3) 1\n"
        "not a stack line\n"
    )
    ((stack, weight),) = parse_raw(text)
    assert weight == 30
    assert stack == (Frame("/p/t.py", 5, "<module>"), Frame("/p/t.py", 3, "Cls.f"))


def test_pyspy_override_missing_is_toolmissing(tmp_path: Path) -> None:
    with pytest.raises(ToolMissing, match="not found"):
        find_pyspy(str(tmp_path / "py-spy"))


def test_ptrace_refusal_text_is_recognised() -> None:
    # py-spy 0.3/0.4 wording in containers without CAP_SYS_PTRACE
    assert _DENIED.search("Error: Permission Denied: Try running again with elevated permissions")
    assert _DENIED.search("Error: Operation not permitted (os error 1)")
    assert not _DENIED.search("Error: Failed to find python version from target process")


# --- py-spy on the fixture ------------------------------------------------------------------


def test_pyspy_finds_the_three_intended_hotspots(pyspy_run, project: Path) -> None:
    prof, _, _, notes = pyspy_run
    assert notes == [] and prof.profiler == "py-spy" and prof.returncode == 0
    assert prof.samples > 50
    hot = rank_hotspots(prof, project, Settings(), limit=5)
    assert INTENDED <= {h.target.key for h in hot}
    assert [h.score for h in hot] == sorted((h.score for h in hot), reverse=True)
    for h in hot:
        assert not h.target.file.startswith("tests/")
        assert 0 < h.self_share <= h.total_share <= 1
    pair = next(h for h in hot if h.target.qualname == "PointCloud.closest_pair")
    first, last = pair.target.span
    assert (first, last) == (22, 35)
    # the inner loop, not the def line, is where the time goes
    assert first < pair.hot_lines[0][0] <= last and pair.hot_lines[0][0] > 28
    dedupe = next(h for h in hot if h.target.qualname == "dedupe_records")
    assert dedupe.callers == ("hotproj/inventory.py::counted.wrapper",)


def test_profile_run_leaves_the_project_unchanged(pyspy_run) -> None:
    _, before, after, _ = pyspy_run
    assert after == before


def test_pyspy_reports_the_workload_exit_status(project: Path) -> None:
    # long enough (~0.5 s) for py-spy's MIN_SAMPLES
    cmd = f"{sys.executable} -c 'import sys; sum(range(5 * 10**7)); sys.exit(3)'"
    prof = profile(project, Workload(kind="command", command=cmd), Settings(),
                   python=sys.executable)
    assert prof.profiler == "py-spy"
    assert prof.returncode == 3


def test_too_short_for_pyspy_falls_back_to_cprofile(project: Path) -> None:
    notes: list[str] = []
    cmd = f"{sys.executable} -c 'import sys; sys.exit(4)'"
    prof = profile(project, Workload(kind="command", command=cmd), Settings(),
                   python=sys.executable, console_note=notes.append)
    # Whether py-spy caught a sample of so short a run is luck; the status is not.
    assert prof.returncode == 4
    # Too few samples to rank (under pyspy.MIN_SAMPLES) is the same as none.
    assert prof.profiler == "cprofile"
    (note,) = notes
    assert re.fullmatch(r"py-spy unavailable \((the workload finished before py-spy could "
                        r"sample it|py-spy caught \d+ samples in a [\d.]+ s run, too few to "
                        r"rank)\); using cProfile", note), note


BUSY = "import time\nt = time.time()\nwhile time.time() - t < 1.0:\n    sum(range(1000))\n"


def test_a_workload_pyspy_lost_at_start_is_run_again(tmp_path: Path) -> None:
    # A shell that execs Python keeps its pid, which py-spy first met as a shell and gave
    # up on: that run yields (almost) no stack. The second run starts Python in a new
    # process. (The 1.5 s outlast py-spy's start-up, which re-reads new pids for 1 s.)
    (tmp_path / "busy.py").write_text(BUSY)
    cmd = (f"echo run >> runs.txt; if [ -e seen ]; then {sys.executable} busy.py; "
           f"else touch seen; sleep 1.5; exec {sys.executable} busy.py; fi")
    notes: list[str] = []
    prof = profile(tmp_path, Workload(kind="command", command=cmd), Settings(),
                   python=sys.executable, console_note=notes.append)
    assert (tmp_path / "runs.txt").read_text() == "run\nrun\n"
    assert notes == [] and prof.profiler == "py-spy" and prof.samples > 20


def test_a_workload_pyspy_cannot_see_falls_back_after_two_runs(tmp_path: Path) -> None:
    # A Python workload that sleeps shows py-spy no running thread, whatever the load (an
    # exec'd busy loop, used before, is sometimes caught when py-spy itself starts late on a
    # loaded machine); its start-up (-S -I: no site, nothing imported) stays below the 5% of
    # the rate over 5 s (50 samples) even at load 6, where a plain start over 4 s did not.
    (tmp_path / "idle.py").write_text("import time\ntime.sleep(5)\n")
    cmd = f"echo run >> runs.txt; {sys.executable} -S -I idle.py"
    notes: list[str] = []
    prof = profile(tmp_path, Workload(kind="command", command=cmd), Settings(),
                   python=sys.executable, console_note=notes.append)
    # two runs under py-spy, then one under cProfile
    assert (tmp_path / "runs.txt").read_text() == "run\nrun\nrun\n"
    assert prof.profiler == "cprofile"
    (note,) = notes
    assert note.startswith("py-spy unavailable (py-spy caught ") and "twice" in note


def test_stdin_workload_runs_once_per_input(tmp_path: Path) -> None:
    (tmp_path / "main.py").write_text(
        "import sys\n\ndef work(n):\n    return sum(i * i for i in range(n))\n\n"
        "print(work(int(sys.stdin.read())))\n"
    )
    (tmp_path / "a.txt").write_text("3000000")
    (tmp_path / "b.txt").write_text("3000000")
    wl = Workload(kind="stdin", command="main.py", inputs=("a.txt", "b.txt"))
    prof = profile(tmp_path, wl, Settings(profiler="cprofile"), python=sys.executable)
    assert prof.returncode == 0
    key = f"{tmp_path.resolve()}/main.py:3:work"
    assert prof.calls[key] == 2  # merged over both inputs
    (top,) = rank_hotspots(prof, tmp_path, Settings(), limit=1)
    assert top.target.key == "main.py::work" and top.calls == 2


# --- cProfile fallback ------------------------------------------------------------------


def test_missing_pyspy_falls_back_to_cprofile_with_one_note(cprofile_fallback) -> None:
    prof, notes = cprofile_fallback
    assert prof.profiler == "cprofile"
    assert len(notes) == 1
    assert notes[0].startswith("py-spy unavailable (py-spy not found at ")
    assert notes[0].endswith("); using cProfile")


def test_cprofile_finds_the_intended_hotspots_with_call_counts(cprofile_fallback, project) -> None:
    prof, _ = cprofile_fallback
    assert prof.returncode == 0
    hot = rank_hotspots(prof, project, Settings(), limit=5)
    assert INTENDED <= {h.target.key for h in hot[:3]}
    by_key = {h.target.key: h for h in hot}
    assert by_key["hotproj/inventory.py::dedupe_records"].calls == 1
    assert all(h.hot_lines == () for h in hot)  # cProfile has no line information


def test_cprofile_of_a_shell_command_profiles_its_python_processes(project: Path) -> None:
    code = "from hotproj.inventory import bundle_count; print(bundle_count(18))"
    cmd = f"{sys.executable} -c '{code}' && {sys.executable} -c '{code}'"
    prof = profile(project, Workload(kind="command", command=cmd), Settings(profiler="cprofile"),
                   python=sys.executable)
    assert prof.returncode == 0 and "4181" in prof.output_tail
    hot = rank_hotspots(prof, project, Settings(), limit=1)
    assert hot[0].target.key == "hotproj/inventory.py::bundle_count"
    assert hot[0].calls == 2 * 8361  # both processes, every recursive call


# --- ranking rules on hand-made stacks ---------------------------------------------------------


def test_rank_rules_self_total_callers_and_filters(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "tests").mkdir()
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    src = "def outer(x):\n    return inner(x)\n\n\ndef inner(x):\n    return sorted(x)\n"
    (tmp_path / "pkg" / "m.py").write_text(src)
    (tmp_path / "tests" / "test_m.py").write_text("def test_it():\n    pass\n")
    (tmp_path / ".venv" / "lib" / "dep.py").write_text("def dep():\n    pass\n")
    m, t = str(tmp_path / "pkg" / "m.py"), str(tmp_path / "tests" / "test_m.py")
    dep = str(tmp_path / ".venv" / "lib" / "dep.py")
    test_f, outer = Frame(t, 2, "test_it"), Frame(m, 2, "outer")
    inner = Frame(m, 6, "inner")
    stacks = (
        ((test_f, outer, inner), 6),  # inner's own time
        ((test_f, outer, inner, Frame("/usr/lib/python3.11/x.py", 9, "sorted")), 3),  # stdlib
        ((test_f, outer, inner, inner, Frame(dep, 2, "dep")), 1),  # recursion + a venv dep
        ((test_f,), 12),  # test code only
    )
    prof = Profile("py-spy", 22, stacks, 1.0, 0, "")
    hot = rank_hotspots(prof, tmp_path, Settings(), limit=5)
    assert [h.target.key for h in hot] == ["pkg/m.py::inner"]
    (h,) = hot
    assert h.samples == 10 and h.self_share == pytest.approx(10 / 22)
    assert h.total_share == pytest.approx(10 / 22)
    assert h.callers == ("pkg/m.py::outer",)
    assert h.hot_lines == ((6, 1.0),)
    assert h.target.span == (5, 6)

    with_tests = rank_hotspots(prof, tmp_path, Settings(include=("tests/*",)), limit=5)
    assert [x.target.key for x in with_tests] == ["tests/test_m.py::test_it", "pkg/m.py::inner"]
    assert rank_hotspots(prof, tmp_path, Settings(exclude=("pkg/*",)), limit=5) == []
    assert rank_hotspots(prof, tmp_path, Settings(exclude=("m.py",)), limit=5) == []
