"""A stress suite from captured calls: the inputs the workload really passed.

Identical calls are kept once. When there are more than needed, the largest few stay
(the big inputs are where a slow algorithm shows) plus a spread over the other sizes, so
equivalence still sees the small and medium cases.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from perfopt.models import StressCase, StressSuite, Target
from perfopt.profilers.capture import CaptureReport, target_slug

DEFAULT_LIMIT = 20  # cases kept in a suite
LARGEST_SHARE = 0.25  # of the kept cases, this share are the largest ones


def build_suite(
    target: Target,
    capture_dir: Path,
    report: CaptureReport | None,
    *,
    limit: int = DEFAULT_LIMIT,
) -> StressSuite:
    """Cases from a capture: `capture_dir` is the folder `capture_calls` wrote into (its
    `outdir`) or the target's own folder in it (`report.folder`). No report, no cases."""
    folder = _target_folder(Path(capture_dir), target, report)
    if report is None:
        return StressSuite(target=target, folder=str(folder))
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


def _target_folder(capture_dir: Path, target: Target, report: CaptureReport | None) -> Path:
    capture_dir = capture_dir.resolve()
    if (capture_dir / "report.json").is_file():
        return capture_dir
    own = capture_dir / target_slug(target.key)
    if own.is_dir() or report is None:
        return own
    return Path(report.folder).resolve()


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
