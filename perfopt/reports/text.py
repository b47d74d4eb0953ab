"""Small text helpers shared by the renderers."""

from __future__ import annotations

from perfopt.models import CandidateResult


def speedup_text(r: CandidateResult) -> str:
    if not r.measurements:
        return "-"
    m = r.measurements[0]
    return f"{m.speedup:.2f}x [{m.ci_low:.2f}, {m.ci_high:.2f}]"
