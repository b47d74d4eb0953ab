"""Speedup with a confidence interval, from two independent sets of timings."""

from __future__ import annotations

import inspect
import math
import statistics
from collections.abc import Sequence

N_RESAMPLES = 4000


def speedup_ci(
    baseline: Sequence[float],
    candidate: Sequence[float],
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(point, low, high) of the speedup baseline/candidate.

    The statistic is the ratio of medians: one noisy sample (another process stealing the
    CPU on a shared machine) moves a mean but barely moves a median, and the point
    estimate is the same ratio of medians. The interval is a percentile bootstrap that
    resamples each side independently: BCa needs a jackknife, which is unreliable for
    the median (a non-smooth statistic) and breaks down on tied values such as
    deterministic instruction counts. The random generator is seeded so the same samples
    always give the same interval.
    """
    if not baseline or not candidate:
        raise ValueError("speedup_ci needs at least one sample on each side")
    if min(baseline) <= 0 or min(candidate) <= 0:
        raise ValueError("timings must be positive")
    point = statistics.median(baseline) / statistics.median(candidate)
    if len(set(baseline)) == 1 and len(set(candidate)) == 1:
        return point, point, point  # exact counts: nothing to resample
    if len(baseline) < 2 or len(candidate) < 2:
        return point, math.nan, math.nan  # one value on a side: no interval to be had

    import numpy as np
    from scipy import stats

    def ratio(b: np.ndarray, c: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.median(b, axis=axis) / np.median(c, axis=axis)

    # scipy >= 1.15 takes `rng`; older versions only `random_state`.
    params = inspect.signature(stats.bootstrap).parameters
    rng_arg = "rng" if "rng" in params else "random_state"
    result = stats.bootstrap(
        (np.asarray(baseline, dtype=float), np.asarray(candidate, dtype=float)),
        ratio,
        n_resamples=N_RESAMPLES,
        vectorized=True,
        paired=False,
        confidence_level=confidence,
        method="percentile",
        **{rng_arg: np.random.default_rng(seed)},
    )
    low = float(result.confidence_interval.low)
    high = float(result.confidence_interval.high)
    return point, low, high


def paired_speedup_ci(
    rounds_a: Sequence[float],
    rounds_b: Sequence[float],
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """(point, low, high) from per-round values of an interleaved (ABBA) run: one value
    per side per round (e.g. the mean of that round's two worker medians).

    Each round's ratio cancels drift that hits both sides of the round alike; the
    interval is a t-interval on the log ratios (with 6 rounds a bootstrap over rounds has
    too few distinct resamples to be trusted, and the median of 6 is too coarse).
    """
    if len(rounds_a) != len(rounds_b) or not rounds_a:
        raise ValueError("paired_speedup_ci needs the same number (>= 1) of rounds per side")
    if min(rounds_a) <= 0 or min(rounds_b) <= 0:
        raise ValueError("timings must be positive")
    logs = [math.log(a / b) for a, b in zip(rounds_a, rounds_b, strict=True)]
    center = statistics.fmean(logs)
    if len(logs) < 2:
        return math.exp(center), math.nan, math.nan
    from scipy import stats

    spread = statistics.stdev(logs) / math.sqrt(len(logs))
    half = float(stats.t.ppf(0.5 + confidence / 2, len(logs) - 1)) * spread
    return math.exp(center), math.exp(center - half), math.exp(center + half)


def round_values(groups: Sequence[Sequence[float]], per_round: int = 2) -> list[float]:
    """Per-round values from the per-worker sample groups of `timing.interleave` (each
    round runs `per_round` workers a side): the mean of that round's worker medians."""
    medians = [statistics.median(g) for g in groups]
    return [
        statistics.fmean(medians[i : i + per_round]) for i in range(0, len(medians), per_round)
    ]
