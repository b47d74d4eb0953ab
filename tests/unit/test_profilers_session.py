"""run_profile: option checks, stdin input files, and real runs in a copy of a small project."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from perfopt.errors import TargetError, UserError
from perfopt.profilers import ProfileOptions, run_profile
from perfopt.profilers.session import stdin_files

PROG = """\
import sys


def slow_unique(n):
    seen = []
    for i in range(n):
        if i % 701 not in seen:
            seen.append(i % 701)
    return len(seen)


def helper(n):
    return n + 1


print(helper(slow_unique(int(sys.stdin.read()))))
"""


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file()}


@pytest.fixture
def program(tmp_path: Path) -> Path:
    proj = tmp_path / "proj"
    (proj / "cases").mkdir(parents=True)
    (proj / "pyproject.toml").write_text("[project]\nname = 'p'\n")
    (proj / "prog.py").write_text(PROG)
    for i, n in ((0, 40_000), (1, 40_000), (10, 20)):
        (proj / "cases" / f"input.{i}.txt").write_text(str(n))
    (proj / "cases" / "output.0.txt").write_text("702\n")
    return proj


def test_stdin_files_sorted_by_number_and_checked(program: Path, tmp_path: Path) -> None:
    names = [p.name for p in stdin_files(program / "cases")]
    assert names == ["input.0.txt", "input.1.txt", "input.10.txt"]
    assert all(p.is_absolute() for p in stdin_files(program / "cases"))
    with pytest.raises(UserError, match="no input.N.txt files"):
        stdin_files(program)
    with pytest.raises(UserError, match="not a folder"):
        stdin_files(tmp_path / "missing")


def test_bad_options_fail_before_any_run(program: Path) -> None:
    with pytest.raises(UserError, match="cannot tell the format"):
        run_profile(program, ProfileOptions(output=program / "out.html"))
    with pytest.raises(UserError, match="folder does not exist"):
        run_profile(program, ProfileOptions(output=program / "no" / "out.svg"))
    with pytest.raises(UserError, match="--top must be >= 1"):
        run_profile(program, ProfileOptions(top=0))
    with pytest.raises(TargetError, match="program's .py file"):
        run_profile(program, ProfileOptions(inputs=program / "cases"))
    with pytest.raises(UserError, match="drop --workload"):
        run_profile(program / "prog.py",
                    ProfileOptions(inputs=program / "cases", workload="make"))


def test_program_on_stdin_inputs_in_a_copy(program: Path, tmp_path: Path) -> None:
    before = tree(program)
    out = tmp_path / "flame.svg"
    notes: list[str] = []
    report = run_profile(program / "prog.py",
                         ProfileOptions(inputs=program / "cases", output=out,
                                        profiler="cprofile"),
                         note=notes.append)
    assert tree(program) == before  # ran in a workspace copy
    assert report.profiler == "cprofile" and report.unit == "microseconds"
    assert report.returncode == 0 and notes == [] and report.notes == ()
    assert report.workload == "python prog.py < 3 input files"
    top = report.hotspots[0]
    assert top.target.key == "prog.py::slow_unique"
    assert top.calls == 3  # one call per input, merged
    # the flame graph names the user's file, not the deleted workspace copy
    svg = out.read_text()
    assert str(program / "prog.py") in svg and "perfopt-" not in svg
    assert report.output == str(out)


def test_failing_workload_is_profiled_with_a_note(program: Path) -> None:
    cmd = f"{sys.executable} -c 'import sys; sum(range(3 * 10**6)); sys.exit(3)'"
    notes: list[str] = []
    report = run_profile(program, ProfileOptions(workload=cmd, profiler="cprofile"),
                         note=notes.append)
    assert report.returncode == 3
    assert len(notes) == 2 and notes[0].startswith("the workload exited with status 3")
    assert notes[1].startswith("no project function showed up")
    assert report.notes == tuple(notes)
