"""`--json` prints exactly one JSON object, also when the command fails, and never NaN.

Each case fails before any profiling or timing (a missing path, a refused flag), so the real
command runs in a subprocess in about a second."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
import typer

from perfopt import jsonout
from perfopt.cli import guarded
from perfopt.errors import UserError
from perfopt.verify import sandbox

MISSING = "/nonexistent/perfopt-json-test"


def perfopt(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "perfopt.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def strict_loads(text: str):
    """json.loads that refuses NaN/Infinity, as jq and JSON.parse do."""
    def refuse(name: str):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def one_json_error(proc: subprocess.CompletedProcess, exit_code: int = 2) -> dict:
    assert proc.returncode == exit_code, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout  # one object, nothing else on stdout
    data = strict_loads(lines[0])
    assert isinstance(data, dict)
    assert data["exit_code"] == exit_code
    assert isinstance(data["error"], str) and data["error"].strip()
    assert "\n" not in data["error"]
    return data


@pytest.fixture
def program(tmp_path):
    prog = tmp_path / "prog.py"
    prog.write_text("print(int(input()) * 2)\n")
    return prog


# command's arguments -> (what the error must mention, the command's name)
GUARDED = {
    "optimize": (["optimize", MISSING], MISSING, "optimize"),
    "optimize --inputs": (["optimize", "{prog}", "--inputs", MISSING], MISSING, "optimize"),
    "profile": (["profile", MISSING], MISSING, "profile"),
    "profile --top 0": (["profile", "{prog}", "--top", "0"], "--top", "profile"),
    "bench": (["bench", MISSING + "/a.py", MISSING + "/b.py"], MISSING, "bench"),
    "bench --min-speedup": (["bench", "{prog}", "{prog}", "--min-speedup", "0.5"],
                            "min_speedup", "bench"),
    "stress": (["stress", MISSING], MISSING, "stress"),
    "eval pie": (["eval", "pie", "--data", MISSING, "--engine", "bogus"], "bogus", "eval pie"),
    "eval swe-fficiency": (["eval", "swe-fficiency", "--instances", MISSING,
                            "--engine", "bogus"], "bogus", "eval swe-fficiency"),
}


@pytest.mark.parametrize("case", list(GUARDED))
def test_a_user_error_is_one_json_object(case, program):
    args, needle, command = GUARDED[case]
    args = [a.replace("{prog}", str(program)) for a in args]
    proc = perfopt(*args, "--json")
    data = one_json_error(proc)
    assert needle in data["error"]
    assert data["command"] == command
    # the one line on stderr stays, and says the same
    assert proc.stderr.strip() == f"perfopt: error: {data['error']}"


@pytest.mark.parametrize("case", ["optimize", "profile", "eval swe-fficiency"])
def test_without_json_stdout_stays_empty(case, program):
    args, needle, _ = GUARDED[case]
    proc = perfopt(*[a.replace("{prog}", str(program)) for a in args])
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert needle in proc.stderr


# flags click refuses before the command runs: the usage text stays on stderr
REFUSED = {
    "optimize --top abc": (["optimize", ".", "--top", "abc"], "--top", "optimize"),
    "optimize --inputs unknown option": (["optimize", ".", "--inputs", ".", "--bogus"],
                                         "--bogus", "optimize"),
    "profile --top abc": (["profile", ".", "--top", "abc"], "--top", "profile"),
    "bench --min-speedup abc": (["bench", "a.py", "--min-speedup", "abc"], "--min-speedup",
                                "bench"),
    "stress --budget abc": (["stress", ".", "--budget", "abc"], "--budget", "stress"),
    "eval pie missing --data": (["eval", "pie"], "--data", "eval pie"),
    "eval swe-fficiency --jobs abc": (["eval", "swe-fficiency", "--instances", ".",
                                       "--jobs", "abc"], "--jobs", "eval swe-fficiency"),
    "unknown option": (["profile", ".", "--no-such-flag"], "--no-such-flag", "profile"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_flag_is_one_json_object(case):
    args, needle, command = REFUSED[case]
    proc = perfopt(*args, "--json")
    data = one_json_error(proc)
    assert needle in data["error"]
    assert data["command"] == command
    assert "Usage:" in proc.stderr


def test_a_refused_flag_without_json_keeps_stdout_empty():
    proc = perfopt("profile", ".", "--top", "abc")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "--top" in proc.stderr and "Usage:" in proc.stderr


def test_json_on_a_command_without_it_is_refused_as_json():
    data = one_json_error(perfopt("version", "--json"))
    assert "--json" in data["error"]


def test_help_with_json_is_still_help():
    proc = perfopt("profile", "--help", "--json")
    assert proc.returncode == 0
    assert "Usage" in proc.stdout


# --- the decorator, in process: what the command printed before failing is held back ----


def test_output_before_an_error_is_replaced_by_the_error(capsys):
    @guarded
    def command(json_out: bool = False) -> None:
        print('{"partial": true}')
        raise UserError("give a real path")

    with pytest.raises(typer.Exit) as stopped:
        command(json_out=True)
    assert stopped.value.exit_code == 2
    out, err = capsys.readouterr()
    assert strict_loads(out) == {"error": "give a real path", "exit_code": 2}
    assert "give a real path" in err


def test_ctrl_c_with_json_is_one_object(capsys):
    @guarded
    def command(json_out: bool = False) -> None:
        raise KeyboardInterrupt

    try:
        with pytest.raises(typer.Exit) as stopped:
            command(json_out=True)
    finally:
        sandbox.clear_interrupt()
    assert stopped.value.exit_code == 130
    out, _ = capsys.readouterr()
    assert strict_loads(out) == {"error": "interrupted; your files were not changed",
                                 "exit_code": 130}


def test_a_bug_with_json_is_one_object_and_still_raises(capsys):
    @guarded
    def command(json_out: bool = False) -> None:
        raise ZeroDivisionError("oops")

    with pytest.raises(ZeroDivisionError):
        command(json_out=True)
    data = strict_loads(capsys.readouterr().out)
    assert data["exit_code"] == 1 and "ZeroDivisionError: oops" in data["error"]


def test_success_prints_the_result_only(capsys):
    @guarded
    def command(json_out: bool = False) -> int:
        sys.stdout.write(jsonout.dumps({"speedup": math.nan}) + "\n")
        return 0

    assert command(json_out=True) == 0
    assert strict_loads(capsys.readouterr().out) == {"speedup": None}


def test_without_json_errors_print_nothing_on_stdout(capsys):
    @guarded
    def command(json_out: bool = False) -> None:
        raise UserError("give a real path")

    with pytest.raises(typer.Exit):
        command(json_out=False)
    assert capsys.readouterr().out == ""


# --- the dumper ---------------------------------------------------------------------------


def test_dumps_turns_nan_and_inf_into_null_at_any_depth():
    value = {"a": math.nan, "b": [1.0, math.inf, (-math.inf, {"c": float("nan")})],
             "d": (2, "x", None, True), "e": {"f": {"g": [math.nan]}}, "h": 0.5}
    text = jsonout.dumps(value, indent=1)
    assert "NaN" not in text and "Infinity" not in text
    assert strict_loads(text) == {"a": None, "b": [1.0, None, [None, {"c": None}]],
                                  "d": [2, "x", None, True], "e": {"f": {"g": [None]}},
                                  "h": 0.5}


def test_dumps_keeps_json_dumps_options():
    assert jsonout.dumps({"a": 1, "b": [1, 2]}, separators=(",", ":")) == '{"a":1,"b":[1,2]}'
    assert jsonout.dumps({"p": object()}, default=lambda _: "obj") == '{"p": "obj"}'


def test_strict_loads_really_refuses_nan():
    with pytest.raises(ValueError):
        strict_loads(json.dumps({"a": math.nan}))


def test_every_hotspot_carries_status_reason_and_oracle():
    from perfopt.models import Hotspot, RunResult, Target, TargetOutcome
    from perfopt.reports.json_report import render_json

    judged, left = Target("m.py", "f"), Target("m.py", "g")
    result = RunResult(
        project="p",
        hotspots=(Hotspot(judged, 0.5, 0.5, 0.5), Hotspot(left, 0.2, 0.2, 0.2)),
        outcomes=(TargetOutcome(judged, "verified", "1 candidate judged: 1 accepted", 0,
                                "tests: the 2 project tests that run it (t::a, t::b)"),))
    rows = [(h["status"], h["reason"], h["oracle"])
            for h in strict_loads(render_json(result))["hotspots"]]
    assert rows == [("verified", "1 candidate judged: 1 accepted",
                     "tests: the 2 project tests that run it (t::a, t::b)"),
                    ("not-reached", "the run stopped before this hotspot", "")]


def test_a_targets_reason_counts_its_candidates_by_gate():
    from perfopt.models import Candidate, CandidateResult, Target, Verdict
    from perfopt.pipeline import judged

    def result(verdict: Verdict) -> CandidateResult:
        return CandidateResult(Candidate(Target("m.py", "f"), "def f(): pass", "human"),
                               verdict)

    assert judged([result(Verdict.accept()), result(Verdict.reject("equivalence", "x")),
                   result(Verdict.reject("benchmark", "y"))]) == (
        "3 candidates judged: 1 accepted, 2 rejected (equivalence 1, benchmark 1)")
    assert judged([result(Verdict.accept())]) == "1 candidate judged: 1 accepted"
