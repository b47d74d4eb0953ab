"""A killed perfopt leaves nothing running and nothing in the temp folder: its children
die with it and the watchdog removes the run's temp folder (perfopt.cli.guard); what a
kill still leaves (the watchdog killed too) goes when the next perfopt starts
(perfopt.verify.workspace.run_folder).

Each case runs a small script or a command that fails before any work: a few seconds."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from perfopt.cli.guard import children_die_with_us
from perfopt.verify import workspace

# A "command" that starts a sandboxed child with a grandchild in its group, prints their
# PIDs and its run folder, and waits to be killed.
_KILLED = """
import sys, time
from perfopt.cli.guard import children_die_with_us
from perfopt.verify import sandbox, workspace
with workspace.run_folder() as folder, children_die_with_us(folder):
    proc = sandbox.start(["sh", "-c", "sleep 300 & echo $!; exec sleep 300"], cwd=folder,
                         memory_mb=None)
    grandchild = proc.stdout.readline().decode().strip()
    print(folder, proc.pid, grandchild, flush=True)
    time.sleep(300)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_until(check, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc, PR_SET_PDEATHSIG")
def test_sigkill_takes_the_children_and_the_run_folder_along(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED], stdout=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    try:
        folder, child, grandchild = proc.stdout.readline().split()  # type: ignore[union-attr]
        pids = [int(child), int(grandchild)]
        assert Path(folder).parent == tmp_path and all(map(alive, pids))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert wait_until(lambda: not any(map(alive, pids))), "a child outlived perfopt"
        assert wait_until(lambda: not any(tmp_path.iterdir())), list(tmp_path.iterdir())
    finally:
        proc.kill()
        proc.wait()


# A "command" killed between naming the temporary of an --apply write and renaming it
# (the rename waits forever): the one moment a kill could strand a file in the project.
_KILLED_MID_APPLY = """
import os, sys, time
from perfopt.cli.guard import children_die_with_us
from perfopt.verify import workspace, writes
if sys.argv[2] == "named":
    writes._open_tmpfile = lambda folder: None
def stuck(*args, **kwargs):
    print("renaming", flush=True)
    time.sleep(300)
writes.os.replace = stuck
with workspace.run_folder() as folder, children_die_with_us(folder):
    writes.write_files([(sys.argv[1], "new")])
"""


@pytest.mark.parametrize("temporary", ["tmpfile", "named"])
def test_sigkill_before_the_rename_leaves_no_temporary_in_the_project(
        tmp_path: Path, temporary: str) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    target = project / "m.py"
    target.write_text("old")
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_MID_APPLY, str(target), temporary],
                            stdout=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "TMPDIR": str(tmp_path)})
    try:
        assert proc.stdout.readline() == "renaming\n"  # type: ignore[union-attr]
        assert len(list(project.iterdir())) == 2  # m.py and its named temporary
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert wait_until(lambda: [p.name for p in project.iterdir()] == ["m.py"]), \
            list(project.iterdir())
        assert target.read_text() == "old"
    finally:
        proc.kill()
        proc.wait()


def test_a_command_that_ends_leaves_no_folder_and_restores_the_temp_settings(
        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    with workspace.run_folder() as folder, children_die_with_us(folder):
        assert folder is not None and folder.parent == tmp_path
        assert tempfile.gettempdir() == os.environ["TMPDIR"] == str(folder)
        made = Path(tempfile.mkdtemp())
        assert made.parent == folder
    assert os.environ["TMPDIR"] == str(tmp_path) and tempfile.tempdir is None
    assert list(tmp_path.iterdir()) == []


def test_run_folders_of_killed_runs_go_at_the_next_start_and_live_ones_stay(
        tmp_path: Path) -> None:
    """A run folder whose lock is free, or that has no lock and a PID that is gone, is a
    killed run's; one whose lock is held (its run is alive) stays. Checked through the
    real command, which fails on a bad --patch before any work but after the clean-up."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = tmp_path / f"perfopt-run-{dead}-abc123de"
    (stale / "perfopt-ws-1" / "proj").mkdir(parents=True)
    (stale / ".lock").write_text("")
    unlocked = tmp_path / f"perfopt-run-{dead}-nolock12"
    unlocked.mkdir()
    live = tmp_path / f"perfopt-run-{os.getpid()}-live1234"
    live.mkdir()
    (live / ".lock").write_text("")
    other = tmp_path / "perfopt-run-notes"
    other.mkdir()
    with open(live / ".lock") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = subprocess.run(
            [sys.executable, "-m", "perfopt.cli", "optimize", str(tmp_path), "--patch",
             str(tmp_path / "missing" / "x.diff")],
            capture_output=True, text=True, timeout=120,
            env={**os.environ, "TMPDIR": str(tmp_path)})
    assert proc.returncode == 2, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name, other.name]
