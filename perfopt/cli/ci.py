"""`perfopt ci`: the pull-request check (perfopt.commands.ci)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from perfopt.cli.app import app
from perfopt.cli.guard import guarded


@app.command()
@guarded
def ci(
    base: str = typer.Option(..., help="The pull request's base commit (a ref or sha)."),
    head: str | None = typer.Option(None, help="The head commit \\[the checkout as it is]."),
    path: Path = typer.Argument(Path("."), help="The project folder in the checkout."),
    workload: str | None = typer.Option(
        None, help="Shell command (or benchmark file/folder) that runs the changed code "
        "\\[the project's tests]."),
    python: str | None = typer.Option(None, help="The project's interpreter."),
    fail_on_slowdown: float | None = typer.Option(
        None, help="Flag a function when its slowdown interval's lower bound reaches this "
        "\\[1.10]."),
    budget: float | None = typer.Option(None, help="Seconds the whole check may take [600]."),
    no_fail: bool = typer.Option(False, "--no-fail", help="Report only: exit 0 even with a "
                                 "regression."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    markdown: Path | None = typer.Option(None, help="Write the Markdown summary here."),
    sarif: Path | None = typer.Option(None, help="Write a SARIF report here."),
    patch: Path | None = typer.Option(None, help="Write the suggestions as a unified diff."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
) -> None:
    """Check a pull request: the changed functions timed at the base and the head (exit 1
    on a regression), and faster verified rewrites of them suggested."""
    from rich.console import Console

    from perfopt.commands.ci import CiRequest, run_ci
    from perfopt.reports.ci import render_ci_json, render_ci_markdown, render_ci_sarif
    from perfopt.reports.console import ConsoleEvents
    from perfopt.verify.writes import check_output, write_output

    outputs = {"--patch": (patch, "perfopt.diff"), "--markdown": (markdown, "perfopt.md"),
               "--sarif": (sarif, "perfopt.sarif")}
    for flag, (out, example) in outputs.items():
        if out is not None:
            check_output(out, flag, example)
    err = Console(stderr=True)
    request = CiRequest(path, base, head, flags={"workload": workload, "python": python},
                        ci_flags={"fail_on_slowdown": fail_on_slowdown, "budget_s": budget})
    with ConsoleEvents(err, quiet=quiet or not err.is_terminal) as events:
        report = run_ci(request, events)
    for note in report.notes:  # the offline note among them: said once
        err.print(f"perfopt: {note}", markup=False, highlight=False, soft_wrap=True)
    if report.skipped:
        err.print(f"perfopt: not checked: {report.skipped}", markup=False, highlight=False)
    if report.worth_writing:  # quiet by default: nothing written without a finding
        text = render_ci_markdown(report)
        summary = os.environ.get("GITHUB_STEP_SUMMARY")
        for out, flag in ((markdown, "--markdown"),
                          (Path(summary) if summary else None, "GITHUB_STEP_SUMMARY")):
            if out is not None:
                write_output(out, text, flag)
        if sarif:
            write_output(sarif, render_ci_sarif(report), "--sarif")
        if patch and report.result is not None and report.result.patch:
            write_output(patch, report.result.patch, "--patch")
    if json_out:
        sys.stdout.write(render_ci_json(report) + "\n")
    elif report.worth_writing:
        typer.echo(render_ci_markdown(report), nl=False)
    else:
        typer.echo(f"perfopt ci: {len(report.changed)} changed function(s), no regression, "
                   f"no suggestion")
    if report.regressions and not no_fail:
        raise typer.Exit(1)
