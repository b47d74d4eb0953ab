"""Whole programs (a compiled C++ binary, or a script) compared on stdin inputs.

A "worker" here is one execution of the program on every input; its value is the total
seconds, process start included (the same for both versions). Rounds are ABBA as for
functions. Instruction counts use full collection (`callgrind.program_instructions`):
a compiled program's start-up is small, while a Python script's ~90 M instructions of
interpreter start-up would dilute any ratio, so scripts are timed only.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from perfopt.bench import callgrind
from perfopt.bench.machine import Stamp
from perfopt.bench.timing import BenchFailed, interleave, wall_ci
from perfopt.config import Settings
from perfopt.languages.build import Built, portable_command
from perfopt.models import Measurement
from perfopt.verify import sandbox

# Executions per worker when one takes less than this; slower programs run once per worker.
FAST_PROGRAM_S = 0.2
# Skip instruction counts when all inputs would take longer than this under valgrind
# (estimated at 100x native).
PROGRAM_INSTR_BUDGET_S = 60.0
VALGRIND_SLOWDOWN = 100.0
# Instruction counts of a candidate run the whole suite under valgrind (~100x native);
# beyond this many native seconds per side (~60 s counted) they are skipped.
INSTR_NATIVE_BUDGET_S = 0.6
# A promising but unproven wall speedup (point above min_speedup, interval straddling it)
# gets this many times the rounds once more, pooled with the first: on a loaded 2-core box
# 6 samples a side gave +-30% intervals and missed half the real 1.1-1.2x human speedups.
EXTEND_FACTOR = 2


def run_once(cmd: Sequence[str], inputs: Sequence[bytes], cwd: Path, settings: Settings,
             side: str) -> float:
    total = 0.0
    for data in inputs:
        proc = sandbox.run(list(cmd), cwd=cwd, timeout_s=settings.timeout_s,
                           memory_mb=settings.memory_mb, stdin=data)
        if proc.timed_out:
            raise BenchFailed("timeout", f"the {side} took longer than {settings.timeout_s:g} s")
        if proc.returncode != 0:
            raise BenchFailed("sandbox", f"the {side} failed (exit {proc.returncode}): "
                              f"{proc.tail(8)}")
        total += proc.seconds
    return total


def compare_programs(
    cmd_a: Sequence[str],
    cmd_b: Sequence[str],
    inputs: Sequence[bytes],
    settings: Settings,
    *,
    cwd: Path,
    count_instructions: bool,
) -> tuple[Measurement, ...]:
    if not inputs:
        raise BenchFailed("benchmark", "no inputs to run the programs on; pass --input FILE")
    started = time.perf_counter()
    first = run_once(cmd_a, inputs, cwd, settings, "original")  # warm-up: page cache, dyld
    per_worker = settings.samples_per_worker if first < FAST_PROGRAM_S else 1

    def side(cmd: Sequence[str], name: str):
        return lambda: [run_once(cmd, inputs, cwd, settings, name) for _ in range(per_worker)]

    groups_a, groups_b = interleave(side(cmd_a, "original"), side(cmd_b, "candidate"),
                                    settings.rounds)
    point, low, high = wall_ci(groups_a, groups_b, settings.confidence)
    wall = Measurement(
        metric="wall",
        baseline=tuple(v for g in groups_a for v in g),
        candidate=tuple(v for g in groups_b for v in g),
        speedup=point, ci_low=low, ci_high=high, confidence=settings.confidence,
        seconds_spent=time.perf_counter() - started,
        note=f"{settings.rounds} ABBA rounds of whole-program runs on {len(inputs)} input(s), "
        f"{per_worker} run(s) per worker",
    )
    if not count_instructions or not callgrind.available():
        return (wall,)
    if statistics.median(wall.baseline) * VALGRIND_SLOWDOWN > PROGRAM_INSTR_BUDGET_S:
        return (wall,)
    started = time.perf_counter()

    counts = callgrind.programs_instructions(
        [(cmd, data) for cmd in (cmd_a, cmd_b) for data in inputs], cwd=cwd,
        timeout_s=settings.timeout_s, memory_mb=settings.memory_mb)
    base, cand = sum(counts[:len(inputs)]), sum(counts[len(inputs):])
    ratio = base / cand
    counted = Measurement(
        metric="instructions", baseline=(float(base),), candidate=(float(cand),),
        speedup=ratio, ci_low=ratio, ci_high=ratio, seconds_spent=time.perf_counter() - started,
        note=f"callgrind Ir of whole programs on {len(inputs)} input(s)",
    )
    return (counted, wall)


def measure_programs(original: Built, candidate: Built, inputs: list[bytes], native_s: float,
                     settings: Settings) -> tuple[Measurement, ...]:
    """A candidate program against the original on `inputs` (`native_s`: the original's
    seconds on them): wall time, extended once when promising but unproven, and for C++
    exact instruction counts of a portable build when they fit the budget."""
    stamp = Stamp(original.command[0] if original.language == "python" else None)
    cwd = candidate.source_file.parent
    (wall,) = compare_programs(original.command, candidate.command, inputs, settings, cwd=cwd,
                               count_instructions=False)
    if wall.ci_low < settings.min_speedup <= wall.speedup and EXTEND_FACTOR:
        wall = _extend(wall, original.command, candidate.command, inputs, settings, cwd)
    if (candidate.language != "cpp" or settings.metric == "wall" or not callgrind.available()
            or max(native_s, statistics.median(wall.baseline)) > INSTR_NATIVE_BUDGET_S):
        return stamp.apply((wall,))
    started = time.perf_counter()
    cmds = (portable_command(original, settings), portable_command(candidate, settings))
    counts = callgrind.programs_instructions(
        [(cmd, data) for cmd in cmds for data in inputs], cwd=cwd,
        timeout_s=settings.timeout_s, memory_mb=settings.memory_mb)
    base, cand = sum(counts[:len(inputs)]), sum(counts[len(inputs):])
    ratio = base / max(cand, 1)
    counted = Measurement(
        metric="instructions", baseline=(float(base),), candidate=(float(cand),),
        speedup=ratio, ci_low=ratio, ci_high=ratio, confidence=settings.confidence,
        seconds_spent=time.perf_counter() - started,
        note=f"callgrind Ir of the whole programs on {len(inputs)} input(s), portable build")
    return stamp.apply((counted, wall))


def _extend(wall: Measurement, cmd_a: Sequence[str], cmd_b: Sequence[str],
            inputs: list[bytes], settings: Settings, cwd: Path) -> Measurement:
    from perfopt.bench.stats import shift_ci

    more_settings = settings.replace(rounds=settings.rounds * EXTEND_FACTOR)
    (more,) = compare_programs(cmd_a, cmd_b, inputs, more_settings, cwd=cwd,
                               count_instructions=False)
    base, cand = wall.baseline + more.baseline, wall.candidate + more.candidate
    point, low, high = shift_ci(base, cand, settings.confidence)
    return Measurement(
        metric="wall", baseline=base, candidate=cand, speedup=point, ci_low=low, ci_high=high,
        confidence=settings.confidence, loops=wall.loops,
        seconds_spent=wall.seconds_spent + more.seconds_spent,
        note=f"{wall.note}; extended by {more_settings.rounds} rounds (the first interval "
        f"[{wall.ci_low:.2f}, {wall.ci_high:.2f}] straddled {settings.min_speedup:.2f}x)")
