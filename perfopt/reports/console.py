"""Terminal output: live progress on stderr while the pipeline runs, then the summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.syntax import Syntax
from rich.table import Table

from perfopt.models import RunResult
from perfopt.reports.text import speedup_text

if TYPE_CHECKING:
    from rich.status import Status


class ConsoleEvents:
    """Progress for a person: a spinner naming the current stage, a line per verdict."""

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self._status: Status | None = None

    def __enter__(self) -> ConsoleEvents:
        if not self.quiet:
            self._status = self.console.status("starting")
            self._status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.__exit__(None, None, None)
            self._status = None

    def stage(self, name: str, detail: str = "") -> None:
        if self._status is not None:
            self._status.update(f"[bold]{name}[/] {escape(detail)}")

    def note(self, text: str) -> None:
        if not self.quiet:
            self.console.print(f"[dim]{escape(text)}[/]")

    def warn(self, text: str) -> None:
        # one line per warning, as the error line is: grep-able, and a wrapped warning
        # above an error read as a multi-line error
        self.console.print(f"[yellow]warning:[/] {escape(text)}", soft_wrap=True)

    def candidate_done(self, key: str, origin: str, verdict: str, speedup: float | None) -> None:
        if self.quiet:
            return
        mark = "[green]accepted[/]" if verdict == "accepted" else f"[red]rejected[/] ({verdict})"
        sp = f" {speedup:.2f}x" if speedup is not None else ""
        self.console.print(f"  {escape(key)} <- {escape(origin)}: {mark}{sp}")


def render_run(result: RunResult, console: Console, *, applied_hint: bool = True) -> None:
    if result.hotspots:
        table = Table(title="Hotspots", title_justify="left")
        for col in ("function", "file", "self", "total", "samples"):
            table.add_column(
                col, justify="right" if col in ("self", "total", "samples") else "left"
            )
        for h in result.hotspots:
            table.add_row(
                escape(h.target.qualname or "-"),
                escape(h.target.file),
                f"{h.self_share:.1%}",
                f"{h.total_share:.1%}",
                str(h.samples),
            )
        console.print(table)
    if result.results:
        table = Table(title="Candidates", title_justify="left")
        for col in ("target", "origin", "verdict", "speedup [95% CI]", "why rejected"):
            table.add_column(col, overflow="fold")
        for r in result.results:
            verdict = "[green]accepted[/]" if r.verdict.accepted else f"[red]{r.verdict.gate}[/]"
            why = "" if r.verdict.accepted else escape(r.verdict.reason[:160])
            table.add_row(escape(r.candidate.target.key), escape(r.candidate.origin), verdict,
                          speedup_text(r), why)
        console.print(table)
    accepted = [r for r in result.results if r.verdict.accepted]
    for r in accepted:
        console.rule(escape(f"{r.candidate.target.key}  {speedup_text(r)}  ({r.candidate.origin})"))
        console.print(
            Syntax(r.diff, "diff", theme="ansi_dark", background_color="default", word_wrap=True)
        )
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    if result.python is not None:
        console.print(f"python: {result.python.path} (Python {result.python.version}, from "
                      f"{result.python.source})", markup=False, highlight=False)
    n = len(accepted)
    summary = f"{n} accepted of {len(result.results)} candidates in {result.seconds:.1f} s"
    if result.usage:
        summary += " · " + ", ".join(f"{k} {v:g}" for k, v in result.usage.items())
    console.print(f"[bold]{summary}[/]")
    if result.applied:
        console.print(f"applied to: {', '.join(result.applied)}", markup=False)
    elif n and applied_hint:
        console.print(
            "nothing was changed: rerun with --apply to write these changes, "
            "or --patch FILE to save them as a diff"
        )
