"""How every command fails: a user error is one line and exit 2 (with --json, one JSON
object too), Ctrl-C stops every child and exits 130 with the files unchanged."""

from __future__ import annotations

import contextlib
import functools
import io
import signal
import sys
import threading
from collections.abc import Callable
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
        from perfopt.verify import sandbox

        json_mode = bool(kwargs.get("json_out"))
        stdout, held = sys.stdout, io.StringIO()
        sandbox.clear_interrupt()
        # Ctrl-C is remembered as well as raised (a KeyboardInterrupt raised inside an
        # at-fork hook is dropped by Python); not where SIGINT is ignored (background jobs)
        previous, previous_hook = signal.getsignal(signal.SIGINT), sys.unraisablehook
        own = (previous is signal.default_int_handler
               and threading.current_thread() is threading.main_thread())
        if own:
            signal.signal(signal.SIGINT, sandbox.on_sigint)
            sys.unraisablehook = _quiet_interrupts(previous_hook)
        try:
            with contextlib.redirect_stdout(held) if json_mode else contextlib.nullcontext():
                result = fn(*args, **kwargs)
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
            stderr_console().print(f"perfopt: {INTERRUPTED}")
            if json_mode:
                write_json_error(stdout, INTERRUPTED, 130, _command_name(fn))
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
