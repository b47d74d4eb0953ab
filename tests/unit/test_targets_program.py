"""Program targets, for real: build, record the original, every gate in subprocesses, and
`perfopt optimize prog.py --inputs DIR` through the one loop."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from perfopt.commands.optimize import optimize_program
from perfopt.config import Settings
from perfopt.errors import TargetError
from perfopt.events import Silent
from perfopt.languages import get_language
from perfopt.languages.build import BuildError, language_of
from perfopt.models import Candidate, StressCase, StressSuite, Target
from perfopt.pipeline import RunOptions
from perfopt.targets.program import ProgramKind
from perfopt.verify.gates import judge

SLOW = """\
n = int(input())
a = list(map(int, input().split()))
best = 0
for i in range(n):
    c = 0
    for j in range(n):
        if a[i] == a[j]:
            c += 1
    best = max(best, c)
print(best)
"""
FAST = """\
from collections import Counter
input()
print(max(Counter(input().split()).values()))
"""
SETTINGS = Settings(rounds=3, timeout_s=20.0, case_timeout_s=5.0)


@pytest.fixture
def problem(tmp_path: Path):
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "input.0.txt").write_text("6\n1 2 4 3 3 2\n")
    (samples / "output.0.txt").write_text("2\n")
    (samples / "input.1.txt").write_text("1\n100\n")
    (samples / "output.1.txt").write_text("1\n")
    stress = tmp_path / "stress"
    stress.mkdir()
    n = 700
    (stress / "big.in").write_text(f"{n}\n" + " ".join(str(i % 7) for i in range(n)) + "\n")
    (stress / "small.in").write_text("3\n-5 -5 -5\n")
    suite = StressSuite(Target("slow.py"), (StressCase("big", "generated", "big.in"),
                                            StressCase("small", "check", "small.in")),
                        folder=str(stress))
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW)
    return slow, samples, suite


def test_baseline_records_samples_and_stress_inputs(problem):
    slow, samples, suite = problem
    with ProgramKind(slow, samples).open(SETTINGS, Silent(), print) as session:
        (work,) = session.targets()
        base = session.record(work, suite)
    assert [c.id for c in base.cases] == ["sample:input.0.txt", "sample:input.1.txt",
                                          "stress:big", "stress:small"]
    assert base.outputs["stress:big"].split() == ["100"]
    # the benchmark runs the stress inputs only: a "check" input is compared, not timed
    assert base.timed == ("stress:big",)


def test_gates_in_order(problem):
    slow, samples, suite = problem
    with ProgramKind(slow, samples).open(SETTINGS, Silent(), print) as session:
        (work,) = session.targets()
        base = session.record(work, suite)

        def gate(source: str) -> tuple[str, str]:
            v = judge(session, work, base, Candidate(work.target, source, "test")).verdict
            return v.gate, v.reason

        assert gate(SLOW.replace("best = 0", "best  =  0  # same"))[0] == "unchanged"
        assert gate("print(\n")[0] == "compile"
        gate_, reason = gate(SLOW.replace("c += 1", "c += 2"))
        assert gate_ == "equivalence" and "input.0.txt" in reason and "expected output" in reason
        # right on the samples, wrong on the stress input: only the original's output tells
        gate_, reason = gate(SLOW.replace("best = max(best, c)", "best = max(best, min(c, 9))"))
        assert gate_ == "equivalence" and "stress:big" in reason and "original's output" in reason
        # right on the samples and the stress input, wrong on the small check input
        gate_, reason = gate(SLOW.replace("if a[i] == a[j]:", "if a[i] == a[j] >= 0:"))
        assert gate_ == "equivalence" and "stress:small" in reason, reason
        assert gate("import sys\nsys.exit(3)\n")[0] == "equivalence"
        assert gate("while True:\n    pass\n")[0] == "timeout"


@pytest.mark.slow
def test_faster_program_is_accepted_and_identical_one_is_not(problem):
    slow, samples, suite = problem
    with ProgramKind(slow, samples).open(SETTINGS, Silent(), print) as session:
        (work,) = session.targets()
        base = session.record(work, suite)
        result = judge(session, work, base, Candidate(work.target, FAST, "human"))
        assert result.verdict.accepted, result.verdict.reason
        assert result.measurements[0].metric == "wall" and result.speedup > 1.5
        assert result.measurements[0].machine is not None  # where it was measured
        assert result.diff.startswith("--- a/slow.py")
        # A/A: a copy with a comment changed is the same program, never "faster"
        aa = judge(session, work, base, Candidate(work.target, SLOW + "# comment\n", "aa"))
        assert aa.verdict.gate == "unchanged"


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_cpp_build_and_compile_gate(tmp_path):
    settings = Settings(cxx_flags=("-O1",))
    cpp = get_language("cpp")
    built = cpp.build("#include <cstdio>\nint main(){int x;scanf(\"%d\",&x);printf(\"%d\",x*2);}\n",
                      tmp_path, "prog", settings)
    assert Path(built.command[0]).is_file()
    assert built.portable_command == built.command  # no native flags: one build serves both
    with pytest.raises(BuildError, match="error"):
        cpp.build("int main( {", tmp_path, "broken", settings)
    assert language_of(Path("x.cc")) == "cpp" and language_of(Path("x.py")) == "python"


READS_LINES = """\
n = int(input())
total = 0
for _ in range(n):
    total += int(input())
print(total)
"""
FLAGS = {"rounds": 3, "timeout_s": 30.0, "program_stress_budget_s": 4.0,
         "program_stress_cost_s": 0.2, "program_max_case_s": 0.5}


def test_bad_paths_are_user_errors(tmp_path):
    def call(program: Path, inputs: Path, engine: str = "auto"):
        return optimize_program(program, inputs, FLAGS, RunOptions(), Silent(), engine=engine)

    with pytest.raises(TargetError, match="not a program file"):
        call(tmp_path / "nope.py", tmp_path)
    prog = tmp_path / "p.py"
    prog.write_text("print(1)\n")
    with pytest.raises(TargetError, match="--inputs"):
        call(prog, tmp_path / "missing")
    with pytest.raises(TargetError, match="unknown engine"):
        call(prog, tmp_path, engine="magic")


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
    run = optimize_program(prog, inputs, FLAGS, RunOptions(), Silent(), engine="offline")
    origins = {r.candidate.origin: r for r in run.results}
    assert "codemod:fast-stdin-input" in origins
    fast = origins["codemod:fast-stdin-input"]
    assert fast.verdict.gate in ("accepted", "benchmark"), fast.verdict.reason  # was equivalent
    assert fast.measurements and fast.measurements[0].metric == "wall"
    assert prog.read_text() == READS_LINES  # nothing applied without apply
    (plan,) = run.plans  # the diagnose stage's plan is part of the run's record
    assert "fast-stdin-input" in plan.codemods
    assert [o.status for o in run.outcomes] == ["verified"]
    accepted = [r for r in run.results if r.verdict.accepted]
    if accepted:  # the patch is the best accepted candidate's (several codemods apply)
        assert run.patch in {r.diff for r in accepted}
        assert "sys.stdin" in run.patch or "def main():" in run.patch
