"""A candidate's time limits, derived from what the original cost on the same work.

A flat limit let a looping candidate hold a run for `timeout_s` (300 s) per process. Every
process that runs a candidate (the harness's compare run, its tests, a timing worker, a
program run) is stopped past `candidate_timeout_factor` x the original's seconds on the
same work + `candidate_timeout_floor_s` (start-up jitter on a loaded machine), capped by
`timeout_s` (a program run: `case_timeout_s`). Where the original's time is unknown, the
cap alone holds, and the reason says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfopt.config import Settings

SETTINGS_NAMES = "candidate_timeout_factor, candidate_timeout_floor_s"


@dataclass(frozen=True)
class Limit:
    """Seconds a candidate's process may run, and why that many."""

    seconds: float
    why: str  # "10 x the original's 0.84 s on the same inputs + 2 s"

    def reason(self, what: str) -> str:
        """A rejection's reason: `what` ran past the limit, and how the limit was set."""
        return f"{what} ran past its limit of {self.seconds:.1f} s ({self.why})"


def candidate_limit(original_s: float | None, settings: Settings, work: str = "",
                    cap_s: float | None = None, cap_name: str = "timeout_s") -> Limit:
    """The limit for a candidate doing what took the original `original_s` seconds
    (`work` says what, for the reason); None: unknown, the cap alone."""
    cap = settings.timeout_s if cap_s is None else cap_s
    if original_s is None:
        return Limit(cap, f"{cap_name} = {cap:g} s: the original's time on it is unknown")
    factor, floor = settings.candidate_timeout_factor, settings.candidate_timeout_floor_s
    derived = factor * max(0.0, original_s) + floor
    what = f"the original's {original_s:.2f} s{' ' + work if work else ''}"
    if derived >= cap:
        return Limit(cap, f"{cap_name} = {cap:g} s, under {factor:g} x {what} + {floor:g} s")
    return Limit(derived, f"{factor:g} x {what} + {floor:g} s; {SETTINGS_NAMES}")
