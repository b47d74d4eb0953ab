from __future__ import annotations

import math

from perfopt.bench.critic import Policy, accept, policy_from_settings
from perfopt.config import Settings
from perfopt.models import Measurement

POLICY = Policy()


def m(speedup: float, low: float, high: float, metric: str = "wall", n: int = 12) -> Measurement:
    return Measurement(
        metric=metric,
        baseline=(1.0,) * n,
        candidate=(1.0,) * n,
        speedup=speedup,
        ci_low=low,
        ci_high=high,
    )


def test_clear_speedup_is_accepted() -> None:
    verdict = accept([m(2.0, 1.8, 2.2)], POLICY)
    assert verdict.accepted
    assert verdict.reason == ("speedup 2.00x [1.80, 2.20] (95% CI) (wall) "
                              "(wall clock alone: not cross-checked by instruction counts)")


def test_interval_reaching_below_the_threshold_is_rejected_with_numbers() -> None:
    verdict = accept([m(1.03, 0.98, 1.08)], POLICY)
    assert (verdict.accepted, verdict.gate) == (False, "benchmark")
    assert verdict.reason.startswith("speedup 1.03x [0.98, 1.08] (95% CI) below 1.05x")


def test_threshold_is_inclusive_and_configurable() -> None:
    assert accept([m(1.2, 1.05, 1.3)], POLICY).accepted
    assert not accept([m(1.2, 1.1, 1.3)], Policy(min_speedup=1.15)).accepted


def test_too_few_samples_could_not_tell() -> None:
    verdict = accept([m(3.0, 2.9, 3.1, n=5)], POLICY)
    assert not verdict.accepted
    assert "could not tell" in verdict.reason


def test_nan_interval_could_not_tell() -> None:
    verdict = accept([m(3.0, math.nan, math.nan)], POLICY)
    assert not verdict.accepted and "could not tell" in verdict.reason


def test_nothing_measured_could_not_tell() -> None:
    verdict = accept([], POLICY)
    assert (verdict.accepted, verdict.gate) == (False, "benchmark")


def test_instructions_decide_when_present() -> None:
    counts = m(1.5, 1.5, 1.5, metric="instructions", n=1)
    noisy_wall = m(1.02, 0.95, 1.10)  # would fail on its own; does not decide
    verdict = accept([noisy_wall, counts], POLICY)
    assert verdict.accepted, verdict
    assert "(instructions)" in verdict.reason


def test_instructions_win_but_wall_significantly_slower_is_rejected() -> None:
    verdict = accept([m(1.5, 1.5, 1.5, metric="instructions", n=1), m(0.8, 0.7, 0.9)], POLICY)
    assert not verdict.accepted
    assert "wall time is slower" in verdict.reason
    relaxed = Policy(max_wall_slowdown=1.25)  # up to 25% slower wall time tolerated
    assert accept(
        [m(1.5, 1.5, 1.5, metric="instructions", n=1), m(0.8, 0.7, 0.9)], relaxed
    ).accepted


def test_instructions_below_threshold_rejected() -> None:
    verdict = accept([m(1.01, 1.01, 1.01, metric="instructions", n=1)], POLICY)
    assert not verdict.accepted and "below 1.05x" in verdict.reason


def test_policy_from_settings() -> None:
    policy = policy_from_settings(Settings().replace(min_speedup=1.2))
    assert policy == Policy(min_speedup=1.2, max_wall_slowdown=1.0, min_samples=6)


# --- instructions and wall together --------------------------------------------------


def test_both_metrics_agree_and_both_are_reported() -> None:
    verdict = accept([m(1.9, 1.9, 1.9, metric="instructions", n=1), m(1.85, 1.7, 2.0)], POLICY)
    assert verdict.accepted
    assert verdict.reason == (
        "speedup 1.90x [1.90, 1.90] (95% CI) (instructions); "
        "wall speedup 1.85x [1.70, 2.00] (95% CI)"
    )


def test_disagreement_beyond_the_wall_interval_is_noted() -> None:
    verdict = accept([m(1.9, 1.9, 1.9, metric="instructions", n=1), m(1.0, 0.95, 1.06)], POLICY)
    assert verdict.accepted  # wall is not significantly slower, counts decide
    assert "instructions say 1.90x, wall says 1.00x [0.95, 1.06]" in verdict.reason


def test_instructions_faster_but_wall_slower_is_rejected_with_both() -> None:
    verdict = accept([m(1.9, 1.9, 1.9, metric="instructions", n=1), m(0.7, 0.6, 0.8)], POLICY)
    assert (verdict.accepted, verdict.gate) == (False, "benchmark")
    assert "wall time is slower" in verdict.reason
    assert "instructions say 1.90x, wall says 0.70x [0.60, 0.80]" in verdict.reason


def test_instructions_too_small_rejected_and_wall_still_reported() -> None:
    verdict = accept([m(1.02, 1.02, 1.02, metric="instructions", n=1), m(1.3, 1.2, 1.4)], POLICY)
    assert not verdict.accepted
    assert verdict.reason.startswith("speedup 1.02x [1.02, 1.02] (95% CI) below 1.05x")
    assert "wall speedup 1.30x [1.20, 1.40]" in verdict.reason


def test_gpu_wall_decides_over_wall() -> None:
    verdict = accept([m(1.0, 0.9, 1.1), m(3.0, 2.5, 3.5, metric="gpu-wall")], POLICY)
    assert verdict.accepted and "(gpu-wall)" in verdict.reason


# --- the cross-check: a clock the candidate can reach against counts it cannot -------


def test_wall_win_without_an_instruction_win_is_rejected_and_named() -> None:
    # a patched clock: the slow loop kept, the wall clock says 23x, the counts say 1x
    verdict = accept([m(23.0, 21.0, 25.0), m(1.0, 1.0, 1.0, metric="instructions", n=1)],
                     POLICY)
    assert (verdict.accepted, verdict.gate) == (False, "benchmark")
    assert verdict.reason.startswith("speedup 1.00x [1.00, 1.00] (95% CI) below 1.05x")
    assert "instructions say 1.00x, wall says 23.00x [21.00, 25.00]" in verdict.reason
    assert "a wall-clock win without an instruction win is not trusted" in verdict.reason
    assert "--metric wall" in verdict.reason


def test_a_wall_interval_that_does_not_clear_the_threshold_is_not_called_a_win() -> None:
    verdict = accept([m(1.2, 1.0, 1.4), m(1.0, 1.0, 1.0, metric="instructions", n=1)], POLICY)
    assert not verdict.accepted
    assert "not trusted" not in verdict.reason


def test_wall_alone_says_it_was_not_cross_checked() -> None:
    alone = accept([m(2.0, 1.8, 2.2)], POLICY)
    assert alone.accepted and "not cross-checked by instruction counts" in alone.reason
    checked = accept([m(1.9, 1.9, 1.9, metric="instructions", n=1), m(2.0, 1.8, 2.2)], POLICY)
    assert checked.accepted and "not cross-checked" not in checked.reason
    gpu = accept([m(3.0, 2.5, 3.5, metric="gpu-wall")], POLICY)  # host counts say nothing
    assert gpu.accepted and "not cross-checked" not in gpu.reason
