"""`--patch`, `--markdown`, `--sarif` and `--apply` are checked before any work: a path
perfopt could not write at the end is one line, exit 2, no traceback, and nothing created.

Each case fails before profiling, so the real command runs in a subprocess in about a
second. Permissions do not bind root, so as root the command runs as `nobody`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perfopt.models import RunResult

NOBODY = 65534
ROOT = os.geteuid() == 0


def perfopt(*args: str, as_nobody: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "perfopt.cli", *args]
    if as_nobody:
        if shutil.which("setpriv") is None:
            pytest.skip("permissions do not bind root, and setpriv is missing to drop them")
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                   *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": tempfile.gettempdir()} if as_nobody else None)


def one_line_error(proc: subprocess.CompletedProcess, needle: str) -> str:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0]
    return lines[0]


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder others may read (pytest's tmp_path is private to its owner)."""
    folder = Path(tempfile.mkdtemp(prefix="perfopt-test-writes-"))
    folder.chmod(0o755)
    yield folder
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    shutil.rmtree(folder)


@pytest.fixture
def project(shared: Path) -> Path:
    root = shared / "proj"
    (root / "tests").mkdir(parents=True)
    (root / "mod.py").write_text("def f(xs):\n    return [x for x in xs if x in xs]\n")
    (root / "tests" / "test_mod.py").write_text(
        "from mod import f\n\ndef test_f():\n    assert f([1, 2]) == [1, 2]\n")
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def read_only(folder: Path) -> bool:
    """Make `folder` unwritable for the command; True when it must run as nobody."""
    if ROOT:
        return True  # root's folders are 0o755: nobody cannot write them
    folder.chmod(0o555)
    return False


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.mark.parametrize(("flag", "rel", "needle"), [
    ("--patch", "out", "is a folder; give a file path, e.g. --patch"),
    ("--patch", "missing/fix.diff", "does not exist; create it"),
    ("--markdown", "out/../proj/mod.py/r.md", "is not a folder"),
    ("--sarif", "out", "is a folder"),
])
def test_a_bad_output_path_fails_before_any_work(shared, project, flag, rel, needle):
    (shared / "out").mkdir()
    before = listing(shared)
    one_line_error(perfopt("optimize", str(project), flag, str(shared / rel)), needle)
    assert listing(shared) == before


@pytest.mark.parametrize("flag", ["--patch", "--markdown", "--sarif"])
def test_an_unwritable_output_folder_fails_before_any_work(shared, project, flag):
    out = shared / "locked"
    out.mkdir()
    as_nobody = read_only(out)
    proc = perfopt("optimize", str(project), flag, str(out / "report"), as_nobody=as_nobody)
    one_line_error(proc, f"{flag} {out / 'report'}: cannot write into {out}")
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("flag", ["--patch", "--sarif"])
def test_an_unwritable_output_with_json_is_one_object(shared, project, flag):
    """A read-only file in a writable folder: one line on stderr, one JSON object with
    `error` on stdout, exit 2, before any work."""
    out = shared / "open"
    out.mkdir()
    out.chmod(0o777)
    (out / "old.txt").write_text("keep")
    (out / "old.txt").chmod(0o444)
    proc = perfopt("optimize", str(project), "--json", flag, str(out / "old.txt"),
                   as_nobody=ROOT)
    line = one_line_error(proc, f"{flag} {out / 'old.txt'} is read-only; make it writable")
    data = json.loads(proc.stdout)
    assert proc.stdout.count("\n") == 1 and data["exit_code"] == 2
    assert data["error"] in line and data["command"] == "optimize"
    assert (out / "old.txt").read_text() == "keep"
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]


def test_apply_on_a_read_only_project_fails_before_any_work(project):
    as_nobody = read_only(project)
    before = listing(project)
    proc = perfopt("optimize", str(project), "--apply", as_nobody=as_nobody)
    one_line_error(proc, "--apply: cannot write into")
    assert "run without --apply" in proc.stderr
    assert listing(project) == before


def test_apply_with_a_read_only_file_names_it(project):
    project.chmod(0o777)  # the folder is writable (as nobody too), the file is not
    (project / "mod.py").chmod(0o444)
    proc = perfopt("optimize", str(project), "--apply", "--json", as_nobody=ROOT)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert data["exit_code"] == 2 and data["command"] == "optimize"
    assert data["error"].startswith(f"--apply: {project / 'mod.py'} is read-only;")


def test_a_bad_output_with_json_is_one_object(shared, project):
    proc = perfopt("optimize", str(project), "--json", "--patch", str(shared))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    data = json.loads(proc.stdout)
    assert data["error"].startswith(f"--patch {shared} is a folder")


def test_a_report_that_cannot_be_written_at_the_end_is_one_line(shared, project, monkeypatch):
    """The folder passes the check, then goes during the run: one line, exit 2."""
    from perfopt.cli import app

    out = shared / "reports"
    out.mkdir()

    def run_that_removes_the_folder(path, flags, options, events):
        out.rmdir()
        return RunResult(project=str(path))

    monkeypatch.setattr("perfopt.commands.optimize.optimize_project",
                        run_that_removes_the_folder)
    result = CliRunner().invoke(app, ["optimize", str(project), "--quiet",
                                      "--markdown", str(out / "r.md")])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"could not write --markdown {out / 'r.md'}" in result.output
    assert "Traceback" not in result.output
