"""Program targets, for real: build, record the original, run every gate in subprocesses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from perfopt.config import Settings
from perfopt.models import Candidate, StressCase, StressSuite, Target
from perfopt.programs import (
    BuildError,
    ProgramOptions,
    build,
    check_candidate,
    language_of,
    prepare_baseline,
    verify_program,
)

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
SETTINGS = Settings(rounds=3, timeout_s=20.0, extra={"case_timeout_s": 5.0})


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
    suite = StressSuite(Target("slow.py"), (StressCase("big", "generated", "big.in"),),
                        folder=str(stress))
    slow = tmp_path / "slow.py"
    slow.write_text(SLOW)
    return slow, samples, suite


def test_baseline_records_samples_and_stress_inputs(problem, tmp_path):
    slow, samples, suite = problem
    base = prepare_baseline(slow, "python", suite, samples, SETTINGS, tmp_path / "w")
    assert [c.id for c in base.cases] == ["sample:input.0.txt", "sample:input.1.txt",
                                          "stress:big"]
    assert base.outputs["stress:big"].split() == ["100"]
    assert base.timed == ("stress:big",)  # the benchmark runs the stress inputs only


def test_gates_in_order(problem, tmp_path):
    slow, samples, suite = problem
    base = prepare_baseline(slow, "python", suite, samples, SETTINGS, tmp_path / "w")
    target = Target("slow.py")

    def gate(source: str) -> tuple[str, str]:
        v = check_candidate(Candidate(target, source, "test"), base, SETTINGS).result.verdict
        return v.gate, v.reason

    assert gate(SLOW.replace("best = 0", "best  =  0  # same")) [0] == "unchanged"
    assert gate("print(\n")[0] == "compile"
    gate_, reason = gate(SLOW.replace("c += 1", "c += 2"))
    assert gate_ == "equivalence" and "input.0.txt" in reason and "expected output" in reason
    # right on the samples, wrong on the stress input: only the original's output catches it
    gate_, reason = gate(SLOW.replace("best = max(best, c)", "best = max(best, min(c, 9))"))
    assert gate_ == "equivalence" and "stress:big" in reason and "original's output" in reason
    assert gate("import sys\nsys.exit(3)\n")[0] == "equivalence"
    assert gate("while True:\n    pass\n")[0] == "timeout"


@pytest.mark.slow
def test_faster_program_is_accepted_and_identical_one_is_not(problem):
    slow, samples, suite = problem
    result = verify_program(slow, FAST, "python", suite, samples, SETTINGS, origin="human")
    assert result.verdict.accepted, result.verdict.reason
    assert result.measurements[0].metric == "wall" and result.speedup > 1.5
    assert result.diff.startswith("--- a/slow.py")
    # A/A: a copy with a comment changed is the same program for the gate, never "faster"
    aa = verify_program(slow, SLOW + "# comment\n", "python", suite, samples, SETTINGS)
    assert aa.verdict.gate == "unchanged"


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_cpp_build_and_compile_gate(tmp_path):
    opts = ProgramOptions(cxx_flags=("-O1",))
    built = build("#include <cstdio>\nint main(){int x;scanf(\"%d\",&x);printf(\"%d\",x*2);}\n",
                  "cpp", tmp_path, "prog", opts)
    assert Path(built.command[0]).is_file()
    assert built.portable_command == built.command  # no native flags: one build serves both
    with pytest.raises(BuildError, match="error"):
        build("int main( {", "cpp", tmp_path, "broken", opts)
    assert language_of(Path("x.cc")) == "cpp" and language_of(Path("x.py")) == "python"
