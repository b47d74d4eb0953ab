"""Whole programs (a compiled C++ binary, or a script) compared on stdin inputs.

A "worker" here is one process, `_program_runner.py`, that executes the program on every
input (`samples_per_worker` times over when that is quick); a value is the total seconds
of one pass, each run timed from its exec to its exit by the worker, process start
included (the same for both versions). The worker runs in the jail with the program, so
the jail's start-up is in no value. Rounds are ABBA as for functions. Instruction counts
use full collection (`callgrind.program_instructions`): a compiled program's start-up is
small, while a Python script's ~90 M instructions of interpreter start-up would dilute any
ratio, so scripts are timed only.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
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
from perfopt.verify.jail import Jail, jail_for
from perfopt.verify.limits import Limit, candidate_limit

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
RUNNER = Path(__file__).with_name("_program_runner.py")
RUNNER_SLACK_S = 30.0  # a worker's own start and report, beyond its runs' limits


def run_worker(cmd: Sequence[str], inputs: Sequence[Path], repeat: int, cwd: Path,
               settings: Settings, side: str, jail: Jail | None = None,
               run_limit: Limit | None = None) -> list[float]:
    """`repeat` passes of `cmd` over the `inputs` files in one worker (in `jail`): the
    seconds of each pass. Each run is stopped past `run_limit` (verify.limits; else
    timeout_s). Raises BenchFailed on a run that fails or times out."""
    run_s = settings.timeout_s if run_limit is None else run_limit.seconds
    request = {"cmd": list(cmd), "inputs": [str(f) for f in inputs], "repeat": repeat,
               "timeout_s": run_s}
    limit = run_s * repeat * len(inputs) + RUNNER_SLACK_S
    proc = sandbox.run([sys.executable, "-I", "-S", str(RUNNER)], cwd=cwd, timeout_s=limit,
                       memory_mb=settings.memory_mb, stdin=json.dumps(request), jail=jail)
    # the worker's stdout holds its one report line and nothing else: the program never
    # holds that pipe, so a second line is a forgery and no report is trusted
    lines = proc.stdout.strip().splitlines()
    try:
        report = json.loads(lines[0]) if len(lines) == 1 else None
    except ValueError:
        report = None
    if run_limit is not None and (proc.timed_out or (report or {}).get("timed_out")):
        raise BenchFailed("timeout", run_limit.reason(f"a run of the {side}"))
    if proc.timed_out or (report or {}).get("timed_out"):
        raise BenchFailed("timeout", f"the {side} took longer than {settings.timeout_s:g} s")
    if not isinstance(report, dict) or "returncode" in report or proc.returncode != 0:
        code = (report or {}).get("returncode", proc.returncode)
        raise BenchFailed("sandbox", f"the {side} failed (exit {code}): {proc.tail(8)}")
    return [float(v) for v in report["seconds"]]


def write_inputs(inputs: Sequence[bytes], folder: Path) -> list[Path]:
    """Each input as a file: a worker's runs read their stdin from these."""
    files = []
    for i, data in enumerate(inputs):
        files.append(folder / f"input-{i}.txt")
        files[-1].write_bytes(data)
    return files


def compare_programs(
    cmd_a: Sequence[str],
    cmd_b: Sequence[str],
    inputs: Sequence[bytes],
    settings: Settings,
    *,
    cwd: Path,
    count_instructions: bool,
    jail: Jail | None = None,
) -> tuple[Measurement, ...]:
    """Both programs' workers (both in `jail`: one clock for both) in ABBA rounds."""
    if not inputs:
        raise BenchFailed("benchmark", "no inputs to run the programs on; pass --input FILE")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="perfopt-inputs-") as tmp:
        files = write_inputs(inputs, Path(tmp))
        # warm-up: page cache, dyld
        (first,) = run_worker(cmd_a, files, 1, cwd, settings, "original", jail)
        per_worker = settings.samples_per_worker if first < FAST_PROGRAM_S else 1

        # a candidate's run: bounded by the original's warm-up pass over all the inputs
        bound = candidate_limit(first, settings, f"on all {len(inputs)} inputs")

        def side(cmd: Sequence[str], name: str):
            run_limit = bound if name == "candidate" else None
            return lambda: run_worker(cmd, files, per_worker, cwd, settings, name, jail,
                                      run_limit)

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
        timeout_s=settings.timeout_s, memory_mb=settings.memory_mb, jail=jail)
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
    exact instruction counts of a portable build when they fit the budget. Both run in
    the jail `settings` ask for: the candidate is untrusted, and one clock times both."""
    stamp = Stamp(original.command[0] if original.language == "python" else None)
    cwd = candidate.source_file.parent
    jail = jail_for(settings)
    (wall,) = compare_programs(original.command, candidate.command, inputs, settings, cwd=cwd,
                               count_instructions=False, jail=jail)
    if wall.ci_low < settings.min_speedup <= wall.speedup and EXTEND_FACTOR:
        wall = _extend(wall, original.command, candidate.command, inputs, settings, cwd, jail)
    if (candidate.language != "cpp" or settings.metric == "wall" or not callgrind.available()
            or max(native_s, statistics.median(wall.baseline)) > INSTR_NATIVE_BUDGET_S):
        return stamp.apply((wall,))
    started = time.perf_counter()
    cmds = (portable_command(original, settings), portable_command(candidate, settings))
    counts = callgrind.programs_instructions(
        [(cmd, data) for cmd in cmds for data in inputs], cwd=cwd,
        timeout_s=settings.timeout_s, memory_mb=settings.memory_mb, jail=jail)
    base, cand = sum(counts[:len(inputs)]), sum(counts[len(inputs):])
    ratio = base / max(cand, 1)
    counted = Measurement(
        metric="instructions", baseline=(float(base),), candidate=(float(cand),),
        speedup=ratio, ci_low=ratio, ci_high=ratio, confidence=settings.confidence,
        seconds_spent=time.perf_counter() - started,
        note=f"callgrind Ir of the whole programs on {len(inputs)} input(s), portable build")
    return stamp.apply((counted, wall))


def _extend(wall: Measurement, cmd_a: Sequence[str], cmd_b: Sequence[str],
            inputs: list[bytes], settings: Settings, cwd: Path,
            jail: Jail | None) -> Measurement:
    from perfopt.bench.stats import shift_ci

    more_settings = settings.replace(rounds=settings.rounds * EXTEND_FACTOR)
    (more,) = compare_programs(cmd_a, cmd_b, inputs, more_settings, cwd=cwd,
                               count_instructions=False, jail=jail)
    base, cand = wall.baseline + more.baseline, wall.candidate + more.candidate
    point, low, high = shift_ci(base, cand, settings.confidence)
    return Measurement(
        metric="wall", baseline=base, candidate=cand, speedup=point, ci_low=low, ci_high=high,
        confidence=settings.confidence, loops=wall.loops,
        seconds_spent=wall.seconds_spent + more.seconds_spent,
        note=f"{wall.note}; extended by {more_settings.rounds} rounds (the first interval "
        f"[{wall.ci_low:.2f}, {wall.ci_high:.2f}] straddled {settings.min_speedup:.2f}x)")
