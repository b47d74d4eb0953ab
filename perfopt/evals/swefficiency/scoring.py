"""SWE-fficiency scores: pure functions of timings and test outcomes.

Per instance: SR = (T_pre / T_patched) / (T_pre / T_expert), with T the mean of the
samples. A patch that breaks a PASS_TO_PASS test, does not apply, or trips a guard gets
speedup 1 (so SR = T_expert / T_pre). Suite: the harmonic mean of SR (the benchmark's
score), the geometric mean, and the share of instances with SR >= 1.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

# Published figures (see datasets/swefficiency/partial/ and the paper).
PUBLISHED: dict[str, dict[str, float | None]] = {
    "best agent (OpenHands + Claude 3.7 Sonnet)": {"harmonic": 0.00986, "geometric": 0.452,
                                                    "share_sr_ge_1": 0.211},
    "no-op patch": {"harmonic": 0.0011, "geometric": None, "share_sr_ge_1": None},
    "expert": {"harmonic": 1.0, "geometric": 1.0, "share_sr_ge_1": 1.0},
}


@dataclass(frozen=True)
class InstanceScore:
    instance_id: str
    engine: str
    status: str  # "ok" | "tests-failed" | "patch-failed" | "guard-rejected" | "error"
    t_pre: float | None
    t_patched: float | None
    t_expert: float | None
    speedup: float | None  # T_pre / T_patched as scored (1.0 when the patch was disqualified)
    measured_speedup: float | None  # T_pre / T_patched as measured, before any penalty
    expert_speedup: float | None  # T_pre / T_expert
    sr: float | None
    sr_median: float | None = None  # the same ratio on medians: robust to one noisy sample
    ci: tuple[float, float, float] | None = None  # speedup_ci(pre, patched): median ratio
    expert_ci: tuple[float, float, float] | None = None
    reason: str = ""
    samples: dict[str, list[float]] = field(default_factory=dict)
    tests: str = ""  # pytest summary line of the PASS_TO_PASS run
    python: str = ""
    seconds: float = 0.0
    notes: tuple[str, ...] = ()


def _mean(samples: Sequence[float]) -> float | None:
    return statistics.fmean(samples) if samples else None


def score_instance(
    instance_id: str,
    engine: str,
    pre: Sequence[float],
    patched: Sequence[float],
    expert: Sequence[float],
    *,
    status: str = "ok",
    reason: str = "",
    confidence: float = 0.95,
    **extra: object,
) -> InstanceScore:
    """Score one instance from its samples. `status` other than "ok" disqualifies the patch:
    its speedup counts as 1, whatever was measured."""
    t_pre, t_patched, t_expert = _mean(pre), _mean(patched), _mean(expert)
    measured = t_pre / t_patched if t_pre and t_patched else None
    expert_speedup = t_pre / t_expert if t_pre and t_expert else None
    if status == "ok" and measured is None:
        status, reason = "error", reason or "no timing of the patched tree"
    speedup = measured if status == "ok" else 1.0
    sr = speedup / expert_speedup if speedup is not None and expert_speedup else None
    sr_median = None
    if status == "ok" and patched and expert:
        sr_median = statistics.median(expert) / statistics.median(patched)
    elif expert and pre:
        sr_median = statistics.median(expert) / statistics.median(pre)
    return InstanceScore(
        instance_id=instance_id, engine=engine, status=status,
        t_pre=t_pre, t_patched=t_patched, t_expert=t_expert,
        speedup=speedup, measured_speedup=measured, expert_speedup=expert_speedup, sr=sr,
        sr_median=sr_median,
        ci=_ci(pre, patched, confidence), expert_ci=_ci(pre, expert, confidence),
        reason=reason, samples={"pre": list(pre), "patched": list(patched),
                                "expert": list(expert)},
        **extra,  # type: ignore[arg-type]
    )


def _ci(base: Sequence[float], cand: Sequence[float], confidence: float
        ) -> tuple[float, float, float] | None:
    if len(base) < 2 or len(cand) < 2 or min(*base, *cand) <= 0:
        return None
    from perfopt.bench.stats import speedup_ci

    return speedup_ci(base, cand, confidence)


@dataclass(frozen=True)
class SuiteScore:
    n: int  # instances scored (with an SR)
    harmonic: float | None
    geometric: float | None
    share_sr_ge_1: float | None
    share_correct: float | None  # share with status "ok"
    missing: int = 0  # instances without an SR (errors before any timing)


def harmonic_mean(values: Sequence[float]) -> float:
    if not values or min(values) <= 0:
        raise ValueError("harmonic mean needs positive values")
    return len(values) / sum(1.0 / v for v in values)


def geometric_mean(values: Sequence[float]) -> float:
    if not values or min(values) <= 0:
        raise ValueError("geometric mean needs positive values")
    return math.exp(sum(math.log(v) for v in values) / len(values))


def score_suite(scores: Sequence[InstanceScore]) -> SuiteScore:
    srs = [s.sr for s in scores if s.sr is not None and s.sr > 0]
    if not srs:
        return SuiteScore(0, None, None, None, None, missing=len(scores))
    return SuiteScore(
        n=len(srs),
        harmonic=harmonic_mean(srs),
        geometric=geometric_mean(srs),
        share_sr_ge_1=sum(1 for v in srs if v >= 1.0) / len(srs),
        share_correct=sum(1 for s in scores if s.status == "ok") / len(scores),
        missing=len(scores) - len(srs),
    )
