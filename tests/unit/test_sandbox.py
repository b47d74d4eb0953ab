from __future__ import annotations

import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from perfopt.verify import sandbox


def _alive(pid: int) -> bool:
    """True while `pid` runs; a zombie nobody reaped (containers without init) is dead."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_dead(pid: int, within_s: float = 3.0) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


TREE = "sleep 30 & echo $! > child.pid; wait"


def test_timeout_kills_the_whole_tree(tmp_path: Path) -> None:
    started = time.monotonic()
    result = sandbox.run(["sh", "-c", TREE], cwd=tmp_path, timeout_s=1, memory_mb=512)
    assert result.timed_out
    assert not result.ok
    assert time.monotonic() - started < 10
    child = int((tmp_path / "child.pid").read_text())
    assert _wait_dead(child), "the backgrounded sleep survived the timeout"
    assert sandbox.live_count() == 0


def test_ctrl_c_kills_the_tree_and_reraises(tmp_path: Path) -> None:
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.7)
    try:
        with pytest.raises(KeyboardInterrupt):
            sandbox.run(["sh", "-c", TREE], cwd=tmp_path, timeout_s=20, memory_mb=512)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    child = int((tmp_path / "child.pid").read_text())
    assert _wait_dead(child)
    assert sandbox.live_count() == 0


def test_kill_all_stops_running_groups(tmp_path: Path) -> None:
    results: list[sandbox.ProcResult] = []
    thread = threading.Thread(
        target=lambda: results.append(
            sandbox.run(["sh", "-c", TREE], cwd=tmp_path, timeout_s=30, memory_mb=512)
        )
    )
    thread.start()
    deadline = time.monotonic() + 5
    while not (tmp_path / "child.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.1)
    assert sandbox.kill_all() == 1
    thread.join(5)
    assert not thread.is_alive()
    assert results[0].returncode == -signal.SIGKILL
    assert _wait_dead(int((tmp_path / "child.pid").read_text()))


def test_environment_is_scrubbed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-secret")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("PERFOPT_HARMLESS", "kept")
    code = "import os, json; print(json.dumps(dict(os.environ)))"
    result = sandbox.run([sys.executable, "-c", code], cwd=tmp_path, timeout_s=20, memory_mb=1024)
    assert result.ok, result.stderr
    assert "sk-secret" not in result.stdout and "ghp-secret" not in result.stdout
    assert "AWS_REGION" not in result.stdout
    assert '"PERFOPT_HARMLESS": "kept"' in result.stdout
    assert '"PYTHONHASHSEED": "0"' in result.stdout


def test_scrubbed_env_keeps_given_hash_seed_and_extra() -> None:
    env = sandbox.scrubbed_env({"EXTRA": "1"}, base={"PYTHONHASHSEED": "7", "db_password": "x"})
    assert env == {"PYTHONHASHSEED": "7", "PYTHONDONTWRITEBYTECODE": "1", "EXTRA": "1"}


def test_memory_limit_stops_a_big_allocation(tmp_path: Path) -> None:
    code = "x = bytearray(768 * 1024 * 1024); print('allocated')"
    result = sandbox.run([sys.executable, "-c", code], cwd=tmp_path, timeout_s=20, memory_mb=256)
    assert result.returncode != 0
    assert "allocated" not in result.stdout
    assert "MemoryError" in result.stderr


def test_stdin_and_exit_code_pass_through(tmp_path: Path) -> None:
    code = "import sys; data = sys.stdin.read(); print(data.upper()); sys.exit(3)"
    result = sandbox.run(
        [sys.executable, "-c", code], cwd=tmp_path, timeout_s=20, memory_mb=1024, stdin="abc"
    )
    assert (result.returncode, result.stdout.strip(), result.timed_out) == (3, "ABC", False)


def test_no_core_dumps(tmp_path: Path) -> None:
    result = sandbox.run("ulimit -c", cwd=tmp_path, timeout_s=10, memory_mb=512, shell=True)
    assert result.stdout.strip() == "0"


def test_a_runs_seconds_leave_out_the_fork_that_grows_with_the_parents_memory(
        tmp_path: Path) -> None:
    """Forking a parent that holds a large heap takes tens of milliseconds (page tables,
    the preexec limits running in the copy); that is the parent's cost, not the program's.
    `true` execs and exits in about a millisecond, whatever the parent holds."""
    true = shutil.which("true")
    assert true is not None
    heap = [str(i) * 20 for i in range(3_000_000)]  # ~300 MB of small objects
    try:
        spawned = time.perf_counter()
        runs = [sandbox.run([true], cwd=tmp_path, timeout_s=10, memory_mb=None)
                for _ in range(9)]
        spent = (time.perf_counter() - spawned) / len(runs)
    finally:
        del heap
    assert all(r.ok for r in runs)
    seconds = sorted(r.seconds for r in runs)[len(runs) // 2]
    # each call cost far more than its exec-to-exit time: the fork is what was left out
    assert seconds < spent / 2, (seconds, spent)
