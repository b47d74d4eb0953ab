"""`perfopt doctor` against the real local server and against a closed port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from tests.llm_server import Reply


def doctor(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "PERFOPT_"))}
    return subprocess.run([sys.executable, "-m", "perfopt.cli", "doctor", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed once the socket is: nothing listens there


def test_all_good_is_one_line_per_check_and_exit_0(llm_server):
    llm_server.default = Reply("OK")
    proc = doctor("--model", "test-model", "--base-url", llm_server.base_url)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["ok   endpoint", "ok   model",
                                                      "ok   round trip"]
    assert "'OK'" in lines[2] and " s, 10+20 tokens" in lines[2]
    assert len(llm_server.chat_requests) == 1


def test_unknown_model_names_the_offered_ones(llm_server):
    llm_server.default = Reply("OK")
    proc = doctor("--model", "nope", "--base-url", llm_server.base_url, "--json")
    assert proc.returncode == 1
    out = json.loads(proc.stdout)
    assert out["ok"] is False
    model = next(c for c in out["checks"] if c["name"] == "model")
    assert model["ok"] is False and "test-model" in model["detail"] and model["fix"]


def test_closed_port_says_what_to_fix():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    proc = doctor("--model", "m", "--base-url", url, "--timeout", "5")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    fail = [line for line in proc.stdout.splitlines() if line.startswith("FAIL")]
    assert len(fail) == 1 and "cannot reach" in fail[0] and "fix: start the server" in fail[0]
    as_json = json.loads(doctor("--model", "m", "--base-url", url, "--timeout", "5",
                                "--json").stdout)
    assert as_json["ok"] is False


def test_no_model_is_a_failed_check():
    proc = doctor("--base-url", "http://127.0.0.1:9/v1", "--json")
    assert proc.returncode == 1
    checks = json.loads(proc.stdout)["checks"]
    assert checks[-1] == {"name": "model", "ok": False, "detail": "no model set",
                          "fix": "pass --model NAME, set PERFOPT_MODEL, or model in "
                                 "[tool.perfopt]"}
