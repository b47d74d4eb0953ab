"""SARIF 2.1.0: accepted candidates as results a code-scanning UI can show at the function."""

from __future__ import annotations

from perfopt import __version__, jsonout
from perfopt.models import RunResult
from perfopt.reports.text import speedup_text


def render_sarif(result: RunResult) -> str:
    rules: dict[str, dict] = {}
    results = []
    for r in result.results:
        if not r.verdict.accepted:
            continue
        rule_id = r.candidate.origin.split("#")[0]
        rules.setdefault(rule_id, {"id": rule_id, "shortDescription": {"text": rule_id}})
        target = r.candidate.target
        region = {"startLine": target.span[0], "endLine": target.span[1]} if target.span else {}
        results.append({
            "ruleId": rule_id,
            "level": "note",
            "message": {"text": f"{target.qualname} can be {speedup_text(r)} faster; "
                                f"verified: {r.verdict.reason}"},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": target.file},
                **({"region": region} if region else {}),
            }}],
        })
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "perfopt", "version": __version__,
                                "informationUri": "https://github.com/perfopt/perfopt",
                                "rules": list(rules.values())}},
            "results": results,
        }],
    }
    return jsonout.dumps(sarif, indent=2)
