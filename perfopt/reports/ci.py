"""`perfopt ci`'s report (a `commands.ci.CiReport`) as JSON, Markdown and SARIF; the
suggestions reuse the renderers of a RunResult."""

from __future__ import annotations

import json
from typing import Any

from perfopt import __version__, jsonout


def _target(t: Any) -> dict[str, Any]:
    return {"file": t.file, "qualname": t.qualname}


def _regression(r: Any) -> dict[str, Any]:
    return {"target": _target(r.target), "slowdown": r.slowdown,
            "interval": [r.low, r.high], "confidence": r.confidence, "metric": r.metric}


def ci_json(report: Any) -> dict[str, Any]:
    from perfopt.reports.json_report import result_entry

    return {
        "base": report.base, "head": report.head, "fail_on_slowdown": report.threshold,
        "regressions": [_regression(r) for r in report.regressions],
        "timed": [_regression(r) for r in report.timed],
        "suggestions": [result_entry(r) for r in report.suggestions],
        "changed": [{"target": _target(c.target), "new": c.new, "cosmetic": c.cosmetic,
                     "reached": c.reached} for c in report.changed],
        "notes": list(report.notes), "skipped": report.skipped or None,
    }


def render_ci_json(report: Any) -> str:
    return jsonout.dumps(ci_json(report))


def _row(r: Any) -> str:
    return (f"| `{r.target.file}` | `{r.target.qualname}` | {r.slowdown:.2f}x | "
            f"[{r.low:.2f}, {r.high:.2f}] | {r.metric} |")


def render_ci_markdown(report: Any) -> str:
    from perfopt.reports.text import speedup_text

    lines = [f"## perfopt: {len(report.regressions)} regression(s), "
             f"{len(report.suggestions)} suggestion(s)", ""]
    if report.regressions:
        lines += [f"Slower than the base ({report.base}) by at least "
                  f"{report.threshold:.2f}x at {report.regressions[0].confidence:.0%} "
                  f"confidence:", "",
                  "| file | function | slowdown | interval | metric |",
                  "|---|---|---|---|---|", *(_row(r) for r in report.regressions), ""]
    if report.suggestions:
        lines += ["Verified faster rewrites of changed functions (same behaviour, tests "
                  "pass):", ""]
        for r in report.suggestions:
            t = r.candidate.target
            lines.append(f"- `{t.file}::{t.qualname}`: {speedup_text(r)} faster "
                         f"({r.candidate.origin})")
        if report.result is not None and report.result.patch:
            lines += ["", "```diff", report.result.patch.rstrip("\n"), "```"]
        lines.append("")
    for note in report.notes:
        lines.append(f"_{note}_")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_ci_sarif(report: Any) -> str:
    """Regressions as warnings and suggestions as notes, at the changed lines."""
    results = []
    for r in report.regressions:
        results.append(_sarif_result(
            "perfopt-regression", "warning", r.target,
            f"{r.target.qualname} is {r.slowdown:.2f}x slower than at the base "
            f"(interval [{r.low:.2f}, {r.high:.2f}], {r.metric})"))
    suggestions = json.loads(_suggestions_sarif(report))
    results += suggestions["runs"][0]["results"]
    rules = [{"id": "perfopt-regression",
              "shortDescription": {"text": "slower than the pull request's base"}}]
    rules += suggestions["runs"][0]["tool"]["driver"]["rules"]
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "perfopt", "version": __version__,
                                      "informationUri": "https://github.com/perfopt/perfopt",
                                      "rules": rules}},
                  "results": results}],
    }
    return jsonout.dumps(sarif, indent=2)


def _suggestions_sarif(report: Any) -> str:
    from perfopt.models import RunResult
    from perfopt.reports.sarif import render_sarif

    return render_sarif(report.result or RunResult(project=""))


def _sarif_result(rule: str, level: str, target: Any, text: str) -> dict[str, Any]:
    region = {"startLine": target.span[0], "endLine": target.span[1]} if target.span else {}
    return {"ruleId": rule, "level": level, "message": {"text": text},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": target.file},
                                                **({"region": region} if region else {})}}]}
