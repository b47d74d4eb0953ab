import math

import pytest

from perfopt.evals.swefficiency.report import markdown, read_instance, write_instance
from perfopt.evals.swefficiency.scoring import (
    geometric_mean,
    harmonic_mean,
    score_instance,
    score_suite,
)

PRE = [10.0, 10.2, 9.8]
EXPERT = [0.1, 0.1, 0.1]


def test_sr_is_patched_speedup_over_expert_speedup():
    s = score_instance("i", "x", PRE, [5.0, 5.0, 5.0], EXPERT)
    assert s.speedup == pytest.approx(2.0)
    assert s.expert_speedup == pytest.approx(100.0)
    assert s.sr == pytest.approx(0.02)
    assert s.ci is not None and s.ci[1] <= 2.0 <= s.ci[2]


def test_failed_tests_count_as_speedup_one_whatever_was_measured():
    s = score_instance("i", "x", PRE, EXPERT, EXPERT, status="tests-failed", reason="boom")
    assert s.measured_speedup == pytest.approx(100.0)
    assert s.speedup == 1.0 and s.sr == pytest.approx(0.01)


def test_suite_means_and_share():
    scores = [score_instance("a", "x", PRE, EXPERT, EXPERT),  # SR 1
              score_instance("b", "x", PRE, PRE, EXPERT)]  # SR 0.01
    suite = score_suite(scores)
    assert suite.harmonic == pytest.approx(2 / (1 + 100))
    assert suite.geometric == pytest.approx(0.1)
    assert suite.share_sr_ge_1 == 0.5 and suite.n == 2
    assert harmonic_mean([1, 1]) == 1 and math.isclose(geometric_mean([4, 1]), 2)
    with pytest.raises(ValueError):
        harmonic_mean([])


def test_error_without_timings_is_missing_not_zero():
    s = score_instance("a", "x", (), (), (), status="error", reason="no venv")
    assert s.sr is None
    assert score_suite([s]).missing == 1


def test_json_round_trip_and_markdown(tmp_path):
    s = score_instance("a", "noop", PRE, PRE, EXPERT, notes=("n1",))
    path = tmp_path / "noop" / "a.json"
    write_instance(path, s)
    back = read_instance(path)
    assert back == s
    md = markdown("noop", [back])
    assert "| a | ok |" in md and "0.00986" in md and "no-op patch" in md and "- a: n1" in md
