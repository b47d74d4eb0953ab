"""The commands that do the work: optimize, profile, bench, stress, version."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from perfopt.cli.app import app
from perfopt.cli.guard import guarded


@app.command()
@guarded
def optimize(
    path: Path = typer.Argument(..., help="Project folder (or one .py file within a project)."),
    top: int | None = typer.Option(None, help="How many hotspot functions to work on [3]."),
    tests: str | None = typer.Option(None, help="pytest -k expression narrowing the workload."),
    workload: str | None = typer.Option(
        None, help="Shell command to profile instead of the tests, e.g. 'python bench.py', "
        "or a benchmark file or folder (benchmarks/)."),
    python: str | None = typer.Option(
        None, help="The project's interpreter \\[.venv/ or venv/, else $VIRTUAL_ENV, else "
        "perfopt's own]."),
    apply: bool = typer.Option(False, "--apply", help="Write accepted changes into your files "
                               "(atomically). Without it nothing is changed."),
    patch: Path | None = typer.Option(None, help="Save accepted changes as a unified diff."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    markdown: Path | None = typer.Option(None, help="Also write a Markdown report here."),
    sarif: Path | None = typer.Option(None, help="Also write a SARIF report here."),
    min_speedup: float | None = typer.Option(
        None, help="Lower bound of the speedup's 95% CI must reach this [1.05]."),
    profiler: str | None = typer.Option(None, help="auto, py-spy or cprofile \\[auto]."),
    model: str | None = typer.Option(None, help="LLM model name (OpenAI-compatible endpoint)."),
    base_url: str | None = typer.Option(None, help="Endpoint, e.g. http://localhost:8000/v1."),
    show_prompts: bool = typer.Option(False, "--show-prompts",
                                      help="Print what would be sent to the model; send nothing."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not use cached model replies."),
    replay: Path | None = typer.Option(None, help="Answer model calls only from this cache "
                                          "folder; never call the network."),
    inputs: Path | None = typer.Option(
        None, help="Folder of stdin inputs (input.N.txt/*.in, with output.N.txt/*.out and "
        "statement.txt when known): optimize PATH as a whole program (.py or .cpp)."),
    engine: str = typer.Option("auto", help="With --inputs: auto, offline (codemods) or llm."),
    sandbox: str | None = typer.Option(
        None, help="Confinement of candidate and model code: auto, strict (bubblewrap: no "
        "network, read-only files, no process outlives the run), basic or off \\[auto]."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
) -> None:
    """Profile, rewrite and verify the hottest functions of a project (or, with --inputs,
    a whole program that reads stdin)."""
    from rich.console import Console

    from perfopt.commands.optimize import optimize_program, optimize_project
    from perfopt.pipeline import RunOptions
    from perfopt.reports import render
    from perfopt.reports.console import ConsoleEvents, render_run
    from perfopt.verify.writes import check_output, write_output

    outputs = {"--patch": (patch, "perfopt.diff"), "--markdown": (markdown, "perfopt.md"),
               "--sarif": (sarif, "perfopt.sarif")}
    for flag, (out, example) in outputs.items():
        if out is not None:  # before any work: an unwritable path fails now, not at the end
            check_output(out, flag, example)
    flags = {
        "top": top, "tests": tests, "workload": workload, "python": python,
        "min_speedup": min_speedup,
        "profiler": profiler, "model": model, "base_url": base_url, "sandbox": sandbox,
        "cache": False if no_cache else None, "replay_dir": str(replay) if replay else None,
    }
    err = Console(stderr=True)
    run_options = RunOptions(apply=apply, patch_file=patch, show_prompts=show_prompts)
    with ConsoleEvents(err, quiet=quiet) as events:
        if inputs is not None:
            result = optimize_program(path, inputs, flags, run_options, events, engine=engine)
        else:
            result = optimize_project(path, flags, run_options, events)
    if markdown:
        write_output(markdown, render("markdown", result), "--markdown")
    if sarif:
        write_output(sarif, render("sarif", result), "--sarif")
    if json_out:
        sys.stdout.write(render("json", result) + "\n")
    else:
        render_run(result, Console())


@app.command()
@guarded
def profile(
    path: Path = typer.Argument(..., help="Project folder, or a .py file (the program with "
                                "--inputs; else only that file's functions are listed)."),
    top: int | None = typer.Option(None, help="How many hotspot functions to list [10]."),
    tests: str | None = typer.Option(None, help="pytest -k expression or node ids narrowing "
                                     "the workload."),
    workload: str | None = typer.Option(
        None, help="Shell command to profile instead of the tests, e.g. 'python bench.py', "
        "or a benchmark file or folder (benchmarks/)."),
    python: str | None = typer.Option(
        None, help="The project's interpreter \\[.venv/ or venv/, else $VIRTUAL_ENV, else "
        "perfopt's own]."),
    inputs: Path | None = typer.Option(
        None, help="Folder of input.N.txt files: profile `python PATH < input` for each."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Also write the profile: .json/.speedscope (speedscope) "
        "or .svg (flame graph)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
    profiler: str | None = typer.Option(None, help="auto, py-spy or cprofile \\[auto]."),
    py_spy: str | None = typer.Option(None, "--py-spy",
                                      help="py-spy executable (default: beside Python, PATH)."),
) -> None:
    """Profile a workload in a copy of the project and list the functions that own its time."""
    from rich.console import Console

    from perfopt.profilers.output import render_report, report_json
    from perfopt.profilers.session import ProfileOptions, run_profile

    err = Console(stderr=True)
    options = ProfileOptions(top=top, tests=tests, workload=workload, inputs=inputs,
                             profiler=profiler, output=output, pyspy=py_spy, python=python)
    report = run_profile(path, options, note=lambda text: err.print(
        f"perfopt: {text}", markup=False, highlight=False, soft_wrap=True))
    if json_out:
        sys.stdout.write(report_json(report) + "\n")
    else:
        render_report(report, Console())


@app.command()
def version() -> None:
    """Print perfopt's version."""
    from perfopt import __version__

    typer.echo(__version__)


@app.command()
@guarded
def bench(
    a: Path = typer.Argument(..., help="Version A: a .py file, C++ source or program."),
    b: Path | None = typer.Argument(None, help="Version B (default: A at --rev-b)."),
    symbol: str | None = typer.Option(
        None, "--symbol", "-s", help="Function to compare; omit for whole programs on stdin."),
    rev_a: str | None = typer.Option(None, help="git revision of A (git show REV:path)."),
    rev_b: str | None = typer.Option(None, help="git revision of B \\[working tree]."),
    call: list[str] = typer.Option(
        [], "--call", help="Arguments as Python literals, one call each: --call '1000'."),
    input: list[Path] = typer.Option(
        [], "--input", help="Pickled {'args','kwargs'} for functions, or stdin files."),
    metric: str | None = typer.Option(None, help="auto, wall or instructions \\[auto]."),
    min_speedup: float | None = typer.Option(None, help="Lower CI bound to call B faster [1.05]."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Compare two versions of a function or program: speedup with its interval."""
    from perfopt import jsonout
    from perfopt.bench.versions import BenchInputs, bench_versions
    from perfopt.config import load_settings
    from perfopt.models import to_dict

    settings = load_settings(a.resolve().parent, {"metric": metric, "min_speedup": min_speedup})
    report = bench_versions(a, b, symbol, rev_a, rev_b, BenchInputs(tuple(input), tuple(call)),
                            settings)
    if json_out:
        sys.stdout.write(jsonout.dumps(to_dict(report)) + "\n")
    else:
        for line in report.lines():
            typer.echo(line)


@app.command()
@guarded
def stress(
    path: Path = typer.Argument(..., help="A stdin program (.py/.cpp), or a project folder "
                                "with --symbol."),
    symbol: str | None = typer.Option(None, help="FILE::QUALNAME of a function to stress "
                                      "(its real calls are captured from the tests)."),
    inputs: Path | None = typer.Option(None, help="Program samples: input.N.txt (+ output)."),
    statement: Path | None = typer.Option(None, help="Problem statement with a Constraints "
                                          "section [INPUTS/statement.txt]."),
    out: Path | None = typer.Option(None, help="Save the suite here (suite.json + payloads)."),
    budget: float = typer.Option(60.0, help="Seconds to spend generating inputs."),
    model: str | None = typer.Option(None, help="LLM model asked for performance-"
                                     "characterizing conditions and an input generator."),
    base_url: str | None = typer.Option(None, help="Endpoint, e.g. http://localhost:8000/v1."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Build inputs that make slow code show itself, and print the suite. With a model
    (--model, or \\[tool.perfopt] model), its conditions and input generator guide the search."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from perfopt import jsonout
    from perfopt.commands.stress import stress_target
    from perfopt.config import load_settings
    from perfopt.models import to_dict

    root = path if path.is_dir() else path.parent
    err = Console(stderr=True)
    settings = load_settings(root, {"model": model, "base_url": base_url})
    report = stress_target(path, settings, symbol=symbol, inputs=inputs, statement=statement,
                           out=out, budget_s=budget,
                           warn=lambda text: err.print(f"perfopt: {text}", markup=False,
                                                       highlight=False, soft_wrap=True))
    if json_out:
        data = {"target": report.target, "suite": to_dict(report.suite),
                "seed_cost": report.seed_cost, "stress_cost": report.stress_cost,
                "slowdown": report.slowdown, "saved_to": report.saved_to,
                "model": report.model}
        sys.stdout.write(jsonout.dumps(data) + "\n")
        return
    c = Console()
    table = Table(title=f"Stress suite for {escape(str(report.target))}", title_justify="left")
    for col in ("case", "provenance", "size", "cost s", "note"):
        table.add_column(col)
    for case in report.suite.cases:
        cost = f"{case.cost:.4f}" if case.cost is not None else "-"
        table.add_row(escape(case.id), case.provenance, str(case.size or "-"), cost,
                      escape(case.note[:60]))
    c.print(table)
    if report.slowdown is not None:
        c.print(f"slowdown against the seeds: {report.slowdown:.1f}x "
                f"(mean cost {report.stress_cost:.4f} s vs {report.seed_cost:.4f} s)")
    if report.suite.complexity is not None:
        c.print(f"complexity: cost grows like size^{report.suite.complexity:.2f}")
    if report.model is not None:
        from_model = sum(case.provenance == "model" for case in report.suite.cases)
        c.print(f"model {report.model}: {from_model} of these inputs came from its generator")
    if report.saved_to:
        c.print(f"saved to {report.saved_to}", markup=False)
