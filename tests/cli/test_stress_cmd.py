"""`perfopt stress` end to end on a small quadratic stdin program (real subprocesses)."""

import json
import subprocess
import sys

import pytest

PROGRAM = """\
n = int(input())
a = list(map(int, input().split()))
print(sum(1 for i in range(n) for j in range(i) if a[i] == a[j]))
"""
STATEMENT = """\
Constraints
1 <= N <= 3000
1 <= A_i <= 10^9

Input
N
A_1 A_2 ... A_N
"""


def perfopt(*args, cwd):
    return subprocess.run([sys.executable, "-m", "perfopt.cli", "stress", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_program_suite_is_costlier_than_its_samples(tmp_path):
    (tmp_path / "prog.py").write_text(PROGRAM)
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "input.1.txt").write_text("3\n1 2 1\n")
    (samples / "output.1.txt").write_text("1\n")
    (samples / "statement.txt").write_text(STATEMENT)
    proc = perfopt("prog.py", "--inputs", "samples", "--budget", "20", "--json",
                   "--out", "suite", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    kinds = {c["provenance"] for c in report["suite"]["cases"]}
    assert "sample" in kinds and kinds & {"generated", "mutated"}
    assert report["slowdown"] > 5
    assert (tmp_path / "suite" / "suite.json").is_file()


def test_program_without_inputs_is_a_one_line_error(tmp_path):
    (tmp_path / "prog.py").write_text(PROGRAM)
    proc = perfopt("prog.py", cwd=tmp_path)
    assert proc.returncode == 2
    assert "--inputs DIR" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_symbol_is_a_one_line_error(tmp_path):
    (tmp_path / "mod.py").write_text("def f():\n    return 1\n")
    (tmp_path / "test_mod.py").write_text("from mod import f\n\ndef test_f():\n    f()\n")
    proc = perfopt(".", "--symbol", "mod.py", cwd=tmp_path)
    assert proc.returncode == 2 and "FILE::QUALNAME" in proc.stderr


@pytest.mark.slow
def test_function_the_workload_never_calls_is_seeded_from_its_type_hints(tmp_path):
    (tmp_path / "mod.py").write_text(
        "def pairs(items: list[int]) -> int:\n"
        "    return sum(1 for i in range(len(items)) for j in range(i)"
        " if items[i] == items[j])\n\n\n"
        "def untyped(items):\n    return len(items)\n")
    (tmp_path / "test_mod.py").write_text("import mod\n\ndef test_nothing():\n    assert mod\n")
    proc = perfopt(".", "--symbol", "mod.py::pairs", "--budget", "20", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    kinds = [c["provenance"] for c in json.loads(proc.stdout)["suite"]["cases"]]
    assert "hinted" in kinds and "sweep" in kinds, kinds
    # no captured call and no hints: nothing to stress, said in one line
    proc = perfopt(".", "--symbol", "mod.py::untyped", "--budget", "10", cwd=tmp_path)
    assert proc.returncode == 2 and "type hints" in proc.stderr, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert ".hypothesis" not in {p.name for p in tmp_path.iterdir()}  # its storage was ours
