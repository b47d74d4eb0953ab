"""`perfopt skills list|show|search|mine`: the skill library."""

from __future__ import annotations

from pathlib import Path

import typer

from perfopt.cli.app import skills_app
from perfopt.cli.guard import guarded


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
