"""How every command fails: a user error is one line and exit 2 (with --json, one JSON
object too), Ctrl-C stops every child and exits 130 with the files unchanged.

A command that is killed (SIGKILL, the OOM killer) cannot clean up, so two things do it
for it: every child perfopt forks with a hook (the sandbox's, so every tool, test run and
candidate) dies with it (PR_SET_PDEATHSIG on Linux), and is reported to a watchdog, a
small process in its own session that waits for the command's end. If the command dies
before saying it is done, the watchdog kills the process groups of those children (their
own children too), removes the temporary a write into the user's tree had named but not
yet renamed (perfopt.verify.writes), and removes the run's temp folder
(perfopt.verify.workspace.run_folder).
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import typer

from perfopt.errors import PerfoptError


def stderr_console():
    from rich.console import Console

    return Console(stderr=True)


INTERRUPTED = "interrupted; your files were not changed"


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """User errors -> one line and exit 2; Ctrl-C -> stop children, clean up, exit 130.

    With --json (the command's `json_out` parameter) stdout holds exactly one JSON object,
    also on error: what the command prints is held back until it has returned, and an
    error replaces it with {"error", "exit_code", "command"}. The line on stderr stays."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from perfopt.verify import sandbox, workspace, writes

        json_mode = bool(kwargs.get("json_out"))
        stdout, held = sys.stdout, io.StringIO()
        sandbox.clear_interrupt()
        writes.forget_applied()
        # Ctrl-C is remembered as well as raised (a KeyboardInterrupt raised inside an
        # at-fork hook is dropped by Python); not where SIGINT is ignored (background jobs)
        previous, previous_hook = signal.getsignal(signal.SIGINT), sys.unraisablehook
        own = (previous is signal.default_int_handler
               and threading.current_thread() is threading.main_thread())
        if own:
            signal.signal(signal.SIGINT, sandbox.on_sigint)
            sys.unraisablehook = _quiet_interrupts(previous_hook)
        try:
            with (contextlib.redirect_stdout(held) if json_mode else contextlib.nullcontext(),
                  workspace.run_folder() as folder, children_die_with_us(folder)):
                try:
                    result = fn(*args, **kwargs)
                except KeyboardInterrupt:
                    _stop_everything()  # the children go before the run's temp folder
                    raise
            if sandbox.interrupted():  # the interrupt was lost after the last child
                raise KeyboardInterrupt
            stdout.write(held.getvalue())
            return result
        except PerfoptError as exc:
            from rich.markup import escape

            # escaped: a message naming `[tool.perfopt]` must not read as a style tag
            stderr_console().print(f"[red]perfopt: error:[/] {escape(str(exc))}",
                                   highlight=False, markup=True, soft_wrap=True)
            if json_mode:
                write_json_error(stdout, str(exc), exc.exit_code, _command_name(fn))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _stop_everything()
            message = interrupted_message(writes.applied_paths())
            stderr_console().print(f"perfopt: {message}", markup=False, highlight=False,
                                   soft_wrap=True)
            if json_mode:
                write_json_error(stdout, message, 130, _command_name(fn))
            raise typer.Exit(130) from None
        except typer.Exit:
            stdout.write(held.getvalue())
            raise
        except Exception as exc:
            if json_mode:  # a bug: the traceback follows on stderr
                write_json_error(stdout, f"perfopt bug, please report it with the traceback "
                                 f"on stderr: {type(exc).__name__}: {exc}", 1,
                                 _command_name(fn))
            raise
        finally:
            if own:
                signal.signal(signal.SIGINT, previous)
                sys.unraisablehook = previous_hook

    return wrapper


def _quiet_interrupts(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`hook`, less the KeyboardInterrupt that Python drops when Ctrl-C lands in an at-fork
    hook while a child starts (it printed "Exception ignored in ... Traceback" under the
    exit-130 line): the interrupt is remembered (`sandbox.on_sigint`) and stops the run at
    the next child, so the message is noise."""

    def quiet(unraisable: Any) -> Any:
        if isinstance(unraisable.exc_value, KeyboardInterrupt):
            return None
        return hook(unraisable)

    return quiet


def interrupted_message(applied: tuple[Path, ...]) -> str:
    """Ctrl-C's line: an interrupt that came while --apply renamed its files waited for the
    last one (perfopt.verify.writes), so the files are all old or all new."""
    if not applied:
        return INTERRUPTED
    return (f"interrupted after --apply wrote its {len(applied)} verified file(s) "
            f"({', '.join(p.name for p in applied)}); nothing else was changed")


def write_json_error(stdout: TextIO, message: str, exit_code: int,
                     command: str | None) -> None:
    from perfopt import jsonout

    data: dict[str, Any] = {"error": message, "exit_code": exit_code}
    if command:
        data["command"] = command
    stdout.write(jsonout.dumps(data) + "\n")
    stdout.flush()


def _command_name(fn: Callable[..., Any]) -> str | None:
    """'optimize', 'eval pie': the name `fn` is registered under."""
    from perfopt.cli.app import app, eval_app, skills_app

    for prefix, group in (("", app), ("eval ", eval_app), ("skills ", skills_app)):
        for info in group.registered_commands:
            if getattr(info.callback, "__wrapped__", None) is fn:
                return prefix + (info.name or fn.__name__.replace("_", "-"))
    return None


def _stop_everything() -> None:
    try:
        from perfopt.verify import sandbox, workspace

        sandbox.kill_all()
        workspace.cleanup_all()
    except Exception:  # noqa: BLE001 - best effort on the way out; the temp dirs say why
        pass


PR_SET_PDEATHSIG = 1
# The watchdog (module docstring), run as `python -I -S -c WATCHDOG FOLDER`: stdin is a pipe
# on which perfopt writes the PID of each child it forks, "tmp PATH" before it creates
# the temporary PATH of a write into the user's tree (perfopt.verify.writes), and, at its
# end, "done" (then the watchdog leaves at once). The pipe's end without "done" means
# perfopt died: the temporaries still there are removed, and the groups of those PIDs
# killed, unless the PID is now another process's (its start time).
WATCHDOG = """# perfopt's watchdog (perfopt.cli.guard)
import os, shutil, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
def started(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None
groups, temps, done, rest = {}, [], False, b""
while not done:
    chunk = os.read(0, 4096)
    if not chunk:
        break
    *lines, rest = (rest + chunk).split(b"\\n")
    for line in lines:
        done = done or line == b"done"
        if line.isdigit():
            groups[int(line)] = started(int(line))
        elif line.startswith(b"tmp ") and line.endswith(b".perfopt-tmp"):
            temps.append(line[4:])
if not done:
    for path in temps:  # a file perfopt was writing: only a kill before its rename left it
        try:
            os.unlink(path)
        except OSError:
            pass
    for pgid, start in groups.items():
        now = started(pgid)
        if now is not None and now != start:
            continue  # the leader is gone and its PID another process's
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass
    if len(sys.argv) > 1 and sys.argv[1]:
        shutil.rmtree(sys.argv[1], ignore_errors=True)
"""


@dataclass
class _Scope:
    pipe: int | None  # to the watchdog
    prctl: Callable[..., int] | None  # libc's, looked up before any fork


_SCOPE: _Scope | None = None
_FORKING: list[int] = [0]  # the PID that forks, as the child sees it
_HOOKED: list[bool] = []


@contextlib.contextmanager
def children_die_with_us(folder: Path | None) -> Iterator[None]:
    """While the block runs, the children forked with a hook die with this process, and
    the watchdog cleans up after a kill (module docstring)."""
    global _SCOPE
    if _SCOPE is not None or not hasattr(os, "register_at_fork") or not sys.executable:
        yield
        return
    if not _HOOKED:
        os.register_at_fork(before=_before_fork, after_in_child=_in_child)
        _HOOKED.append(True)
    from perfopt.verify import writes

    watchdog, pipe = _start_watchdog(folder)
    _SCOPE = _Scope(pipe, _prctl())
    if pipe is not None:
        writes.report_temp_names(functools.partial(_tell_temp, pipe))
    try:
        yield
    finally:
        writes.report_temp_names(None)
        _SCOPE = None
        if pipe is not None:
            with contextlib.suppress(OSError):
                os.write(pipe, b"done\n")
            os.close(pipe)
        if watchdog is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                watchdog.wait(timeout=10)


def _start_watchdog(folder: Path | None) -> tuple[subprocess.Popen[bytes] | None, int | None]:
    read, write = os.pipe()
    try:
        proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", WATCHDOG, str(folder or "")],
                                stdin=read, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:  # no watchdog: the children still die with perfopt (Linux)
        os.close(write)
        return None, None
    finally:
        os.close(read)
    return proc, write


def _tell_temp(pipe: int, path: Path) -> None:
    line = b"tmp " + os.fsencode(path) + b"\n"
    if line.count(b"\n") == 1:  # a name with a newline in it waits for the next start
        with contextlib.suppress(OSError):
            os.write(pipe, line)


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _before_fork() -> None:
    _FORKING[0] = os.getpid()


def _in_child() -> None:
    """In every child forked with a hook, before it runs anything: die with the parent
    (Linux ties this to the forking thread, so a thread waits for the children it starts,
    as perfopt's do), and tell the watchdog. A parent already gone: die now."""
    scope = _SCOPE
    if scope is None:
        return
    if scope.prctl is not None:
        scope.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != _FORKING[0]:
            os.kill(os.getpid(), signal.SIGKILL)
    if scope.pipe is not None:
        with contextlib.suppress(OSError):
            os.write(scope.pipe, b"%d\n" % os.getpid())


def click_exception_type() -> type[Exception]:
    """click's error base: typer has vendored click since 0.2x and depended on it before."""
    try:
        from typer._click.exceptions import ClickException
    except ImportError:
        from click.exceptions import ClickException  # type: ignore[no-redef,import-not-found,unused-ignore]
    return ClickException


def show_usage_error(error: Any) -> None:
    """The usage text typer prints for `error` without --json, on stderr."""
    try:
        from typer import rich_utils
    except ImportError:
        error.show()
    else:
        rich_utils.rich_format_error(error)


def context_name(ctx: Any) -> str | None:
    """'eval pie' for a click context of `perfopt eval pie` (whatever the program is called)."""
    names = []
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    return " ".join(reversed(names)) or None
