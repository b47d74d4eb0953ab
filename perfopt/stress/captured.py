"""A stress suite from captured calls: the inputs the workload really passed.

Identical calls are kept once. When there are more than needed, the largest few stay
(the big inputs are where a slow algorithm shows) plus a spread over the other sizes, so
equivalence still sees the small and medium cases.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from perfopt.models import StressCase, StressSuite, Target
from perfopt.profilers.capture import CaptureReport

DEFAULT_LIMIT = 20  # cases kept in a suite
LARGEST_SHARE = 0.25  # of the kept cases, this share are the largest ones


def build_suite(
    target: Target, capture_dir: Path, report: CaptureReport, *, limit: int = DEFAULT_LIMIT
) -> StressSuite:
    """Cases from `capture_dir` (the target's capture folder: `report.folder`)."""
    folder = Path(capture_dir).resolve()
    unique: dict[bytes, tuple[str, int, str]] = {}
    for info in report.cases:
        path = folder / info.file
        if not path.is_file():
            continue
        blob = path.read_bytes()
        unique.setdefault(hashlib.sha256(blob).digest(), (info.file, len(blob), info.outcome))
    chosen = select_spread(list(unique.values()), limit)
    cases = tuple(
        StressCase(
            id=f"captured-{Path(name).stem.removeprefix('case-')}",
            provenance="captured",
            payload=name,
            size=size,
            note="" if outcome == "return" else f"raised {outcome}",
        )
        for name, size, outcome in chosen
    )
    return StressSuite(target=target, cases=cases, folder=str(folder),
                       unpicklable=report.unpicklable)


def select_spread(items: list[tuple[str, int, str]], limit: int) -> list[tuple[str, int, str]]:
    """At most `limit` items: the largest ones, then evenly spaced sizes of the rest;
    returned smallest first."""
    if len(items) <= limit:
        return sorted(items, key=lambda it: (it[1], it[0]))
    by_size = sorted(items, key=lambda it: (it[1], it[0]))
    n_large = max(1, round(limit * LARGEST_SHARE))
    largest, rest = by_size[-n_large:], by_size[:-n_large]
    want = limit - n_large
    if want <= 0:
        return largest[-limit:]
    step = (len(rest) - 1) / (want - 1) if want > 1 else 0
    picks = sorted({round(i * step) for i in range(want)})
    return [rest[i] for i in picks] + largest
