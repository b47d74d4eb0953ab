"""Wall-clock comparison of a baseline tree and a candidate tree on a stress suite.

Loops are calibrated once, on the baseline, and both sides use the same count. Then
`rounds` rounds of ABBA (baseline, candidate, candidate, baseline), each a fresh worker
process: drift of a shared machine hits both sides alike, and process-level luck (memory
layout, hash seeds of other processes) is sampled many times instead of once. An interval
that straddles `min_speedup` gets the same number of rounds once more.
"""

from __future__ import annotations

import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfopt.bench.stats import shift_ci
from perfopt.config import Settings
from perfopt.errors import SandboxError
from perfopt.interpreter import python_of
from perfopt.models import Measurement, StressSuite, Target
from perfopt.verify import sandbox
from perfopt.verify.jail import jail_for
from perfopt.verify.limits import Limit, candidate_limit
from perfopt.verify.loader import target_args, write_cases_file

WARMUP_SAMPLES = 1
WORKER = Path(__file__).with_name("worker.py")


class BenchFailed(SandboxError):
    """A timing worker timed out or crashed; `gate` is "timeout" or "sandbox"
    (or "benchmark" when there is nothing to time)."""

    def __init__(self, gate: str, reason: str) -> None:
        super().__init__(reason)
        self.gate = gate
        self.reason = reason


Runner = Callable[[], list[float]]


def interleave(
    run_a: Runner, run_b: Runner, rounds: int
) -> tuple[list[list[float]], list[list[float]]]:
    """Run A and B in ABBA order `rounds` times; the samples of every run, per run."""
    groups_a: list[list[float]] = []
    groups_b: list[list[float]] = []
    for _ in range(rounds):
        groups_a.append(run_a())
        groups_b.append(run_b())
        groups_b.append(run_b())
        groups_a.append(run_a())
    return groups_a, groups_b


def worker_command(
    root: Path, target: Target, suite: StressSuite, cases_file: Path, *extra: str,
    python: str | None = None,
) -> list[str]:
    """The timing worker run by its file path in `python` (default: perfopt's own), the
    project's interpreter: it needs only the standard library there."""
    return [
        python or sys.executable,
        str(WORKER),
        *target_args(root, target, suite, cases_file),
        *extra,
    ]


def _last_json(stdout: str, nonce: str | None = None) -> dict[str, Any] | None:
    """The last JSON object line (carrying `nonce`, when given)."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict) and (nonce is None or value.get("nonce") == nonce):
                return value
    return None


def run_worker(cmd: list[str], root: Path, settings: Settings, side: str,
               limit: Limit | None = None, seconds: list[float] | None = None
               ) -> dict[str, Any]:
    """The worker's result; `limit` stops it (else timeout_s), `seconds` gets its time."""
    timeout_s = settings.timeout_s if limit is None else limit.seconds
    # The worker reads the nonce before it imports the target and echoes it in its result
    # line: a line the target printed (and then exited) cannot carry it.
    nonce = secrets.token_hex(16)
    proc = sandbox.run([*cmd, "--nonce-stdin"], cwd=root, timeout_s=timeout_s,
                       memory_mb=settings.memory_mb, stdin=nonce + "\n",
                       jail=jail_for(settings))  # the tree read-only
    if seconds is not None:
        seconds.append(proc.seconds)
    if proc.timed_out and limit is not None:
        raise BenchFailed("timeout", limit.reason(f"timing the {side}"))
    if proc.timed_out:
        raise BenchFailed("timeout", f"timing the {side} took longer than {settings.timeout_s:g} s")
    result = _last_json(proc.stdout, nonce) if proc.returncode == 0 else None
    if result is None:
        raise BenchFailed(
            "sandbox",
            f"the timing worker for the {side} failed (exit {proc.returncode}): {proc.tail(8)}",
        )
    return result


@dataclass(frozen=True)
class WallRun:
    """A wall-clock comparison with what produced it: the per-worker sample groups (in
    ABBA order, two workers a side per round) and the calibration run on the baseline."""

    measurement: Measurement
    groups_a: tuple[tuple[float, ...], ...]
    groups_b: tuple[tuple[float, ...], ...]
    loops: int
    case_s: tuple[float, ...]  # one cold call per case on the baseline, in suite order


def compare(
    baseline_root: Path,
    candidate_root: Path,
    target: Target,
    suite: StressSuite,
    settings: Settings,
) -> Measurement:
    """Measure both trees; raises BenchFailed when a worker times out or crashes."""
    return compare_detailed(baseline_root, candidate_root, target, suite, settings).measurement


def compare_detailed(
    baseline_root: Path,
    candidate_root: Path,
    target: Target,
    suite: StressSuite,
    settings: Settings,
    *,
    metric: str = "wall",
    extra_args: tuple[str, ...] = (),
    calibration: dict[str, Any] | None = None,
    extend: bool = True,
) -> WallRun:
    """`compare`, keeping the groups and calibration; `extra_args` go to every worker
    (`--sync torch` for GPU code, reported as `metric`). `calibration`: what
    `calibrate` returned, when it already ran. `extend`: when the interval straddles
    `min_speedup` with the point estimate above it, run the same number of rounds once
    more and decide on all of them (one extension, always the same size: bounded, and
    validated against A/A trials in bench/noise_floor.py)."""
    if not suite.cases:
        raise BenchFailed("benchmark", "no inputs to time")
    if target.qualname is None or target.language != "python":
        raise BenchFailed(
            "benchmark", f"no timing worker for {target.language} whole programs here"
        )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="perfopt-bench-") as tmp:
        cases_file = write_cases_file(
            Path(tmp) / "cases.json", [(c.id, c.payload) for c in suite.cases]
        )
        calibrated = calibration or calibrate(
            baseline_root, target, suite, settings, cases_file, extra_args
        )
        loops = int(calibrated["loops"])
        sample_s = loops * sum(float(v) for v in calibrated.get("case_s", ()) or ())
        rounds, samples = budget_plan(sample_s, settings)
        if metric == "gpu-wall" and not calibrated.get("synced"):
            metric = "wall"  # the framework found no GPU: the code ran on the CPU
        timing = (
            "--loops",
            str(loops),
            "--samples",
            str(samples),
            "--warmup",
            str(WARMUP_SAMPLES),
            *extra_args,
        )

        # ABBA: an original worker always runs first, so a candidate worker is stopped
        # past the limit derived from the slowest original worker so far (verify.limits)
        original_s: list[float] = []

        def side(root: Path, name: str) -> Runner:
            cmd = worker_command(root, target, suite, cases_file, *timing,
                                 python=python_of(settings))

            def one() -> list[float]:
                if name == "original":
                    result = run_worker(cmd, root, settings, name, seconds=original_s)
                else:
                    limit = candidate_limit(max(original_s, default=None), settings,
                                            "in a timing worker on the same inputs")
                    result = run_worker(cmd, root, settings, name, limit)
                return [float(v) for v in result["samples"]]

            return one

        run_a, run_b = side(baseline_root, "original"), side(candidate_root, "candidate")
        groups_a, groups_b = interleave(run_a, run_b, rounds)
        point, low, high = wall_ci(groups_a, groups_b, settings.confidence)
        first = (low, high)
        if extend and undecided(point, low, high, settings.min_speedup):
            more_a, more_b = interleave(run_a, run_b, rounds)
            groups_a, groups_b = groups_a + more_a, groups_b + more_b
            point, low, high = wall_ci(groups_a, groups_b, settings.confidence)
    total_rounds = len(groups_a) // 2
    note = (f"{total_rounds} ABBA rounds, {len(groups_a)} workers per side, "
            f"{samples} samples each after {WARMUP_SAMPLES} warm-up")
    if total_rounds > rounds:
        note += (f"; extended by {rounds} rounds (the first interval [{first[0]:.2f}, "
                 f"{first[1]:.2f}] straddled {settings.min_speedup:.2f}x)")
    measurement = Measurement(
        metric=metric,
        baseline=tuple(v for g in groups_a for v in g),
        candidate=tuple(v for g in groups_b for v in g),
        speedup=point,
        ci_low=low,
        ci_high=high,
        confidence=settings.confidence,
        loops=loops,
        seconds_spent=time.perf_counter() - started,
        note=note,
    )
    return WallRun(
        measurement,
        tuple(tuple(g) for g in groups_a),
        tuple(tuple(g) for g in groups_b),
        loops,
        tuple(float(v) for v in calibrated.get("case_s", ())),
    )


# A worker's fixed cost: interpreter start, imports, unpickling the inputs (~0.3 s measured
# on an idle 2-core machine, more under load).
WORKER_START_S = 0.3
# Fewer rounds than this give too few independent per-worker medians for the interval.
MIN_ROUNDS = 3
MIN_SAMPLES = 2


def budget_plan(sample_s: float, settings: Settings) -> tuple[int, int]:
    """(rounds, samples per worker) that keep one comparison near `measure_budget_s`.

    Costly samples (heavy stress inputs) need fewer repetitions for the same precision,
    since per-sample noise is mostly fixed-size jitter; the floor (MIN_ROUNDS x MIN_SAMPLES)
    still gives 6 workers per side. Estimated as if the candidate were as slow as the
    original, so a budget is never planned over."""
    rounds, samples = settings.rounds, settings.samples_per_worker

    def cost(r: int, k: int) -> float:
        return r * 4 * (WORKER_START_S + (k + WARMUP_SAMPLES) * sample_s)

    while cost(rounds, samples) > settings.measure_budget_s and samples > MIN_SAMPLES:
        samples -= 1
    while cost(rounds, samples) > settings.measure_budget_s and rounds > MIN_ROUNDS:
        rounds -= 1
    return max(rounds, min(MIN_ROUNDS, settings.rounds)), samples


def calibrate(
    baseline_root: Path,
    target: Target,
    suite: StressSuite,
    settings: Settings,
    cases_file: Path | None = None,
    extra_args: tuple[str, ...] = (),
) -> dict[str, Any]:
    """{"loops": N, "case_s": [...], "synced": bool} from one worker on the baseline."""
    with tempfile.TemporaryDirectory(prefix="perfopt-bench-") as tmp:
        if cases_file is None:
            cases_file = write_cases_file(
                Path(tmp) / "cases.json", [(c.id, c.payload) for c in suite.cases]
            )
        return run_worker(
            worker_command(
                baseline_root, target, suite, cases_file,
                "--calibrate", repr(settings.min_sample_s), *extra_args,
                python=python_of(settings),
            ),
            baseline_root,
            settings,
            "original",
        )


def undecided(point: float, low: float, high: float, min_speedup: float) -> bool:
    """More samples could still accept it: the interval straddles the threshold and the
    point estimate clears it."""
    return point >= min_speedup and low < min_speedup <= high


def wall_ci(
    groups_a: list[list[float]] | tuple[tuple[float, ...], ...],
    groups_b: list[list[float]] | tuple[tuple[float, ...], ...],
    confidence: float,
) -> tuple[float, float, float]:
    # Samples inside one process are not independent (they share its memory layout and
    # its moment on the machine), so the interval is computed over per-process medians,
    # with a rank interval (`shift_ci`): a burst that slows one or two whole workers moves
    # a bootstrap of medians (the earlier statistic, `speedup_ci`) far more.
    return shift_ci(
        [statistics.median(g) for g in groups_a],
        [statistics.median(g) for g in groups_b],
        confidence=confidence,
    )
