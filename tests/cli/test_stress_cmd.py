"""`perfopt stress` end to end on a small quadratic stdin program (real subprocesses)."""

import json
import os
import subprocess
import sys

import pytest

from perfopt.commands.stress import NOT_STRESS
from tests.llm_server import Reply, Status
from tests.unit import test_stress_function_model as fn_model
from tests.unit import test_stress_model_conditions as prog_model

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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PERFOPT_"))}
    env["OPENAI_API_KEY"] = "sk-test"  # a model is used only when one is named
    return subprocess.run([sys.executable, "-m", "perfopt.cli", "stress", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, env=env)


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
    assert report["model"] is None and "model" not in kinds
    assert "no model configured" in proc.stderr and "--model NAME" in proc.stderr


@pytest.mark.slow
def test_program_stress_asks_the_configured_model(tmp_path, llm_server):
    prog, samples = prog_model.program(tmp_path)
    (samples / "statement.txt").write_text(prog_model.STATEMENT)
    llm_server.push(Reply(prog_model.GOOD))
    proc = perfopt(prog.name, "--inputs", "samples", "--budget", "10", "--json",
                   "--model", "test-model", "--base-url", llm_server.base_url, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["model"] == "test-model" and "no model configured" not in proc.stderr
    sent = llm_server.chat_requests[0].text
    assert "Find the inputs that make this python program slowest" in sent
    assert "a.count(7) * 2 > n" in sent and "1 <= N <= 2000" in sent
    stress = [c for c in report["suite"]["cases"]
              if c["provenance"] not in NOT_STRESS]
    # the quadratic branch is reached only through the model's generator
    assert any(c["provenance"] == "model" for c in stress), stress
    assert report["slowdown"] > 20
    assert prog.read_text() == prog_model.PROGRAM


def test_a_failing_model_leaves_the_search_on_its_own(tmp_path, llm_server):
    prog, samples = prog_model.program(tmp_path)
    llm_server.default = Status(500, {"Retry-After": "0"})
    proc = perfopt(prog.name, "--inputs", "samples", "--budget", "3", "--json",
                   "--model", "test-model", "--base-url", llm_server.base_url, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(llm_server.chat_requests) == 4  # the client's attempts, then no more asking
    warning = [line for line in proc.stderr.splitlines() if "model endpoint" in line]
    assert len(warning) == 1 and warning[0].endswith("stressing without it"), proc.stderr
    kinds = {c["provenance"] for c in json.loads(proc.stdout)["suite"]["cases"]}
    assert "model" not in kinds and kinds & {"generated", "mutated"}, kinds


@pytest.mark.slow
def test_function_stress_asks_the_configured_model(tmp_path, llm_server):
    (tmp_path / "algo.py").write_text(fn_model.FUNCTION)
    (tmp_path / "test_algo.py").write_text(
        "from algo import pairs\n\n\ndef test_pairs():\n"
        "    assert pairs([3, 1, 4, 1, 5, 2, 6, 5]) == 27\n")
    llm_server.push(Reply(fn_model.REPLY))
    proc = perfopt(".", "--symbol", "algo.py::pairs", "--budget", "10", "--json",
                   "--model", "test-model", "--base-url", llm_server.base_url, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["model"] == "test-model" and len(llm_server.chat_requests) == 1
    assert "def pairs(values: list[int])" in llm_server.chat_requests[0].text
    kinds = [c["provenance"] for c in report["suite"]["cases"]]
    assert "captured" in kinds and "model" in kinds, kinds


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
