"""Command line: parse, call one library function, render. No logic lives here."""

from __future__ import annotations

import functools
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from perfopt.errors import PerfoptError

app = typer.Typer(
    name="perfopt",
    help=(
        "Make Python code faster and prove it: profile a workload, rewrite the hot functions "
        "(deterministic codemods, or an LLM when configured), keep a rewrite only when it "
        "behaves identically, passes the tests and is measured faster.\n\n"
        "Nothing is written unless you ask: by default perfopt shows diffs; --apply writes "
        "accepted changes, --patch FILE saves them as a unified diff."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
eval_app = typer.Typer(help="Evaluate perfopt on benchmarks (PIE, SWE-fficiency).",
                       no_args_is_help=True)
app.add_typer(eval_app, name="eval")
skills_app = typer.Typer(help="Browse the skill library (slow-to-fast transformations).",
                         no_args_is_help=True)
app.add_typer(skills_app, name="skills")


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """User errors -> one line and exit 2; Ctrl-C -> stop children, clean up, exit 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from perfopt.verify import sandbox

        sandbox.clear_interrupt()
        # Ctrl-C is remembered as well as raised (a KeyboardInterrupt raised inside an
        # at-fork hook is dropped by Python); not where SIGINT is ignored (background jobs)
        previous = signal.getsignal(signal.SIGINT)
        own = (previous is signal.default_int_handler
               and threading.current_thread() is threading.main_thread())
        if own:
            signal.signal(signal.SIGINT, sandbox.on_sigint)
        try:
            result = fn(*args, **kwargs)
            if sandbox.interrupted():  # the interrupt was lost after the last child
                raise KeyboardInterrupt
            return result
        except PerfoptError as exc:
            from rich.markup import escape

            # escaped: a message naming `[tool.perfopt]` must not read as a style tag
            _stderr_console().print(f"[red]perfopt: error:[/] {escape(str(exc))}",
                                    highlight=False, markup=True, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _stop_everything()
            _stderr_console().print("perfopt: interrupted; your files were not changed")
            raise typer.Exit(130) from None
        finally:
            if own:
                signal.signal(signal.SIGINT, previous)

    return wrapper


def _stop_everything() -> None:
    try:
        from perfopt.verify import sandbox, workspace

        sandbox.kill_all()
        workspace.cleanup_all()
    except Exception:  # noqa: BLE001 - best effort on the way out; the temp dirs say why
        pass


@app.command()
@guarded
def optimize(
    path: Path = typer.Argument(..., help="Project folder (or one .py file within a project)."),
    top: int | None = typer.Option(None, help="How many hotspot functions to work on [3]."),
    tests: str | None = typer.Option(None, help="pytest -k expression narrowing the workload."),
    workload: str | None = typer.Option(
        None, help="Shell command to profile instead of the tests, e.g. 'python bench.py'."),
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
) -> None:
    """Profile, rewrite and verify the hottest functions of a project (or, with --inputs,
    a whole program that reads stdin)."""
    from rich.console import Console

    from perfopt.discover import discover
    from perfopt.pipeline import RunOptions, optimize_project
    from perfopt.reports import render
    from perfopt.reports.console import ConsoleEvents, render_run
    from perfopt.verify.workspace import atomic_write

    flags = {
        "top": top, "tests": tests, "workload": workload, "min_speedup": min_speedup,
        "profiler": profiler, "model": model, "base_url": base_url,
        "cache": False if no_cache else None, "replay_dir": str(replay) if replay else None,
    }
    err = Console(stderr=True)
    if inputs is not None:
        from perfopt.config import load_settings
        from perfopt.errors import TargetError
        from perfopt.programs import optimize_program

        if not path.is_file():
            raise TargetError(f"{path} is not a program file; --inputs needs a .py or .cpp file")
        result = optimize_program(path, inputs, load_settings(path.parent, flags), engine=engine,
                                  apply=apply, note=(lambda _t: None) if quiet else err.print)
        if patch and result.patch:
            atomic_write(patch, result.patch)
    else:
        project = discover(path, flags)
        with ConsoleEvents(err, quiet=quiet) as events:
            result = optimize_project(
                project, RunOptions(apply=apply, patch_file=patch, show_prompts=show_prompts),
                events,
            )
    if markdown:
        atomic_write(markdown, render("markdown", result))
    if sarif:
        atomic_write(sarif, render("sarif", result))
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
        None, help="Shell command to profile instead of the tests, e.g. 'python bench.py'."),
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
                             profiler=profiler, output=output, pyspy=py_spy)
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
    import json

    from perfopt.bench.versions import BenchInputs, bench_versions
    from perfopt.config import load_settings
    from perfopt.models import to_dict

    settings = load_settings(a.resolve().parent, {"metric": metric, "min_speedup": min_speedup})
    report = bench_versions(a, b, symbol, rev_a, rev_b, BenchInputs(tuple(input), tuple(call)),
                            settings)
    if json_out:
        sys.stdout.write(json.dumps(to_dict(report)) + "\n")
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
    import json

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from perfopt.config import load_settings
    from perfopt.models import to_dict
    from perfopt.stress.command import stress_target

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
        sys.stdout.write(json.dumps(data) + "\n")
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


@eval_app.command("pie")
@guarded
def eval_pie(
    data: Path = typer.Option(..., help="PIE data: a folder with pairs.jsonl (+ problems/), a "
                              ".jsonl (src_code/tgt_code), or PerfForge */task.json folders."),
    limit: int | None = typer.Option(None, help="Only the first N pairs."),
    engine: str = typer.Option("offline", help="offline, llm, reference or mutants."),
    jobs: int = typer.Option(1, help="Pairs evaluated at once."),
    executor: str = typer.Option("local", help="local (process pool) or ray."),
    out: Path = typer.Option(Path("pie-results"), help="Per-pair JSON, report.md, report.json."),
    force: bool = typer.Option(False, "--force", help="Re-evaluate pairs that have a result."),
    no_reference: bool = typer.Option(False, "--no-reference",
                                      help="Do not time the human fast program."),
    model: str | None = typer.Option(None, help="LLM model for --engine llm."),
    base_url: str | None = typer.Option(None, help="Endpoint, e.g. http://localhost:8000/v1."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Run PIE pairs (slow/fast programs) through stress -> candidates -> verify."""
    import dataclasses
    import json

    from perfopt.config import load_settings
    from perfopt.evals.pie import PieOptions, run_pie

    options = PieOptions(data=data, out_dir=out, limit=limit, engine=engine, jobs=jobs,
                         executor=executor, force=force,
                         reference=False if no_reference else None)
    chosen = load_settings(Path.cwd(), {"model": model, "base_url": base_url})
    if chosen.model:
        options = dataclasses.replace(options, settings=options.settings.replace(
            model=chosen.model, base_url=chosen.base_url))
    report = run_pie(options)
    if json_out:
        sys.stdout.write(json.dumps(report.summary()) + "\n")
    else:
        typer.echo(report.markdown())


@eval_app.command("swe-fficiency")
@guarded
def eval_swe(
    instances: Path = typer.Option(..., help="Official-format instances: .json, .jsonl or a "
                                   "folder of them (e.g. datasets/swefficiency/sympy)."),
    engine: str = typer.Option("expert", help="offline, llm, expert, noop or patch."),
    source: str = typer.Option("pypi-sdist", help="pypi-sdist or git."),
    repos: Path | None = typer.Option(None, help="--source git: folder of owner__name mirrors."),
    python: str | None = typer.Option(None, help="Interpreter for the instance venvs."),
    runner: str = typer.Option("local", help="local, or docker (the benchmark's images)."),
    executor: str = typer.Option("local", help="local (process pool) or ray."),
    jobs: int = typer.Option(1, help="Instances evaluated at once."),
    repetitions: int = typer.Option(10, help="Timed repetitions per tree (>= 10 as upstream)."),
    ids: list[str] = typer.Option([], "--id", help="Only these instance ids."),
    patches: Path | None = typer.Option(None, help="--engine patch: a .diff or a folder of "
                                        "<id>.diff."),
    cache: Path | None = typer.Option(None, help="sdist download cache."),
    work: Path | None = typer.Option(None, help="Trees and venvs [OUT/work]."),
    out: Path = typer.Option(Path("swefficiency-results"), help="Per-instance JSON + report."),
    force: bool = typer.Option(False, "--force", help="Re-evaluate instances with a result."),
    model: str | None = typer.Option(None, help="LLM model for --engine llm."),
    base_url: str | None = typer.Option(None, help="Endpoint, e.g. http://localhost:8000/v1."),
) -> None:
    """Score perfopt (or the expert / a no-op / a patch) on SWE-fficiency instances."""
    from perfopt.config import load_settings
    from perfopt.evals.swefficiency import EvalOptions, run_eval

    settings = load_settings(Path.cwd(), {"model": model, "base_url": base_url})
    report = run_eval(EvalOptions(
        instances=instances, engine=engine, source=source, repos=repos, cache=cache, work=work,
        python=python, out=out, runner=runner, executor=executor, jobs=jobs,
        repetitions=repetitions, ids=tuple(ids), patches=patches, force=force,
        settings=settings))
    typer.echo(report.markdown_path.read_text(encoding="utf-8"))


@skills_app.command("list")
@guarded
def skills_list(
    language: str | None = typer.Option(None, help="Only skills for this language."),
) -> None:
    """List the skill cards."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from perfopt.skills.library import load_skills

    table = Table()
    for col in ("id", "kind", "languages", "codemod", "title"):
        table.add_column(col)
    for s in load_skills():
        if language and language not in s.languages:
            continue
        table.add_row(s.id, s.kind, ",".join(s.languages), s.codemod or "", escape(s.title))
    Console().print(table)


@skills_app.command("show")
@guarded
def skills_show(skill_id: str) -> None:
    """Show one skill card."""
    from rich.console import Console
    from rich.markup import escape

    from perfopt.skills.library import get_skill

    s = get_skill(skill_id)
    c = Console()
    # card text is code and prose: `a[i]` must not read as a style tag
    c.print(f"[bold]{escape(s.id)}[/] ({s.kind}, {', '.join(s.languages)}): {escape(s.title)}")
    c.print(s.mechanism, markup=False)
    if s.example_before:
        c.print("[dim]before:[/]\n" + escape(s.example_before))
        c.print("[dim]after:[/]\n" + escape(s.example_after))
    for p in s.pitfalls:
        c.print(f"[yellow]pitfall:[/] {escape(p)}")
    if s.codemod:
        c.print(f"codemod: {s.codemod}", markup=False)


@skills_app.command("search")
@guarded
def skills_search(
    text: str = typer.Argument(..., help="A symptom, an idea or a detector id."),
    k: int = typer.Option(5, help="How many cards."),
    language: str | None = typer.Option(None, help="Only skills for this language."),
) -> None:
    """Find cards by text similarity (BM25 over the card text)."""
    from rich.console import Console
    from rich.markup import escape

    from perfopt.skills.retrieval import search

    c = Console()
    for r in search(text, k=k, language=language):
        c.print(f"[bold]{escape(r.skill.id)}[/] {r.score:.2f}  {escape(r.skill.title)}")


@skills_app.command("mine")
@guarded
def skills_mine(
    pairs: Path = typer.Argument(..., help="JSONL of slow/fast pairs (slow_code, fast_code)."),
    out: Path = typer.Option(Path("mined-skills"), help="Folder for the new cards."),
    limit: int | None = typer.Option(None, help="Mine at most this many pairs."),
    language: str = typer.Option("python", help="Language of the pairs."),
    model: str | None = typer.Option(None, help="LLM model name."),
    base_url: str | None = typer.Option(None, help="OpenAI-compatible endpoint."),
) -> None:
    """Ask the model to explain slow->fast pairs as skill cards; merge duplicates."""
    from rich.console import Console

    from perfopt.config import load_settings
    from perfopt.errors import ConfigError
    from perfopt.llm import LLMClient, ModelConfig
    from perfopt.skills.mining import mine

    settings = load_settings(Path.cwd(), {"model": model, "base_url": base_url})
    config = ModelConfig.from_settings(settings, Path.cwd())
    if config is None:
        raise ConfigError("skills mine needs a model: pass --model NAME (and --base-url URL)")
    report = mine(pairs, LLMClient(config), out, language=language, limit=limit)
    c = Console()
    c.print(f"added {len(report.added)}: {', '.join(report.added) or '-'}")
    c.print(f"merged {len(report.merged)} into existing cards; skipped {len(report.skipped)}; "
            f"rejected {len(report.rejected)}")
    for ref, why in report.rejected:
        c.print(f"  rejected {ref}: {why}", markup=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
