"""`run_pie` end to end on real data: stressor, builds, gates and timings all run for real."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from perfopt.config import Settings
from perfopt.evals.pie import PieOptions, run_pie

DATASETS = Path(__file__).resolve().parents[2] / "datasets"
FAST_SETTINGS = Settings(rounds=3, timeout_s=30.0, program_stress_budget_s=4.0,
                         program_stress_cost_s=0.2, program_max_case_s=0.5, case_timeout_s=5.0)

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_perfforge_mutants_are_all_rejected_and_the_run_resumes(tmp_path):
    options = PieOptions(data=DATASETS / "perfforge", out_dir=tmp_path, engine="mutants",
                         mutants_per_pair=5, settings=FAST_SETTINGS)
    report = run_pie(options)
    (pair,) = report.pairs
    assert pair.status == "ok", pair.error
    assert pair.language == "cpp" and pair.mutants_kept >= 2
    assert pair.mutants_accepted == 0 and pair.accepted == 0
    assert pair.mutants_kept + pair.mutants_equivalent + pair.mutants_invalid == 5
    assert set(pair.gates) <= {"equivalence", "timeout"}
    saved = tmp_path / "pairs" / "1003_A_solutions_0062.mutants.json"
    assert json.loads(saved.read_text())["mutants_kept"] == pair.mutants_kept
    assert "| 1003_A_solutions_0062 | cpp |" in (tmp_path / "report.md").read_text()
    stamp = saved.stat().st_mtime_ns
    again = run_pie(options)  # resumable: a pair with a JSON is not evaluated again
    assert saved.stat().st_mtime_ns == stamp and again.pairs == report.pairs


def test_reference_engine_accepts_a_real_human_speedup(tmp_path):
    options = PieOptions(data=DATASETS / "pie-dev", out_dir=tmp_path, engine="reference",
                         limit=1, settings=FAST_SETTINGS)
    (pair,) = run_pie(options).pairs
    assert pair.pair_id == "p03371_s504204235"  # a 10^5 loop replaced by a formula
    assert pair.reference_accepted, pair.reference_reason
    assert pair.reference_speedup is not None and pair.reference_speedup > 1.5
    assert pair.optimized and pair.best_origin == "reference"
