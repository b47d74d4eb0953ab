"""The one seam through which perfopt runs other code: user tests, harnesses, timing workers.

Every process starts in its own session (so its whole tree is one process group we can
kill), with an address-space limit, no core dumps and an environment without secrets.
A process group is killed on timeout and on any exception, Ctrl-C included, so no
candidate keeps running after perfopt stops. A process that runs candidate or
model-written code gets a `Jail` too (perfopt.verify.jail): at strict it runs inside
bubblewrap, at basic with an allowlisted environment; either way with a private
HOME/TMPDIR that goes when it ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from perfopt.errors import SandboxError
from perfopt.verify.jail import STRICT, Jail, bwrap_command, environment, make_scratch

# Substrings / prefixes of environment variable names that never reach untrusted code.
_SECRET_PARTS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL")
_SECRET_PREFIXES = ("OPENAI_", "ANTHROPIC_", "AWS_")

# Live process groups (pgid -> Popen), for `kill_all` from the CLI's signal handler.
_LIVE: dict[int, subprocess.Popen[bytes]] = {}
_LIVE_LOCK = threading.Lock()
# A jailed process's private HOME/TMPDIR (pid -> folder), removed when it ends.
_SCRATCH: dict[int, Path] = {}

# After a kill, how long to wait for pipes to drain before giving up on the output.
_DRAIN_S = 2.0


@dataclass(frozen=True)
class ProcResult:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    # from the exec to the exit: the fork before it is the parent's cost, and grows with
    # the parent's memory (4 ms from a fresh interpreter, 27 ms from one holding 300 MB)
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tail(self, lines: int = 20, chars: int = 2000) -> str:
        """The last lines of stdout + stderr: what a rejection reason shows."""
        text = "\n".join(part.rstrip() for part in (self.stdout, self.stderr) if part.strip())
        kept = "\n".join(text.splitlines()[-lines:])
        return kept[-chars:]


def scrubbed_env(
    extra: Mapping[str, str] | None = None, base: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The current environment (or `base`) without credentials, plus `extra`.

    PYTHONDONTWRITEBYTECODE keeps __pycache__ out of workspaces; PYTHONHASHSEED=0 makes
    set/dict-of-str iteration order the same in the baseline and candidate processes.
    """
    source = os.environ if base is None else base
    env = {
        name: value
        for name, value in source.items()
        if not any(part in name.upper() for part in _SECRET_PARTS)
        and not name.upper().startswith(_SECRET_PREFIXES)
    }
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.setdefault("PYTHONHASHSEED", "0")
    if extra:
        env.update(extra)
    return env


def _limits(memory_mb: int | None) -> Callable[[], None]:
    def apply() -> None:
        import resource

        # Some platforms (macOS) refuse RLIMIT_AS; the time limit still holds there.
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        except (ValueError, OSError):
            pass
        if memory_mb:
            limit = int(memory_mb) * 1024 * 1024
            try:
                resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            except (ValueError, OSError):
                pass

    return apply


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _spawn(
    cmd: Sequence[str] | str,
    cwd: Path | str,
    memory_mb: int | None,
    env: Mapping[str, str] | None,
    *,
    stdin: int,
    stderr: int,
    shell: bool = False,
    jail: Jail | None = None,
) -> subprocess.Popen[bytes]:
    """Popen in a new session with the limits and the scrubbed environment (in `jail`,
    when it confines), registered for `kill_all`: what `run` and `start` share."""
    env = dict(scrubbed_env() if env is None else env)
    scratch = make_scratch() if jail is not None and jail.confines else None
    try:
        if jail is not None and scratch is not None:
            env = environment(jail, env, scratch)
            if jail.level == STRICT:
                argv = (["/bin/sh", "-c", str(cmd)] if shell
                        else [cmd] if isinstance(cmd, str) else [str(a) for a in cmd])
                cmd, shell = bwrap_command(jail, argv, cwd, scratch), False
        proc = subprocess.Popen(
            cmd,
            cwd=str(cwd),
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr,
            shell=shell,
            start_new_session=True,
            preexec_fn=_limits(memory_mb),  # noqa: PLW1509 - limits must apply before exec
        )
    except (OSError, SandboxError) as exc:
        _remove(scratch)
        raise SandboxError(f"cannot start {cmd!r} in {cwd}: {exc}") from exc
    with _LIVE_LOCK:
        _LIVE[proc.pid] = proc
        if scratch is not None:
            _SCRATCH[proc.pid] = scratch
    return proc


def _forget(proc: subprocess.Popen[bytes]) -> None:
    """A process that ended: out of the live table, its scratch removed."""
    with _LIVE_LOCK:
        _LIVE.pop(proc.pid, None)
        scratch = _SCRATCH.pop(proc.pid, None)
    _remove(scratch)


def _remove(scratch: Path | None) -> None:
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


_INTERRUPTED = threading.Event()


def on_sigint(signum: int, frame: object) -> None:
    """The CLI's SIGINT handler: KeyboardInterrupt as by default, and remembered. Python
    drops an exception raised where it cannot propagate (an at-fork hook while a child
    starts), so `run` raises it again before and after each child."""
    _INTERRUPTED.set()
    raise KeyboardInterrupt


def clear_interrupt() -> None:
    _INTERRUPTED.clear()


def interrupted() -> bool:
    return _INTERRUPTED.is_set()


def run(
    cmd: Sequence[str] | str,
    *,
    cwd: Path | str,
    timeout_s: float,
    memory_mb: int | None,
    env: Mapping[str, str] | None = None,
    stdin: bytes | str | None = None,
    shell: bool = False,
    jail: Jail | None = None,
) -> ProcResult:
    """Run `cmd` in a new session with limits; never leaves a process of it behind.

    `env` is used as given (build it with `scrubbed_env(extra)`); None means `scrubbed_env()`.
    In a `jail` (code perfopt does not trust) only the jail's allowlist of `env` is kept,
    and at strict the seconds include bwrap's start-up (~14 ms): clocks that need exact
    seconds time inside the jail (bench/_program_runner.py).
    A timeout is a result (`timed_out=True`, returncode -9), not an exception.
    """
    if _INTERRUPTED.is_set():
        raise KeyboardInterrupt
    data = stdin.encode() if isinstance(stdin, str) else stdin
    proc = _spawn(cmd if shell or isinstance(cmd, str) else list(cmd), cwd, memory_mb, env,
                  stdin=subprocess.PIPE if data is not None else subprocess.DEVNULL,
                  stderr=subprocess.PIPE, shell=shell, jail=jail)
    started = time.perf_counter()  # Popen returns once the child has exec'd
    timed_out = False
    try:
        try:
            out, err = proc.communicate(data, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
            try:
                out, err = proc.communicate(timeout=_DRAIN_S)
            except subprocess.TimeoutExpired:
                # A descendant that escaped the group still holds the pipes open.
                proc.kill()
                out, err = b"", b""
        # The leader exited; background children it left in the group go too.
        _kill_group(proc)
    except BaseException:
        _kill_group(proc)
        proc.kill()
        proc.wait()
        raise
    finally:
        _forget(proc)
    if _INTERRUPTED.is_set():  # Ctrl-C while the child ran, lost where it was raised
        raise KeyboardInterrupt
    return ProcResult(
        returncode=proc.returncode if proc.returncode is not None else -9,
        stdout=(out or b"").decode("utf-8", errors="replace"),
        stderr=(err or b"").decode("utf-8", errors="replace"),
        timed_out=timed_out,
        seconds=time.perf_counter() - started,
    )


def start(
    cmd: Sequence[str],
    *,
    cwd: Path | str,
    memory_mb: int | None,
    env: Mapping[str, str] | None = None,
    jail: Jail | None = None,
) -> subprocess.Popen[bytes]:
    """A long-lived sandboxed process with stdin/stdout pipes (a line-protocol worker):
    the same limits, session, environment and jail as `run`, registered for `kill_all`.
    The caller bounds each exchange with its own timeout and ends it with `stop`."""
    return _spawn(list(cmd), cwd, memory_mb, env, stdin=subprocess.PIPE,
                  stderr=subprocess.DEVNULL, jail=jail)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End a process from `start` and everything it started."""
    _kill_group(proc)
    proc.kill()
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass
    proc.wait()
    _forget(proc)


def kill_all() -> int:
    """Kill every live sandboxed process group (for the CLI's SIGINT/SIGTERM handler)."""
    with _LIVE_LOCK:
        procs = list(_LIVE.values())
    for proc in procs:
        _kill_group(proc)
    return len(procs)


def live_count() -> int:
    with _LIVE_LOCK:
        return len(_LIVE)
