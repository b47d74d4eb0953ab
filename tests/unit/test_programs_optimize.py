"""optimize_program: the `perfopt optimize prog.py --inputs DIR` library call."""

from __future__ import annotations

from pathlib import Path

import pytest

from perfopt.config import Settings
from perfopt.errors import TargetError
from perfopt.programs import optimize_program

READS_LINES = """\
n = int(input())
total = 0
for _ in range(n):
    total += int(input())
print(total)
"""
SETTINGS = Settings(rounds=3, timeout_s=30.0, extra={
    "stress_budget_s": 4.0, "stress_target_cost_s": 0.2, "stress_max_case_s": 0.5})


def test_bad_paths_are_user_errors(tmp_path):
    with pytest.raises(TargetError, match="does not exist"):
        optimize_program(tmp_path / "nope.py", tmp_path, SETTINGS)
    prog = tmp_path / "p.py"
    prog.write_text("print(1)\n")
    with pytest.raises(TargetError, match="--inputs"):
        optimize_program(prog, tmp_path / "missing", SETTINGS)
    with pytest.raises(TargetError, match="unknown engine"):
        optimize_program(prog, tmp_path, SETTINGS, engine="magic")


@pytest.mark.slow
def test_codemod_candidate_goes_through_every_gate(tmp_path: Path):
    prog = tmp_path / "sum.py"
    prog.write_text(READS_LINES)
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "input.0.txt").write_text("3\n1\n2\n3\n")
    (inputs / "output.0.txt").write_text("6\n")
    (inputs / "statement.txt").write_text(
        "Constraints\n\n1 \\leq N \\leq 200000\n\n1 \\leq A_i \\leq 10^9\n\n"
        "Input\nInput is given from Standard Input in the following format:\n\nN\nA_1\n:\nA_N\n")
    run = optimize_program(prog, inputs, SETTINGS, engine="offline")
    origins = {r.candidate.origin: r for r in run.results}
    assert "codemod:fast-stdin-input" in origins
    fast = origins["codemod:fast-stdin-input"]
    assert fast.verdict.gate in ("accepted", "benchmark"), fast.verdict.reason  # was equivalent
    assert fast.measurements and fast.measurements[0].metric == "wall"
    assert prog.read_text() == READS_LINES  # nothing applied without apply=True
    accepted = [r for r in run.results if r.verdict.accepted]
    if accepted:  # the patch is the best accepted candidate's (several codemods apply)
        assert run.patch in {r.diff for r in accepted}
        assert "sys.stdin" in run.patch or "def main():" in run.patch
