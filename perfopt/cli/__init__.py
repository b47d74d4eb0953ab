"""Command line: parse, call one library function, render. No logic lives here.

`app` holds the commands (run.py: optimize, profile, bench, stress, version; ci.py: ci; evals.py:
eval pie / swe-fficiency; skills.py: skills ...); `guard.guarded` is how each one fails."""

from __future__ import annotations

import sys
from typing import Any

import typer

from perfopt.cli import ci, doctor, evals, run, skills  # noqa: F401 - registers the commands
from perfopt.cli.app import app
from perfopt.cli.guard import (
    click_exception_type,
    context_name,
    guarded,
    show_usage_error,
    stderr_console,
    write_json_error,
)

__all__ = ["app", "guarded", "main"]


def main() -> None:
    if "--json" not in sys.argv[1:]:
        app()
        return
    # With --json a flag click refuses (`--top abc`, an unknown option) is one JSON object
    # too; its usage text stays on stderr, as without --json.
    try:
        code = app(standalone_mode=False)
    except click_exception_type() as exc:
        error: Any = exc  # a click.ClickException, whichever click typer brings
        show_usage_error(error)
        write_json_error(sys.stdout, error.format_message(), error.exit_code,
                         context_name(getattr(error, "ctx", None)))
        sys.exit(error.exit_code)
    except typer.Abort:
        stderr_console().print("Aborted!")
        write_json_error(sys.stdout, "aborted", 1, None)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
