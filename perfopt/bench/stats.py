"""Speedup with a confidence interval, from two independent sets of timings."""

from __future__ import annotations

import functools
import inspect
import math
import statistics
from collections.abc import Sequence

N_RESAMPLES = 4000
# The exact Mann-Whitney distribution up to this many pairs (24 x 24 workers: ~0.2 s once
# per size, cached); the normal approximation beyond.
EXACT_PAIRS = 1024


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


def shift_ci(
    baseline: Sequence[float],
    candidate: Sequence[float],
    confidence: float = 0.95,
) -> tuple[float, float, float]:
    """(point, low, high) of the speedup baseline/candidate by the Hodges-Lehmann shift of
    log times, with the distribution-free interval that inverts the Mann-Whitney test.

    Every baseline value is compared with every candidate value: the point estimate is the
    median of the m*n log ratios, the interval runs from the k-th smallest to the k-th
    largest, k from the exact null distribution of the Mann-Whitney U statistic (the
    normal approximation above EXACT_PAIRS pairs). Ranks make it robust in the way timing on a
    shared machine needs: one or two workers slowed by a burst move a median of six or
    twelve a lot, and the rank interval hardly at all (bench/noise_floor.py compares it
    with the bootstrap of `speedup_ci` on the same trials).
    """
    if not baseline or not candidate:
        raise ValueError("shift_ci needs at least one sample on each side")
    if min(baseline) <= 0 or min(candidate) <= 0:
        raise ValueError("timings must be positive")
    logs_a = [math.log(v) for v in baseline]
    logs_b = [math.log(v) for v in candidate]
    diffs = sorted(a - b for a in logs_a for b in logs_b)
    point = math.exp(statistics.median(diffs))
    if len(set(baseline)) == 1 and len(set(candidate)) == 1:
        exact = baseline[0] / candidate[0]  # exact counts: nothing to estimate
        return exact, exact, exact
    k = mann_whitney_rank(len(logs_a), len(logs_b), 1 - confidence)
    if k is None:
        return point, math.nan, math.nan  # too few values for an interval at this level
    return point, math.exp(diffs[k]), math.exp(diffs[len(diffs) - 1 - k])


def mann_whitney_rank(m: int, n: int, alpha: float) -> int | None:
    """The 0-based index k such that [d_(k), d_(mn-1-k)] of the sorted m*n pairwise
    differences is a two-sided (1 - alpha) interval: k is the test's critical value, the
    largest u with P(U <= u) <= alpha / 2 under the null (the interval holds the shifts
    the test does not reject). None when no u is that unlikely (too few values)."""
    total = m * n
    if total > EXACT_PAIRS:
        from scipy import stats

        z = float(stats.norm.ppf(1 - alpha / 2))
        k = math.floor(total / 2 - z * math.sqrt(total * (m + n + 1) / 12))
        return k if k >= 0 else None
    counts = _u_counts(m, n)
    whole = math.comb(m + n, m)
    below, u = 0, -1
    while u + 1 < total and (below + counts[u + 1]) / whole <= alpha / 2:
        u += 1
        below += counts[u]
    return u if 0 <= u <= (total - 1) // 2 else None


@functools.lru_cache(maxsize=32)
def _u_counts(m: int, n: int) -> list[int]:
    """How many of the C(m+n, m) rank arrangements give U = 0, 1, ..., m*n."""
    # f[i][j] = counts for i values on one side and j on the other; add one value at a time
    f = [[[1] for _ in range(n + 1)] for _ in range(m + 1)]
    for i in range(1, m + 1):
        for j in range(1, n + 1):
            a, b = f[i - 1][j], f[i][j - 1]
            size = i * j + 1
            row = [0] * size
            for u, c in enumerate(a):  # the largest value is on side one: U grows by j
                if u + j < size:
                    row[u + j] += c
            for u, c in enumerate(b):
                row[u] += c
            f[i][j] = row
    return f[m][n]


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
