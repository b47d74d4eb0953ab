"""generate / refine / preview / privacy against a real local OpenAI-compatible server."""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from perfopt.errors import UserError
from perfopt.llm.client import BudgetExceeded, LLMClient, ModelConfig
from perfopt.llm.engine import PrivateCode, PromptContext, generate, preview, refine
from perfopt.llm.privacy import is_private
from perfopt.models import Candidate, Skill, Target
from tests.llm_server import Delay, LLMServer, Recorded, Reply, Status, llm_server  # noqa: F401

ORIGINAL = '''def dedupe(items):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
'''
FAST = '''def dedupe(items):
    return list(dict.fromkeys(items))
'''
FASTER = '''def dedupe(items):
    seen = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
'''
PLAN = (Skill(id="set-membership", kind="operator", languages=("python",),
              title="Set membership", mechanism="use a set or dict for `in` tests"),)
TARGET = Target(file="src/util.py", qualname="dedupe", span=(1, 6))
CONTEXT = PromptContext(file="src/util.py", qualname="dedupe", hot_lines=((4, 0.9),),
                        stress_summary="3 inputs", plan=PLAN)


def fenced(code: str, prose: str = "Faster:") -> str:
    return f"{prose}\n\n```python\n{code}```\n"


def client_for(server: LLMServer, project: Path | None = None, **changes: object) -> LLMClient:
    cfg = ModelConfig(model="test-model", base_url=server.base_url, cache=False, backoff_s=0.01,
                      timeout_s=5.0, attempts=3, candidates=2, project=project)
    return LLMClient(replace(cfg, **changes))  # type: ignore[arg-type]


def test_generate_sends_code_and_plan_and_parses(llm_server: LLMServer) -> None:  # noqa: F811
    replies = iter([fenced(FAST), fenced(FASTER)])
    llm_server.default = lambda _request: Reply(next(replies))
    client = client_for(llm_server)
    cands = generate(TARGET, ORIGINAL, CONTEXT, client)
    assert sorted(c.source for c in cands) == sorted([FAST, FASTER])
    assert sorted(c.origin for c in cands) == ["llm:test-model#1", "llm:test-model#2"]
    assert all(c.skills == ("set-membership",) and c.target == TARGET for c in cands)
    assert all(c.rationale == "Faster:" for c in cands)
    sent = llm_server.chat_requests
    assert len(sent) == 2
    assert "if item not in out:" in sent[0].text and "[set-membership]" in sent[0].text
    assert "line 4 (90%" in sent[0].text and "3 inputs" in sent[0].text
    assert client.usage.to_dict()["completion_tokens"] == 40


def test_identical_replies_give_one_candidate(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.default = Reply(fenced(FAST))
    assert [c.source for c in generate(TARGET, ORIGINAL, CONTEXT, client_for(llm_server))] == [
        FAST]


def test_candidates_are_asked_in_parallel(llm_server: LLMServer) -> None:  # noqa: F811
    codes = iter([FAST, FASTER, FAST.replace("items", "items", 1) + "\n"])
    llm_server.default = lambda _r: Delay(0.6, Reply(fenced(next(codes))))
    client = client_for(llm_server, candidates=3, concurrency=3)
    start = time.monotonic()
    cands = generate(TARGET, ORIGINAL, CONTEXT, client)
    assert time.monotonic() - start < 1.5  # three 0.6 s replies at once, not one after another
    assert len(cands) >= 2


def test_rate_limited_then_ok_gives_one_candidate(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(Status(429, {"Retry-After": "0.1"}), Reply(fenced(FAST)))
    cands = generate(TARGET, ORIGINAL, CONTEXT, client_for(llm_server, candidates=1))
    assert [c.source for c in cands] == [FAST]
    assert len(llm_server.chat_requests) == 2


def test_unusable_reply_is_asked_again_with_the_reason(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(Reply("I would use a set."), Reply(fenced(FAST)))
    client = client_for(llm_server, candidates=1)
    cands = generate(TARGET, ORIGINAL, CONTEXT, client)
    assert [c.source for c in cands] == [FAST]
    second: Recorded = llm_server.chat_requests[1]
    assert second.messages[-2] == {"role": "assistant", "content": "I would use a set."}
    assert "could not be used: the reply holds no code" in second.messages[-1]["content"]


def test_no_usable_reply_gives_no_candidate_and_a_warning(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.default = Reply(fenced("def dedupe(items, extra):\n    return items\n"))
    client = client_for(llm_server, candidates=1, parse_retries=1)
    assert generate(TARGET, ORIGINAL, CONTEXT, client) == []
    assert len(llm_server.chat_requests) == 2
    assert "signature of dedupe changed" in client.warnings[0]


def test_budget_spent_raises_when_nothing_came_back(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.default = Reply(fenced(FAST), prompt_tokens=500, completion_tokens=500)
    client = client_for(llm_server, candidates=1, token_budget=10)
    generate(TARGET, ORIGINAL, CONTEXT, client)  # the first request spends it all
    with pytest.raises(BudgetExceeded):
        generate(TARGET, ORIGINAL, CONTEXT, client)
    assert len(llm_server.chat_requests) == 1


def test_bad_key_stops_generate(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.default = Status(401)
    with pytest.raises(UserError, match="rejected the API key"):
        generate(TARGET, ORIGINAL, CONTEXT, client_for(llm_server))


def test_refine_sends_evidence_and_links_parent(llm_server: LLMServer) -> None:  # noqa: F811
    parent = Candidate(target=TARGET, source=FAST, origin="llm:test-model#2", skills=("s",))
    llm_server.push(Reply(fenced(FASTER)))
    client = client_for(llm_server)
    child = refine(parent, "equivalence", "input ([1, 1.0],): original [1], candidate [1.0]",
                   CONTEXT, client, original_def=ORIGINAL)
    assert child is not None and child.source == FASTER
    assert child.parent == parent.id and child.origin == "llm:test-model#2.r1"
    text = llm_server.chat_requests[0].text
    assert '"equivalence" check' in text and "candidate [1.0]" in text
    assert "return list(dict.fromkeys(items))" in text and "if item not in out:" in text
    llm_server.push(Reply(fenced(FASTER)))
    again = refine(child, "benchmark", "speedup 1.01 (CI 0.97-1.04)", CONTEXT, client)
    assert again is None  # the model repeated itself: nothing new to verify


def _git_project(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("generated/\n")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "util.py").write_text(ORIGINAL)
    (tmp_path / "generated").mkdir()
    (tmp_path / "generated" / "fast.py").write_text(ORIGINAL)
    return tmp_path


def test_is_private(tmp_path: Path) -> None:
    project = _git_project(tmp_path)
    assert not is_private(Path("src/util.py"), project)
    assert is_private(Path("generated/fast.py"), project)
    for name in (".env", ".env.local", "server.pem", "id_rsa", "my_secrets.py",
                 "credentials.json", "config/SECRET/keys.py"):
        assert is_private(Path(name), project), name


def test_private_file_is_never_sent(llm_server: LLMServer, tmp_path: Path) -> None:  # noqa: F811
    project = _git_project(tmp_path)
    target = replace(TARGET, file="generated/fast.py")
    client = client_for(llm_server, project=project)
    with pytest.raises(PrivateCode, match="not sending generated/fast.py"):
        generate(target, ORIGINAL, replace(CONTEXT, file=target.file), client)
    assert llm_server.requests == []
    shown = preview(target, ORIGINAL, CONTEXT, client.config)
    assert "NOT SENT" in shown


def test_preview_renders_without_sending(llm_server: LLMServer) -> None:  # noqa: F811
    shown = preview(TARGET, ORIGINAL, CONTEXT, client_for(llm_server).config)
    assert "--- user ---" in shown and "if item not in out:" in shown
    assert "model test-model at http://127.0.0.1" in shown
    assert "# no model configured" in preview(TARGET, ORIGINAL, CONTEXT, None)
    assert llm_server.requests == []


def test_whole_program_target(llm_server: LLMServer) -> None:  # noqa: F811
    program = Target(file="prog.cpp", qualname=None, language="cpp")
    source = "#include <cstdio>\nint main(){int n; scanf(\"%d\",&n); printf(\"%d\\n\", n);}\n"
    llm_server.push(Reply("Use faster IO:\n```cpp\nint main(){return 0;}\n```"))
    context = PromptContext(file="prog.cpp", qualname=None)
    cands = generate(program, source, context, client_for(llm_server, candidates=1))
    assert [c.source for c in cands] == ["int main(){return 0;}\n"]
    text = llm_server.chat_requests[0].text
    assert "Make this C++ program faster." in text and "```cpp\n#include <cstdio>" in text
