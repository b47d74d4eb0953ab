"""Renderers of a RunResult: console (rich), JSON, Markdown, SARIF. Explicit registry."""

from __future__ import annotations

from perfopt.errors import UserError

FORMATS = ("json", "markdown", "sarif")


def render(fmt: str, result) -> str:
    if fmt == "json":
        from perfopt.reports.json_report import render_json

        return render_json(result)
    if fmt == "markdown":
        from perfopt.reports.markdown import render_markdown

        return render_markdown(result)
    if fmt == "sarif":
        from perfopt.reports.sarif import render_sarif

        return render_sarif(result)
    raise UserError(f"unknown report format '{fmt}'; choose one of {', '.join(FORMATS)}")
