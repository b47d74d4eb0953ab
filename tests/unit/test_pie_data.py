"""Loading PIE pairs from the layouts we accept, and PIE metrics from plain numbers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from perfopt.errors import UserError
from perfopt.evals.pie.data import guess_language, load_pairs, select_tests
from perfopt.evals.pie.metrics import PairResult, PieReport

DATASETS = Path(__file__).resolve().parents[2] / "datasets"


def test_pie_dev_layout():
    pairs = load_pairs(DATASETS / "pie-dev", limit=5)
    assert len(pairs) == 5
    first = pairs[0]
    assert first.pair_id == "p03371_s504204235" and first.language == "python"
    assert first.fast_code and first.statement and "Constraints" in first.statement
    assert (Path(first.samples_dir) / "input.0.txt").is_file()


def test_perfforge_layout():
    (pair,) = load_pairs(DATASETS / "perfforge")
    assert pair.language == "cpp" and pair.fast_code is None
    assert pair.problem_id == "1003_A" and "Polycarp" in (pair.statement or "")
    assert len(list(Path(pair.samples_dir).glob("*.in"))) == 5


def test_pie_cpp_jsonl_layout_with_tests_field(tmp_path):
    tests = tmp_path / "public_test_cases" / "p00001"
    tests.mkdir(parents=True)
    for n in range(3):
        (tests / f"input.{n}.txt").write_text(f"{n}\n")
        (tests / f"output.{n}.txt").write_text(f"{n}\n")
    row = {"problem_id": "p00001", "src_id": "s1", "tgt_id": "s2", "tests": [0, 2],
           "src_code": "#include <cstdio>\nint main(){}\n", "tgt_code": "#include <x>\n"}
    (tmp_path / "test.jsonl").write_text(json.dumps(row) + "\n\n")
    (pair,) = load_pairs(tmp_path / "test.jsonl")
    assert (pair.pair_id, pair.language, pair.tests) == ("p00001_s1", "cpp", (0, 2))
    chosen = select_tests(pair, tmp_path / "chosen")
    assert sorted(p.name for p in chosen.iterdir()) == [
        "input.0.txt", "input.2.txt", "output.0.txt", "output.2.txt"]


def test_bad_data_says_what_is_expected(tmp_path):
    with pytest.raises(UserError, match="pairs.jsonl"):
        load_pairs(tmp_path)
    (tmp_path / "pairs.jsonl").write_text("{not json\n")
    with pytest.raises(UserError, match="pairs.jsonl:1 is not JSON"):
        load_pairs(tmp_path)


def test_guess_language():
    assert guess_language("#include <bits/stdc++.h>\n") == "cpp"
    assert guess_language("print(1)\n") == "python"
    assert guess_language("x", "C++") == "cpp"


def _pair(i: int, **kw) -> PairResult:
    return PairResult(f"p{i}", "p", "python", "offline", **kw)


def test_metrics_count_incorrect_as_one_and_recover_reference():
    report = PieReport("offline", (
        _pair(1, accepted=1, correct=True, speedup=2.0, reference_speedup=4.0,
              reference_ci=(3.0, 5.0), reference_accepted=True, reference_gate="accepted"),
        _pair(2, accepted=1, correct=True, speedup=1.07, reference_speedup=1.05,
              reference_accepted=False, reference_gate="benchmark"),
        _pair(3, correct=False, reference_speedup=2.0, reference_accepted=False,
              reference_gate="equivalence"),
        _pair(4, status="error", error="boom"),
    ))
    s = report.summary()
    assert s["evaluated"] == 3 and s["errors"] == 1
    assert s["pct_opt"] == pytest.approx(100 / 3)  # 1.07x is accepted but not "optimized"
    assert s["pct_correct"] == pytest.approx(200 / 3)
    assert s["mean_speedup"] == pytest.approx((2.0 + 1.07 + 1.0) / 3)
    assert s["geomean_speedup"] == pytest.approx(math.exp((math.log(2) + math.log(1.07)) / 3))
    assert s["reference_real"] == 2 and s["reference_accepted_of_real"] == 1
    assert s["reference_recall_pct"] == 50.0
    # pair 3's 2.0x has no interval (never measured with one): not significant
    assert s["reference_real_significant"] == 1
    assert s["reference_accepted_of_real_significant"] == 1
    assert s["sr_mean"] == pytest.approx((0.5 + 1.07 / 1.05 + 0.5) / 3)
    md = report.markdown()
    assert "| pct_opt | 33.33 |" in md and "| p4 |" in md and "boom" in md
