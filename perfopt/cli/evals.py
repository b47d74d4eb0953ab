"""`perfopt eval pie` and `perfopt eval swe-fficiency`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from perfopt.cli.app import eval_app
from perfopt.cli.guard import guarded


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

    from perfopt import jsonout
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
        sys.stdout.write(jsonout.dumps(report.summary()) + "\n")
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
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Score perfopt (or the expert / a no-op / a patch) on SWE-fficiency instances."""
    from perfopt import jsonout
    from perfopt.config import load_settings
    from perfopt.evals.swefficiency import EvalOptions, run_eval
    from perfopt.models import to_dict

    settings = load_settings(Path.cwd(), {"model": model, "base_url": base_url})
    report = run_eval(EvalOptions(
        instances=instances, engine=engine, source=source, repos=repos, cache=cache, work=work,
        python=python, out=out, runner=runner, executor=executor, jobs=jobs,
        repetitions=repetitions, ids=tuple(ids), patches=patches, force=force,
        settings=settings))
    if json_out:
        sys.stdout.write(jsonout.dumps({
            "engine": report.engine, "suite": to_dict(report.suite),
            "instances": [to_dict(s) for s in report.scores], "skipped": list(report.skipped),
            "markdown": str(report.markdown_path)}) + "\n")
    else:
        typer.echo(report.markdown_path.read_text(encoding="utf-8"))
