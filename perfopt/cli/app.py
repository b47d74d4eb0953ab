"""The typer application and its groups; `main` is the console script."""

from __future__ import annotations

import typer

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
