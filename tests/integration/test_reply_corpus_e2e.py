"""Issue 30's acceptance 1: `perfopt optimize --json` end to end while the real local server
answers every prompt kind with the reply corpus (tests/reply_corpus.py) in turn, plus the
transport failures a real endpoint gives (429 with Retry-After, 503, a body that is not
JSON). One run consumes many replies (`candidates` = the corpus size, one refinement
round), for a function in tests/fixtures/replyproj and for a program given `--inputs`.

Each run must exit 0 with one JSON object and no traceback, and every reply the server
served must have a named fate in that JSON: a result (origin `llm:m#k`, refinements
`llm:m#k.rN`, with the gate that judged it) or a warning line that says why it was not
used (no usable code and the reason, asked again, repeats another reply, no generate()
block).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.integration.test_llm_pipeline import optimize, repo_copy
from tests.llm_server import ByPrompt, LLMServer, Raw, Reply, Response, Status
from tests.reply_corpus import FUNCTION, MODE, PROGRAM, STRESS

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "replyproj"
pytestmark = pytest.mark.slow
PROSE = Reply("I would need more context about the inputs to say more.")
# what a real endpoint does between replies: each is retried by the client, unseen
TRANSPORT: list[Response] = [Status(429, {"Retry-After": "1"}), Status(503),
                             Raw("<html>502 Bad Gateway</html>", content_type="text/html")]
# one line per reply that gave no new candidate; the candidates themselves are results
NOT_USED = re.compile(r"(reply #\d+|refinement of \w+) held no usable code \(.+\)"
                      r"|reply \d+ repeats the code of llm:m#\d+"
                      r"|refinement of \w+ repeats it unchanged"
                      r"|refinement llm:m#\S+ repeats a candidate already judged")


def replies(cases: dict) -> list[Response]:
    out: list[Response] = []
    for i, name in enumerate(sorted(cases)):
        if i % 6 == 2:  # a transport failure now and then, before a reply
            out.append(TRANSPORT[(i // 6) % len(TRANSPORT)])
        out.append(Reply(cases[name].reply))
    return out


def check(proc: subprocess.CompletedProcess[str], script: ByPrompt) -> dict:
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    llm = [r for r in report["results"] if r["origin"].startswith("llm:m#")]
    shown = json.dumps({"results": [(r["origin"], r["verdict"], r["reason"][:80]) for r in llm],
                        "warnings": report["warnings"], "served": script.served}, indent=1)
    # the whole corpus was served to the candidate prompt, transport failures included
    assert script.used("candidate") == len(script.replies["candidate"]), shown

    def answered(kind: str) -> int:  # requests of `kind` answered with a reply (not an error)
        return sum(1 for k, i in script.served if k == kind and (
            i < 0 or isinstance(script.replies[k][i], Reply)))

    def not_used(pattern: str) -> int:
        return sum(1 for w in report["warnings"] if NOT_USED.search(w) and re.search(pattern, w))

    # every reply has one fate: a judged candidate (a result naming its gate) or a line why not
    first = [r for r in llm if ".r" not in r["origin"]]
    refined = [r for r in llm if ".r" in r["origin"]]
    # a refinement is named "refinement of ID" (unused) or "refinement llm:m#K.rN" (a repeat)
    assert all(r["verdict"] in GATES for r in llm), shown
    assert len(first) + not_used(r"reply #?\d+ ") == answered("candidate"), shown
    assert len(refined) + not_used("refinement ") == answered("refine"), shown
    stress_fates = [w for w in report["warnings"] if "no generate() block" in w]
    assert len(stress_fates) <= answered("stress"), shown
    assert "error" not in report, shown
    return report


GATES = {"accepted", "compile", "equivalence", "tests", "benchmark", "critic", "safety",
         "build", "crash", "timeout"}


def test_function_target_every_reply_named(tmp_path: Path, llm_server: LLMServer) -> None:
    root = repo_copy(FIXTURE, tmp_path / "replyproj")
    toml = root / "pyproject.toml"
    toml.write_text(toml.read_text().replace("candidates = 1", f"candidates = {len(FUNCTION)}"))
    # the model's stress reply reasons but never answers: one warning, the run goes on
    script = ByPrompt({"candidate": replies(FUNCTION), "refine": replies(FUNCTION),
                       "stress": [Reply(STRESS["deepseek_r1_think_no_answer"].reply)]}, PROSE)
    llm_server.default = script
    report = check(optimize(root, llm_server.base_url), script)
    assert any("stress:" in w and "no generate() block" in w for w in report["warnings"])
    verdicts = {r["origin"]: r["verdict"] for r in report["results"]}
    assert "equivalence" in verdicts.values(), verdicts  # gpt4_wrong_order, then refined
    assert script.used("refine") >= 1
    assert "accepted" in verdicts.values()


def test_program_target_every_reply_named(tmp_path: Path, llm_server: LLMServer) -> None:
    prog = tmp_path / "mode" / "mode.py"
    inputs = tmp_path / "mode" / "inputs"
    inputs.mkdir(parents=True)
    prog.write_text(MODE)
    (inputs / "input.0.txt").write_text("6\n1 2 4 3 3 2\n")
    (inputs / "output.0.txt").write_text("2\n")
    (inputs / "input.1.txt").write_text("1\n100\n")
    (inputs / "output.1.txt").write_text("1\n")
    (inputs / "statement.txt").write_text(
        "Print the largest number of equal values.\n\nConstraints\n\n"
        "1 \\leq N \\leq 2000\n\nInput\n\nN\nA_1 A_2 ... A_N\n")
    (prog.parent / "pyproject.toml").write_text(
        "[tool.perfopt]\nrounds = 3\nrefine_rounds = 1\nconcurrency = 1\n"
        f"candidates = {len(PROGRAM)}\ntimeout_s = 30\nprogram_stress_budget_s = 4.0\n"
        "program_stress_cost_s = 0.2\nprogram_max_case_s = 0.5\n")
    script = ByPrompt({"candidate": replies(PROGRAM), "refine": replies(PROGRAM),
                       "stress": [Reply(STRESS["program_claude"].reply)]}, PROSE)
    llm_server.default = script
    report = check(optimize(prog, llm_server.base_url, "--inputs", str(inputs)), script)
    assert script.used("stress") == 1
    verdicts = {r["origin"]: r["verdict"] for r in report["results"]}
    assert "accepted" in verdicts.values(), verdicts
    assert "equivalence" in verdicts.values(), verdicts  # small_model_wrong, then refined
    assert script.used("refine") >= 1
