"""Machine-readable report: one JSON object."""

from __future__ import annotations

from typing import Any

from perfopt import jsonout
from perfopt.models import CandidateResult, Hotspot, RunResult, to_dict

SCHEMA_VERSION = 1


def result_entry(r: CandidateResult) -> dict[str, Any]:
    m = r.measurements[0] if r.measurements else None
    return {
        "target": {"file": r.candidate.target.file, "qualname": r.candidate.target.qualname},
        "candidate_id": r.candidate.id,
        "origin": r.candidate.origin,
        "skills": list(r.candidate.skills),
        "verdict": r.verdict.gate,
        "accepted": r.verdict.accepted,
        "speedup": round(m.speedup, 4) if m else None,
        "ci": [round(m.ci_low, 4), round(m.ci_high, 4)] if m else None,
        "confidence": m.confidence if m else None,
        "metric": m.metric if m else None,
        "measure_seconds": round(m.seconds_spent, 2) if m else None,
        "reason": r.verdict.reason,
        "diff": r.diff,
    }


def hotspot_entry(h: Hotspot, result: RunResult) -> dict[str, Any]:
    """A hotspot with what became of it: `status` verified / no-candidate / skipped, its
    `reason` and the `oracle` that judged its candidates; "not-reached" when the run
    stopped before it."""
    entry = to_dict(h)
    outcome = next((o for o in result.outcomes if o.target.key == h.target.key), None)
    entry["status"] = outcome.status if outcome is not None else "not-reached"
    entry["reason"] = (outcome.reason if outcome is not None
                       else "the run stopped before this hotspot")
    entry["oracle"] = outcome.oracle if outcome is not None else ""
    return entry


def render_json(result: RunResult) -> str:
    data = {
        "version": SCHEMA_VERSION,
        "project": result.project,
        "profiler": result.profiler,
        "python": to_dict(result.python),  # the project's interpreter: path, source, version
        "seconds": result.seconds,
        "hotspots": [hotspot_entry(h, result) for h in result.hotspots],
        "plans": [to_dict(p) for p in result.plans],
        "outcomes": [to_dict(o) for o in result.outcomes],
        "results": [result_entry(r) for r in result.results],
        "accepted": sum(r.verdict.accepted for r in result.results),
        "applied": list(result.applied),
        "patch": result.patch,
        "warnings": list(result.warnings),
        "usage": result.usage,
    }
    return jsonout.dumps(data, indent=2)
