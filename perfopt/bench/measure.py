"""Every metric that applies to a candidate, in one call: wall time (or GPU wall time),
plus exact instruction counts when valgrind is installed.

`measure_all` is what the pipeline calls instead of `timing.compare`; the deciding
metric comes first in the returned tuple (`critic.deciding` order), so code that looks
at `measurements[0]` sees the metric that decided.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from perfopt.bench import callgrind, gpu
from perfopt.bench.critic import DECIDING_ORDER
from perfopt.bench.machine import Stamp
from perfopt.bench.timing import BenchFailed, calibrate, compare_detailed
from perfopt.config import Settings
from perfopt.interpreter import python_of
from perfopt.models import Measurement, StressSuite, Target

# Native seconds of target calls counted under callgrind. valgrind runs them ~70x slower
# (67x measured, see callgrind.py) and the worker runs them twice (one warm-up loop), so
# 0.02 s of native work costs ~3 s, plus ~2 s to start CPython under valgrind; both sides
# run at once. Cases are taken COSTLIEST first within the budget: the stress suite exists
# because toy inputs hide the difference (counting only the cheapest cases let set/Counter
# construction overhead on a 3-element list outweigh a 100x win on real inputs).
INSTR_NATIVE_BUDGET_S = 0.02
# Counting is refused when the work that fits is under this share of the costliest case:
# such counts would describe toy inputs, so the wall clock decides instead.
INSTR_MIN_SHARE_OF_COSTLIEST = 0.1
# A single case above this is not counted at all (it alone would take > ~15 s).
INSTR_MAX_CASE_S = 0.1
# Loops repeat the chosen cases so the region's fixed cost (~5,300 Ir) is negligible;
# this caps the memory of pre-unpickled arguments.
INSTR_MAX_LOOPS = 1000
# When instruction counts decide, wall time only guards against "significantly slower";
# 3 ABBA rounds (12 workers, 30 samples a side) suffice for that and keep one candidate
# under ~10 s on an idle 2-core machine (bench/measure_cost.py).
GUARD_ROUNDS = 3


def choose_instruction_work(
    case_ids: list[str], case_s: list[float], budget_s: float = INSTR_NATIVE_BUDGET_S
) -> tuple[list[str], int] | None:
    """(case ids to count, loops): the costliest cases that fit `budget_s` of native time;
    None when nothing representative fits (the wall clock then decides)."""
    if not case_ids or len(case_s) != len(case_ids):
        return None
    order = sorted(range(len(case_ids)), key=lambda i: (-case_s[i], i))
    chosen: list[int] = []
    spent = 0.0
    for i in order:
        if case_s[i] > INSTR_MAX_CASE_S or spent + case_s[i] > budget_s:
            continue
        chosen.append(i)
        spent += case_s[i]
    if not chosen:
        return None
    if max(case_s[i] for i in chosen) < INSTR_MIN_SHARE_OF_COSTLIEST * max(case_s):
        return None
    loops = int(budget_s / spent) if spent > 0 else INSTR_MAX_LOOPS
    chosen.sort()  # suite order: the same calls in the same order on both sides
    return [case_ids[i] for i in chosen], max(1, min(INSTR_MAX_LOOPS, loops))


def instructions_wanted(settings: Settings) -> bool:
    if settings.metric == "wall":
        return False
    if settings.metric == "instructions" and not callgrind.available():
        raise BenchFailed(
            "benchmark",
            "metric 'instructions' needs valgrind (apt install valgrind), or use --metric wall",
        )
    return callgrind.available()


def measure_all(
    baseline_root: Path,
    candidate_root: Path,
    target: Target,
    suite: StressSuite,
    settings: Settings,
) -> tuple[Measurement, ...]:
    """Wall (or gpu-wall) time, and instruction counts when valgrind is there and the
    code runs on the CPU, each stamped with the machine. Raises BenchFailed when a worker
    times out or crashes."""
    stamp = Stamp(python_of(settings))  # the interpreter bench.timing's workers run
    return stamp.apply(_measure_all(baseline_root, candidate_root, target, suite, settings))


def _measure_all(
    baseline_root: Path,
    candidate_root: Path,
    target: Target,
    suite: StressSuite,
    settings: Settings,
) -> tuple[Measurement, ...]:
    kind = gpu.framework(baseline_root, target) or gpu.framework(candidate_root, target)
    if kind is not None:
        run = gpu.compare_gpu(baseline_root, candidate_root, target, suite, settings, kind)
        # Counting host instructions says nothing about kernels on the device.
        return (run.measurement,)
    want = instructions_wanted(settings)
    if not want:
        return (compare_detailed(baseline_root, candidate_root, target, suite, settings)
                .measurement,)
    if not suite.cases:
        raise BenchFailed("benchmark", "no inputs to time")
    calibration = calibrate(baseline_root, target, suite, settings)
    try:
        counted = count_instructions(
            baseline_root, candidate_root, target, suite, settings,
            [float(v) for v in calibration.get("case_s", ())],
        )
    except BenchFailed as exc:
        if settings.metric == "instructions":
            raise
        # callgrind failed (too slow, or valgrind itself) where a plain worker worked:
        # say so and let wall time decide.
        counted = f"instructions not counted: {exc.reason}"
    if isinstance(counted, str):
        run = compare_detailed(baseline_root, candidate_root, target, suite, settings,
                               calibration=calibration)
        return (_noted(run.measurement, counted),)
    if counted.speedup < settings.min_speedup:
        # Exact counts already reject it; the wall clock cannot change that verdict.
        return (_noted(counted, "wall time not measured: instruction counts reject it"),)
    guard = settings.replace(rounds=min(settings.rounds, GUARD_ROUNDS))
    run = compare_detailed(baseline_root, candidate_root, target, suite, guard,
                           calibration=calibration, extend=False)
    return ordered((counted, run.measurement))


def count_instructions(
    baseline_root: Path,
    candidate_root: Path,
    target: Target,
    suite: StressSuite,
    settings: Settings,
    case_s: list[float],
) -> Measurement | str:
    """Instruction counts on the costliest cases that fit the budget
    (`choose_instruction_work`), or a sentence saying why none were."""
    ids = [c.id for c in suite.cases]
    work = choose_instruction_work(ids, case_s)
    if work is None:
        cheapest = min(case_s, default=0.0)
        if cheapest > min(INSTR_MAX_CASE_S, INSTR_NATIVE_BUDGET_S):
            return (
                f"instructions not counted: the cheapest case takes {cheapest:.3g} s "
                f"natively (budget {INSTR_NATIVE_BUDGET_S:g} s)"
            )
        return (
            "instructions not counted: only inputs under a tenth of the costliest case's "
            "cost fit the budget, and counts on toy inputs mislead"
        )
    chosen, loops = work
    pairs = [(c.id, c.payload) for c in suite.cases if c.id in set(chosen)]
    # the worker's warm-up loop, then `loops` loops: the original's native seconds
    native_s = (loops + 1) * sum(s for i, s in zip(ids, case_s, strict=True) if i in chosen)
    return callgrind.compare_instructions(
        baseline_root, candidate_root, target, suite, pairs, loops, settings, native_s=native_s
    )


def ordered(measurements: tuple[Measurement, ...]) -> tuple[Measurement, ...]:
    rank = {metric: i for i, metric in enumerate(DECIDING_ORDER)}
    return tuple(sorted(measurements, key=lambda m: rank.get(m.metric, len(rank))))


def _noted(m: Measurement, note: str) -> Measurement:
    return dataclasses.replace(m, note=f"{m.note}; {note}" if m.note else note)
