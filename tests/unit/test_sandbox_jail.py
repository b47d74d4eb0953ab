"""The jail around candidate and model code (perfopt/verify/jail.py), with real processes.

At strict (bubblewrap; skipped where it cannot run, with the reason): a jailed process
cannot write outside its writable paths, cannot reach a TCP listener on 127.0.0.1, leaves
no process behind even when its children call setsid, and sees no secret from the
environment. At basic: the environment allowlist holds, the one warning names what is
not contained, and the same hostile children show that setsid escapes (the test itself
ends them). Each containment check has a control run that shows the effect happens
unconfined, so the check can fail.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from perfopt.bench.programs import run_worker, write_inputs
from perfopt.config import Settings
from perfopt.verify import sandbox
from perfopt.verify.jail import BASIC, OFF, STRICT, Jail, announce, support

SECRETS = {"DB_PASS": "hunter2-db-pass", "GITHUB_PAT": "ghp_jailtest0123456789",
           "DATABASE_URL": "postgres://app:s3cret-url@db/prod"}

strict_only = pytest.mark.skipif(
    support().bwrap is None,
    reason=f"strict sandbox unavailable here: {support().problem}")


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


def marked_processes(marker: str) -> list[int]:
    """Host pids whose command line holds `marker` (a jail's pids are not the host's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def gone(marker: str, within_s: float = 3.0) -> bool:
    deadline = time.monotonic() + within_s
    while marked_processes(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def end(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# 3 children in new sessions and 3 in the group, all sleeping with a marker argument
SPAWNER = """
import subprocess, sys
for i in range(6):
    subprocess.Popen(["sleep", sys.argv[1]], start_new_session=i % 2 == 0,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("spawned")
"""


def spawn_marked(jail: Jail | None, tmp_path: Path, marker: str) -> sandbox.ProcResult:
    return sandbox.run([sys.executable, "-c", SPAWNER, marker], cwd=tmp_path, timeout_s=30,
                       memory_mb=None, jail=jail)


# -- strict ---------------------------------------------------------------------------


@strict_only
def test_strict_writes_only_its_writable_paths(tmp_path: Path) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text("intact")
    escape = Path(f"/tmp/perfopt-jail-escape-{os.getpid()}.txt")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    code = f"""
import os, pathlib
for action in (lambda: os.remove({str(canary)!r}),
               lambda: pathlib.Path({str(tmp_path / "dropped.txt")!r}).write_text("x"),
               lambda: pathlib.Path({str(escape)!r}).write_text("x")):
    try:
        action()
        print("done")
    except OSError as exc:
        print("refused", exc.errno)
pathlib.Path({str(workspace / "mine.txt")!r}).write_text("mine")
pathlib.Path(os.environ["TMPDIR"], "t").write_text("t")
pathlib.Path(os.environ["HOME"], "h").write_text("h")
print("scratch", os.environ["HOME"])
"""
    result = sandbox.run(python(code), cwd=workspace, timeout_s=30, memory_mb=None,
                         jail=Jail(STRICT, (str(workspace),)))
    assert result.ok, result.tail()
    assert result.stdout.count("refused") == 3, result.stdout
    assert canary.read_text() == "intact"
    assert not (tmp_path / "dropped.txt").exists()
    assert not escape.exists()
    assert (workspace / "mine.txt").read_text() == "mine"
    scratch = result.stdout.split("scratch ")[1].strip()
    assert not Path(scratch).exists()  # the private HOME/TMPDIR went with the process

    # control: at basic (the filesystem open) the same code deletes the canary
    try:
        control = sandbox.run(python(code), cwd=workspace, timeout_s=30, memory_mb=None,
                              jail=Jail(BASIC))
        assert control.ok and control.stdout.count("done") == 3 and not canary.exists()
    finally:
        escape.unlink(missing_ok=True)


@strict_only
def test_strict_hides_credential_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY")
    (home / ".netrc").write_text("machine x password hunter2")
    monkeypatch.setenv("HOME", str(home))
    code = f"""
for path in ({str(home / ".ssh" / "id_ed25519")!r}, {str(home / ".netrc")!r}):
    try:
        print(open(path).read())
    except OSError as exc:
        print("hidden", type(exc).__name__)
"""
    result = sandbox.run(python(code), cwd=tmp_path, timeout_s=30, memory_mb=None,
                         jail=Jail(STRICT))
    assert result.ok, result.tail()
    assert "PRIVATE KEY" not in result.stdout and "hunter2" not in result.stdout
    control = sandbox.run(python(code), cwd=tmp_path, timeout_s=30, memory_mb=None,
                          jail=Jail(BASIC))
    assert "PRIVATE KEY" in control.stdout and "hunter2" in control.stdout


@strict_only
def test_strict_reaches_no_listener(tmp_path: Path, listener: Listener) -> None:
    code = f"""
import socket
for _ in range(5):
    try:
        socket.create_connection(("127.0.0.1", {listener.port}), timeout=2).close()
        print("connected")
    except OSError as exc:
        print("refused", type(exc).__name__)
"""
    result = sandbox.run(python(code), cwd=tmp_path, timeout_s=30, memory_mb=None,
                         jail=Jail(STRICT))
    assert result.ok, result.tail()
    assert "connected" not in result.stdout
    time.sleep(0.2)
    assert listener.accepted == 0

    control = sandbox.run(python(code), cwd=tmp_path, timeout_s=30, memory_mb=None,
                          jail=Jail(BASIC))
    assert result.ok and control.stdout.count("connected") == 5
    deadline = time.monotonic() + 3
    while listener.accepted < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert listener.accepted == 5


@strict_only
def test_strict_leaves_no_process_even_after_setsid(tmp_path: Path) -> None:
    marker = "97.000131"
    result = spawn_marked(Jail(STRICT), tmp_path, marker)
    assert result.ok and "spawned" in result.stdout, result.tail()
    assert gone(marker), f"jailed children outlived the run: {marked_processes(marker)}"
    assert sandbox.live_count() == 0


@strict_only
def test_strict_timeout_ends_every_descendant(tmp_path: Path) -> None:
    marker = "97.000132"
    code = SPAWNER + "\nimport time\ntime.sleep(60)\n"
    result = sandbox.run([sys.executable, "-c", code, marker], cwd=tmp_path, timeout_s=2,
                         memory_mb=None, jail=Jail(STRICT))
    assert result.timed_out
    assert gone(marker), f"children outlived the timeout: {marked_processes(marker)}"


@pytest.mark.parametrize("level", [STRICT, BASIC])
def test_jailed_environment_is_an_allowlist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            level: str) -> None:
    if level == STRICT and support().bwrap is None:
        pytest.skip(f"strict sandbox unavailable here: {support().problem}")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MY_TOOL_SETTING", "kept-by-pass-env")
    env = sandbox.scrubbed_env({"PYTHONPATH": str(tmp_path), "HYPOTHESIS_X": "set-by-perfopt"})
    code = "import os\nfor k, v in sorted(os.environ.items()): print(f'{k}={v}')"
    result = sandbox.run(python(code), cwd=tmp_path, timeout_s=30, memory_mb=None, env=env,
                         jail=Jail(level, pass_env=("MY_TOOL_*",)))
    assert result.ok, result.tail()
    seen = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    for value in SECRETS.values():
        assert value not in result.stdout
    assert seen["PYTHONPATH"] == str(tmp_path) and seen["HYPOTHESIS_X"] == "set-by-perfopt"
    assert seen["MY_TOOL_SETTING"] == "kept-by-pass-env"
    assert seen["PATH"] == os.environ["PATH"]
    assert seen["HOME"] != os.environ.get("HOME") and "perfopt-jail-" in seen["HOME"]
    assert seen["TMPDIR"].startswith(str(Path(seen["HOME"]).parent))

    # control: unjailed (and at off), the scrubber lets DB_PASS and its siblings through
    control = sandbox.run(python(code), cwd=tmp_path, timeout_s=30, memory_mb=None, env=env,
                          jail=Jail(OFF))
    assert SECRETS["DATABASE_URL"] in control.stdout


@strict_only
def test_strict_program_clock_leaves_out_the_jail_and_cannot_be_forged(
        tmp_path: Path) -> None:
    settings = Settings(timeout_s=30)
    files = write_inputs([b"1\n"], tmp_path)
    jail = Jail(STRICT)
    clock = run_worker(["true"], files, 5, tmp_path, settings, "original", jail)
    whole = [sandbox.run(["true"], cwd=tmp_path, timeout_s=30, memory_mb=None, jail=jail)
             .seconds for _ in range(5)]
    # bwrap's start-up (~14 ms) is in every whole-process reading and in no clock reading
    assert sorted(clock)[2] < sorted(whole)[2], (clock, whole)

    # a program writing a forged report into its worker's stdout through /proc is refused
    # (were it not, it would exit 3 and the worker would fail the run)
    forge = ("import os, sys, time\ntry:\n    open(f'/proc/{os.getppid()}/fd/1', 'w').write("
             "'{\"seconds\": [0.0]}\\n')\n    sys.exit(3)\nexcept OSError:\n    pass\n"
             "time.sleep(0.05)\n")
    seconds = run_worker([sys.executable, "-c", forge], files, 1, tmp_path, settings,
                         "candidate", jail)
    assert seconds[0] >= 0.05, seconds


# -- basic and the levels -------------------------------------------------------------


def test_basic_names_what_it_does_not_contain() -> None:
    line = announce(BASIC)
    assert line is not None and "\n" not in line
    for missing in ("network", "filesystem writable", "setsid"):
        assert missing in line, line
    assert announce(OFF) is not None
    assert announce(STRICT if support().bwrap else BASIC) == (
        None if support().bwrap else announce(BASIC))


def test_basic_lets_setsid_children_escape_as_documented(tmp_path: Path) -> None:
    marker = "97.000133"
    end(marked_processes(marker))
    try:
        result = spawn_marked(Jail(BASIC), tmp_path, marker)
        assert result.ok, result.tail()
        time.sleep(0.3)
        # the 3 in new sessions survive; the 3 in the group are killed with it
        assert len(marked_processes(marker)) == 3, marked_processes(marker)
    finally:
        end(marked_processes(marker))


def test_strict_without_bubblewrap_refuses_in_one_line(tmp_path: Path) -> None:
    """No bwrap on PATH: `auto` falls back to basic with the warning, and `optimize
    --sandbox strict` with a model stops before any work: one line, exit 2, the fix."""
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty), "OPENAI_API_KEY": "sk-test"}
    code = "from perfopt.verify.jail import announce\nprint(announce('auto'))\n"
    auto = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert auto.stdout.startswith("sandbox basic (bubblewrap (bwrap) is not installed)")

    project = tmp_path / "llmproj"
    shutil.copytree(Path(__file__).parents[1] / "fixtures" / "llmproj", project)
    proc = subprocess.run(
        [sys.executable, "-m", "perfopt.cli", "optimize", str(project), "--model", "m",
         "--base-url", "http://127.0.0.1:9/v1", "--sandbox", "strict", "--json"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 2, proc.stderr[-2000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr
    assert lines[0].startswith("perfopt: error: --sandbox strict cannot confine")
    assert "install bubblewrap" in lines[0] and "--sandbox basic" in lines[0]
    assert json.loads(proc.stdout)["exit_code"] == 2
