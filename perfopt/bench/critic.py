"""The accept/reject decision on measurements: a pure function of numbers and a policy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from perfopt.config import Settings
from perfopt.models import Measurement, Verdict

# Which metric decides when several were measured: exact counts beat clocks, and a GPU
# clock beats the host clock for GPU code.
DECIDING_ORDER = ("instructions", "gpu-wall", "wall")
# Metrics that are samples of a noisy clock and need `min_samples` per side; instruction
# counts under callgrind are reproducible, one run per side is enough.
SAMPLED = ("wall", "gpu-wall")
# When counts exist they decide, so a wall-clock win they do not show is rejected anyway;
# the reason says why it is not trusted. The counts are exact and taken by callgrind from
# outside the target's reach; the clock runs in the target's process. A real memory-bound
# win (same instructions, fewer cache misses) looks like this too, hence the way out.
UNBACKED_WALL_WIN = (
    "a wall-clock win without an instruction win is not trusted (a clock the candidate "
    "fooled, or a memory-bound change: --metric wall lets the wall clock decide alone)"
)
# An accepted wall-clock verdict says when no counts checked it.
NOT_CROSS_CHECKED = "wall clock alone: not cross-checked by instruction counts"


@dataclass(frozen=True)
class Policy:
    min_speedup: float = 1.05  # the CI's lower bound must reach this
    # When instructions decide: reject if wall time is significantly slower than
    # 1/max_wall_slowdown of the original (1.0: wall CI entirely below 1.0x).
    max_wall_slowdown: float = 1.0
    min_samples: int = 6  # per side, for sampled metrics


def policy_from_settings(settings: Settings) -> Policy:
    return Policy(min_speedup=settings.min_speedup)


def deciding(measurements: Sequence[Measurement]) -> Measurement:
    for metric in DECIDING_ORDER:
        for m in measurements:
            if m.metric == metric:
                return m
    return measurements[0]


def describe(m: Measurement) -> str:
    return (
        f"speedup {m.speedup:.2f}x [{m.ci_low:.2f}, {m.ci_high:.2f}] ({m.confidence * 100:.0f}% CI)"
    )


def _cannot_tell(m: Measurement, policy: Policy) -> str | None:
    need = policy.min_samples if m.metric in SAMPLED else 1
    have = min(len(m.baseline), len(m.candidate))
    if have < need:
        return f"could not tell: only {have} {m.metric} samples per side (need {need})"
    if not all(math.isfinite(v) for v in (m.speedup, m.ci_low, m.ci_high)):
        return f"could not tell: no confidence interval for {m.metric} ({describe(m)})"
    return None


def _clock(main: Measurement, measurements: Sequence[Measurement]) -> Measurement | None:
    """The clock measurement that checks a non-clock deciding metric (instructions)."""
    if main.metric in SAMPLED:
        return None
    return next((m for m in measurements if m.metric in SAMPLED), None)


def disagreement(main: Measurement, clock: Measurement | None) -> str | None:
    """A note when the exact count falls outside the clock's interval (e.g. a change that
    saves interpreter instructions but waits on memory, or the reverse)."""
    if clock is None or not all(math.isfinite(v) for v in (clock.ci_low, clock.ci_high)):
        return None
    if clock.ci_low <= main.speedup <= clock.ci_high:
        return None
    return (
        f"{main.metric} say {main.speedup:.2f}x, {clock.metric} says {clock.speedup:.2f}x "
        f"[{clock.ci_low:.2f}, {clock.ci_high:.2f}]"
    )


def accept(measurements: Sequence[Measurement], policy: Policy) -> Verdict:
    """Accept only a speedup whose confidence interval clears `policy.min_speedup`.

    With instruction counts and wall time both measured, the counts decide (they are
    exact) and wall time must not be significantly slower; the reason reports both, and
    says so when they disagree beyond the wall interval, naming a wall-clock win the counts
    do not back. A wall-clock verdict with no counts says it was not cross-checked."""
    if not measurements:
        return Verdict.reject("benchmark", "could not tell: nothing was measured")
    main = deciding(measurements)
    problem = _cannot_tell(main, policy)
    if problem:
        return Verdict.reject("benchmark", problem)
    clock = _clock(main, measurements)
    clock_problem = _cannot_tell(clock, policy) if clock is not None else None
    both = f"{describe(main)} ({main.metric})"
    if clock is not None and clock_problem is None:
        both += f"; {clock.metric} {describe(clock)}"
    note = disagreement(main, clock) if clock_problem is None else None
    if note:
        both += f"; {note}"
    if main.ci_low < policy.min_speedup:
        unbacked = (clock is not None and clock_problem is None
                    and clock.ci_low >= policy.min_speedup)
        return Verdict.reject(
            "benchmark",
            f"{describe(main)} below {policy.min_speedup:.2f}x ({main.metric})"
            + both.removeprefix(f"{describe(main)} ({main.metric})")
            + (f"; {UNBACKED_WALL_WIN}" if unbacked else ""),
        )
    if clock is not None:
        if clock_problem:
            return Verdict.reject(
                "benchmark", f"{clock_problem} (checking wall time did not get worse)"
            )
        if clock.ci_high < 1.0 / policy.max_wall_slowdown:
            return Verdict.reject(
                "benchmark",
                f"{main.metric} improved but wall time is slower: {describe(clock)}"
                + (f"; {note}" if note else ""),
            )
    if main.metric == "wall":
        both += f" ({NOT_CROSS_CHECKED})"
    return Verdict.accept(both)

