"""Empirical complexity: fit cost ~ size^k on a size sweep (log-log least squares).

A fitted k well above 1 on inputs the program handles in well under a second is the
signature of a super-linear algorithm (a nested loop, `list.remove` in a loop, repeated
string concatenation): the inputs where a better algorithm wins by the most.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

SUPERLINEAR_EXPONENT = 1.3  # above this a fit says "super-linear" (noise gives ~1 +- 0.2)
MIN_POINTS = 3
MIN_ABOVE_FLOOR = 2.0  # a point counts when its cost is this many times the fixed cost


def fit_exponent(sizes: Sequence[float], costs: Sequence[float], *, floor: float = 0.0
                 ) -> float | None:
    """Slope of log(cost - floor) against log(size); None with too few usable points.

    `floor` is the fixed cost every run pays (interpreter start-up for a program): without
    removing it the small sizes flatten the fit towards 0.
    """
    import numpy as np

    points = [(s, c - floor) for s, c in zip(sizes, costs, strict=True)
              if s > 0 and c > 0 and (floor <= 0 or c >= MIN_ABOVE_FLOOR * floor)]
    if len({s for s, _ in points}) < MIN_POINTS:
        return None
    x = np.log([s for s, _ in points])
    y = np.log([c for _, c in points])
    slope, _ = np.polyfit(x, y, 1)
    return float(slope) if math.isfinite(slope) else None


def is_superlinear(exponent: float | None, threshold: float = SUPERLINEAR_EXPONENT) -> bool:
    return exponent is not None and exponent > threshold
