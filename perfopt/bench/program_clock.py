"""The clock for whole programs run on stdin: one run's seconds, and its net cost.

A run's seconds are `sandbox.run`'s: from the child's exec to its exit. The fork before
the exec is the parent's cost and grows with the parent's memory (4 ms from a fresh
interpreter, 27 ms from one holding 300 MB), so it is left out.

Net cost is the program's own work: a run's seconds minus the median seconds of an
empty program run the same way (same interpreter, a no-op script), timed interleaved
with the runs, floored at `NET_FLOOR_S`. CPython's start-up (~30 ms) would otherwise
dominate every small input and cap any slowdown ratio at ~10x.

The stressor (perfopt.stress.program_search) and the stress benches
(bench/stress_power.py, bench/stress_ceiling.py) all time programs through this module,
so their costs compare.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from perfopt.verify import sandbox

NET_FLOOR_S = 0.001  # a net cost never drops below this: ratios stay finite
FLOOR_S = 0.010  # below this net cost a run's own work drowns in start-up jitter, at least
STARTUP_TIMEOUT_S = 10.0  # an empty program that runs longer than this is not timed
SPREAD_MIN_RUNS = 3  # empty-program runs before their spread can widen the floor


def time_run(cmd: Sequence[str], stdin: bytes, *, cwd: Path, timeout_s: float,
             memory_mb: int | None) -> sandbox.ProcResult:
    """One run of `cmd` on `stdin` in the sandbox. The result's `seconds` are the clock's
    reading; a run that failed or timed out has seconds too, but they are no cost."""
    return sandbox.run(list(cmd), cwd=cwd, timeout_s=timeout_s, memory_mb=memory_mb,
                       stdin=stdin)


def net_s(gross_s: float, startup_s: float) -> float:
    """A run's own work: its seconds less the start-up every run pays, floored."""
    return max(gross_s - startup_s, NET_FLOOR_S)


@dataclass
class Startup:
    """The empty program's timings: the start-up subtracted from every run's seconds.
    Time it interleaved with the runs it is subtracted from: the load drifts."""

    cmd: list[str]
    cwd: Path
    memory_mb: int | None
    timeout_s: float = STARTUP_TIMEOUT_S
    runs_s: list[float] = field(default_factory=list)

    def time(self, runs: int = 1) -> None:
        """Run the empty program `runs` times; a run that fails is not a start-up."""
        for _ in range(runs):
            proc = time_run(self.cmd, b"", cwd=self.cwd, timeout_s=self.timeout_s,
                            memory_mb=self.memory_mb)
            if proc.ok:
                self.runs_s.append(proc.seconds)

    def median_s(self) -> float:
        """The start-up every run pays; 0 before the empty program has run."""
        return statistics.median(self.runs_s) if self.runs_s else 0.0

    def net_s(self, gross_s: float) -> float:
        return net_s(gross_s, self.median_s())

    def floor_s(self) -> float:
        """The net cost below which the clock cannot rank runs: FLOOR_S, or the empty
        program's spread (slowest run over the median) when the load makes that wider."""
        if len(self.runs_s) < SPREAD_MIN_RUNS:
            return FLOOR_S
        return max(FLOOR_S, max(self.runs_s) - self.median_s())
