"""Per-instance JSON (the resumable record) and the suite's Markdown table."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from perfopt import jsonout
from perfopt.evals.swefficiency.scoring import (
    PUBLISHED,
    InstanceScore,
    SuiteScore,
    score_suite,
)
from perfopt.models import from_dict, to_dict


def instance_path(out: Path, engine: str, instance_id: str) -> Path:
    return out / engine / f"{instance_id}.json"


def write_instance(path: Path, score: InstanceScore) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(jsonout.dumps(to_dict(score), indent=1, default=str), encoding="utf-8")
    tmp.replace(path)  # a half-written record must never look finished to --resume


def read_instance(path: Path) -> InstanceScore | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["ci"] = tuple(data["ci"]) if data.get("ci") else None
        data["expert_ci"] = tuple(data["expert_ci"]) if data.get("expert_ci") else None
        return from_dict(InstanceScore, data)
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _f(value: float | None, spec: str = ".4g") -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else format(value, spec)


def _ci(ci: tuple[float, float, float] | None) -> str:
    if not ci or any(v is None or math.isnan(v) for v in ci):
        return "-"
    return f"{ci[0]:.3g} [{ci[1]:.3g}, {ci[2]:.3g}]"


def markdown(engine: str, scores: Sequence[InstanceScore], suite: SuiteScore | None = None) -> str:
    suite = suite or score_suite(scores)
    lines = [
        f"# SWE-fficiency: engine `{engine}`",
        "",
        "| instance | status | T_pre s | T_patched s | T_expert s | speedup | expert speedup "
        "| SR | SR (medians) | patched/pre (median, CI) | tests |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in scores:
        status = s.status if not s.reason else f"{s.status}: {s.reason[:80]}"
        lines.append(
            f"| {s.instance_id} | {status.replace('|', '/')} | {_f(s.t_pre)} | "
            f"{_f(s.t_patched)} | {_f(s.t_expert)} | {_f(s.speedup)} | {_f(s.expert_speedup)} | "
            f"{_f(s.sr)} | {_f(s.sr_median)} | {_ci(s.ci)} | {s.tests.replace('|', '/')[:60]} |"
        )
    lines += [
        "",
        "| suite | harmonic SR | geometric SR | share SR >= 1 | share correct | n |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| **this run ({engine})** | {_f(suite.harmonic)} | {_f(suite.geometric)} | "
        f"{_f(suite.share_sr_ge_1, '.0%')} | {_f(suite.share_correct, '.0%')} | {suite.n} |",
    ]
    for name, fig in PUBLISHED.items():
        lines.append(f"| published: {name} | {_f(fig['harmonic'])} | {_f(fig['geometric'])} | "
                     f"{_f(fig['share_sr_ge_1'], '.0%')} | - | 498 |")
    lines += [
        "",
        "Published figures are over the full 498-task suite with the official workloads; "
        "this run's are over the instances above, timed on this machine.",
    ]
    notes = [(s.instance_id, n) for s in scores for n in s.notes]
    if notes:
        lines += ["", "## Notes", ""] + [f"- {iid}: {n}" for iid, n in notes]
    return "\n".join(lines) + "\n"
