"""A tiny job runner: jobs may spawn follow-up jobs, processed first-in first-out."""

from __future__ import annotations


def run_jobs(jobs: list[tuple[str, int]]) -> list[str]:
    """Process jobs breadth-first. A job (name, fanout) spawns `fanout` children named
    name.0 .. name.{fanout-1}, each with half the fanout. Returns names in processing order."""
    pending = list(jobs)
    done = []
    while pending:
        name, fanout = pending.pop(0)
        done.append(name)
        for k in range(fanout):
            pending.append((f"{name}.{k}", fanout // 2))
    return done
