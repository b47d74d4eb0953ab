"""Writing the user's files: old or new content and no stray temporary, even under SIGKILL;
Ctrl-C never splits an apply; a failed write is one line."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perfopt.errors import UserError
from perfopt.verify import writes
from perfopt.verify.writes import (
    atomic_write,
    check_output,
    remove_stale_temps,
    write_files,
    write_output,
)

# A child that rewrites one file forever, alternating two 2 MB texts; FALLBACK=1 forces the
# named temporary (no O_TMPFILE), as on a system without it.
_WRITER = """
import itertools, os, sys
from perfopt.verify import writes
if os.environ.get("FALLBACK") == "1":
    writes._open_tmpfile = lambda folder: None
texts = ["a" * 2_000_000, "b" * 2_000_000]
print("ready", flush=True)
for i in itertools.count():
    writes.atomic_write(sys.argv[1], texts[i % 2])
"""


def _kill_mid_write(target: Path, fallback: bool, seed: int) -> None:
    env = {**os.environ, "FALLBACK": "1" if fallback else "0"}
    child = subprocess.Popen([sys.executable, "-c", _WRITER, str(target)], env=env,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    time.sleep(random.Random(seed).uniform(0.0, 0.3))
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL


@pytest.mark.skipif(not hasattr(os, "O_TMPFILE") or not os.path.isdir("/proc/self/fd"),
                    reason="no O_TMPFILE on this system")
def test_sigkill_mid_write_leaves_old_or_new_and_no_temp(tmp_path: Path) -> None:
    """The nameless temporary goes with the process; only a kill in the few system calls
    between its link and its rename can strand a name, and the next start removes it."""
    target = tmp_path / "data.txt"
    target.write_text("original")
    contents = set()
    for seed in range(12):
        _kill_mid_write(target, fallback=False, seed=seed)
        stranded = [p for p in tmp_path.iterdir() if p != target]
        assert sorted(remove_stale_temps([tmp_path])) == sorted(stranded)
        assert len(stranded) <= 1
        assert [p.name for p in tmp_path.iterdir()] == ["data.txt"]
        text = target.read_text()
        assert text in ("original", "a" * 2_000_000, "b" * 2_000_000)
        contents.add(text[0])
    assert contents & {"a", "b"}  # the writer was killed mid-loop, not before it began


def test_a_temp_stranded_without_o_tmpfile_is_removed_at_the_next_start(tmp_path: Path) -> None:
    target = tmp_path / "data.txt"
    target.write_text("original")
    (tmp_path / ".notes.txt.swp").write_text("someone else's")
    (tmp_path / "data.txt.perfopt-tmp").write_text("not perfopt's pattern")
    for seed in range(6):
        _kill_mid_write(target, fallback=True, seed=seed)
        assert target.read_text() in ("original", "a" * 2_000_000, "b" * 2_000_000)
        remove_stale_temps([tmp_path])
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            ".notes.txt.swp", "data.txt", "data.txt.perfopt-tmp"]


def test_stale_temps_of_a_live_writer_and_other_files_stay(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    names = {
        f".m.py.{dead}.ab12cd34.perfopt-tmp": False,  # its writer is gone
        ".m.py.x1y2z3_q.perfopt-tmp": False,  # an older perfopt's name (no pid)
        f".m.py.{os.getpid()}.ab12cd34.perfopt-tmp": True,  # a writer still running
        ".m.py.ab12.perfopt-tmp": True,  # not 8 random characters
        "m.py.ab12cd34.perfopt-tmp": True,  # not hidden
        ".m.py.ab12cd34.perfopt-tmp.bak": True,
    }
    for name in names:
        (tmp_path / name).write_text("")
    (tmp_path / ".d.py.ab12cd34.perfopt-tmp").mkdir()  # a folder is never removed
    removed = remove_stale_temps([tmp_path])
    assert sorted(p.name for p in removed) == sorted(n for n, keep in names.items() if not keep)
    assert {p.name for p in tmp_path.iterdir()} == (
        {n for n, keep in names.items() if keep} | {".d.py.ab12cd34.perfopt-tmp"})


@pytest.mark.parametrize("tmpfile", [True, False])
def test_new_and_existing_files_keep_their_mode(tmp_path: Path, monkeypatch,
                                                 tmpfile: bool) -> None:
    if not tmpfile:
        monkeypatch.setattr(writes, "_open_tmpfile", lambda folder: None)
    old = tmp_path / "run.sh"
    old.write_text("old")
    os.chmod(old, 0o751)
    atomic_write(old, "new\r\n")
    assert old.read_bytes() == b"new\r\n"
    assert old.stat().st_mode & 0o777 == 0o751
    atomic_write(tmp_path / "fresh.txt", "x")
    assert (tmp_path / "fresh.txt").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fresh.txt", "run.sh"]


def test_ctrl_c_during_the_renames_waits_for_the_last_file(tmp_path: Path, monkeypatch) -> None:
    files = [tmp_path / f"m{i}.py" for i in range(3)]
    for f in files:
        f.write_text("old")
    replace, sent = os.replace, []

    def replace_then_ctrl_c(*args, **kwargs):
        replace(*args, **kwargs)
        if not sent:  # Ctrl-C right after the first file's rename
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(writes.os, "replace", replace_then_ctrl_c)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    writes.forget_applied()
    try:
        with pytest.raises(KeyboardInterrupt):
            write_files([(f, "new") for f in files])
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)
    assert [f.read_text() for f in files] == ["new"] * 3
    assert writes.applied_paths() == tuple(files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m0.py", "m1.py", "m2.py"]
    writes.forget_applied()


def test_a_write_that_cannot_be_staged_changes_nothing(tmp_path: Path) -> None:
    first = tmp_path / "a.py"
    first.write_text("old")
    with pytest.raises(UserError, match="no file was changed"):
        write_files([(first, "new"), (tmp_path / "gone" / "b.py", "new")])
    assert first.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]


@pytest.mark.parametrize("fails", ["link", "rename"])
def test_a_failure_while_putting_files_in_place_says_what_was_written(
        tmp_path: Path, monkeypatch, fails: str) -> None:
    """Every temporary is named before the first rename, so a failure there changes
    nothing; a rename that fails names the files already written. No temporary stays."""
    files = [tmp_path / "a.py", tmp_path / "b.py"]
    for f in files:
        f.write_text("old")
    real = {"link": writes._link, "rename": os.replace}[fails]
    calls: list[int] = []

    def second_fails(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    if fails == "link":
        monkeypatch.setattr(writes, "_link", second_fails)
    else:
        monkeypatch.setattr(writes.os, "replace", second_fails)
    with pytest.raises(UserError) as error:
        write_files([(f, "new") for f in files])
    message = str(error.value)
    assert message.startswith(f"--apply: could not write {files[1]}: No space left on device")
    if fails == "link":
        assert "(no file was changed)" in message
        assert [f.read_text() for f in files] == ["old", "old"]
    else:
        assert f"(1 of 2 files were written before it: {files[0]})" in message
        assert [f.read_text() for f in files] == ["new", "old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.py", "b.py"]
    writes.forget_applied()


def test_an_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError) as error:
        write_output(tmp_path / "removed" / "report.md", "# report", "--markdown")
    message = str(error.value)
    assert message.startswith(f"could not write --markdown {tmp_path}/removed/report.md")
    assert "\n" not in message


@pytest.mark.parametrize(("rel", "needle"), [
    ("out", "is a folder; give a file path, e.g. --patch"),
    ("missing/x.diff", "does not exist; create it"),
    ("file.txt/x.diff", "is not a folder"),
])
def test_output_paths_are_checked_without_creating_anything(tmp_path: Path, rel: str,
                                                            needle: str) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "file.txt").write_text("")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(UserError, match=needle):
        check_output(tmp_path / rel, "--patch", "perfopt.diff")
    check_output(tmp_path / "out" / "fine.diff", "--patch", "perfopt.diff")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_optimize_removes_stale_temps_beside_the_project_files_at_start(tmp_path: Path) -> None:
    from perfopt.commands.optimize import _prepare_writes
    from perfopt.pipeline import RunOptions

    (tmp_path / "pkg").mkdir()
    stale = [tmp_path / ".setup.py.x1y2z3_q.perfopt-tmp",
             tmp_path / "pkg" / ".m.py.ab12cd34.perfopt-tmp"]
    for path in stale:
        path.write_text("half")
    notes: list[str] = []

    class Events:
        def note(self, text: str) -> None:
            notes.append(text)

    _prepare_writes(tmp_path, ["pkg/m.py"], ("pkg/m.py", "setup.py"), RunOptions(apply=True),
                    Events())  # type: ignore[arg-type]
    assert not any(path.exists() for path in stale)
    assert notes == ["removed 2 temporary file(s) an interrupted perfopt left: "
                     ".setup.py.x1y2z3_q.perfopt-tmp, .m.py.ab12cd34.perfopt-tmp"]


def test_ctrl_c_after_an_apply_says_what_was_written(tmp_path: Path, capsys) -> None:
    import typer

    from perfopt.cli import guarded
    from perfopt.verify import sandbox

    target = tmp_path / "m.py"
    target.write_text("old")

    @guarded
    def command(json_out: bool = False) -> None:
        write_files([(target, "new")])
        raise KeyboardInterrupt

    try:
        with pytest.raises(typer.Exit) as stopped:
            command(json_out=True)
    finally:
        sandbox.clear_interrupt()
        writes.forget_applied()
    assert stopped.value.exit_code == 130
    out, err = capsys.readouterr()
    line = "interrupted after --apply wrote its 1 verified file(s) (m.py); nothing else was changed"
    assert err.strip() == f"perfopt: {line}"
    assert json.loads(out)["error"] == line
