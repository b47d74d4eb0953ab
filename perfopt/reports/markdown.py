"""Markdown report, e.g. for a pull-request comment."""

from __future__ import annotations

from perfopt.models import RunResult
from perfopt.reports.text import speedup_text


def render_markdown(result: RunResult) -> str:
    lines = ["# perfopt report", ""]
    accepted = [r for r in result.results if r.verdict.accepted]
    lines.append(
        f"{len(accepted)} of {len(result.results)} candidates accepted "
        f"({result.profiler}, {result.seconds:.1f} s)."
    )
    lines += ["", "| target | origin | verdict | speedup | reason |", "|---|---|---|---|---|"]
    for r in result.results:
        reason = r.verdict.reason.replace("|", "\\|").replace("\n", " ")
        lines.append(
            f"| `{r.candidate.target.key}` | {r.candidate.origin} | {r.verdict.gate} | "
            f"{speedup_text(r)} | {reason} |"
        )
    for r in accepted:
        lines += ["", f"## `{r.candidate.target.key}` ({speedup_text(r)})", "", "```diff",
                  r.diff.rstrip("\n"), "```"]
    if result.usage:
        lines += ["", "## Model usage", "", "| " + " | ".join(result.usage) + " |",
                  "|" + "---|" * len(result.usage),
                  "| " + " | ".join(f"{v:g}" for v in result.usage.values()) + " |"]
    if result.warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in result.warnings]
    return "\n".join(lines) + "\n"
