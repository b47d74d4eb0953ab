"""The reply corpus (tests/reply_corpus.py) through the one model seam, `Generator`, against
the real local server: every reply to every prompt kind (candidate, refine, stress
conditions; a function and a program) ends as a candidate, or as None with one warning
that names why; never an exception."""

from __future__ import annotations

import pytest

from perfopt.generate import Generator
from perfopt.llm.client import LLMClient, ModelConfig
from perfopt.llm.parse import ReplyError, extract_program, stress_code_block
from perfopt.models import Candidate, CandidateResult, Target, Verdict
from perfopt.targets.base import Work
from tests.llm_server import LLMServer, Reply
from tests.reply_corpus import DEDUPE, FUNCTION, MODE, PROGRAM, STRESS

FUNC = Work(Target("dd/core.py", "dedupe", span=(1, 10)), DEDUPE)
PROG = Work(Target("mode.py"), MODE, samples=("6\n1 2 4 3 3 2\n",))


def generator(server: LLMServer, warnings: list[str]) -> Generator:
    config = ModelConfig(model="m", base_url=server.base_url, cache=False, backoff_s=0.01,
                         timeout_s=10.0, attempts=2, parse_retries=0, candidates=1,
                         concurrency=1)
    return Generator(LLMClient(config), warnings.append)


def rejected(result: Candidate | None, warnings: list[str], error: str) -> None:
    assert result is None
    assert len(warnings) == 1 and error in warnings[0], warnings


@pytest.mark.parametrize("name", sorted(PROGRAM))
def test_program_reply_parses_as_expected(name: str) -> None:
    case = PROGRAM[name]
    if case.gold is not None:
        assert extract_program(case.reply, "python") == case.gold
    else:
        with pytest.raises(ReplyError) as info:
            extract_program(case.reply, "python")
        assert case.error and case.error in info.value.reason


@pytest.mark.parametrize("name", sorted(STRESS))
def test_stress_reply_has_generate_or_not(name: str) -> None:
    code = stress_code_block(STRESS[name].reply)
    assert (code is not None) == STRESS[name].extra["generate"]
    if code is not None:
        compile(code, name, "exec")  # a reply cut inside its block is never taken


@pytest.mark.parametrize("name", sorted(FUNCTION))
def test_candidate_prompt(llm_server: LLMServer, name: str) -> None:
    case, warnings = FUNCTION[name], []
    llm_server.push(Reply(case.reply))
    got = generator(llm_server, warnings).candidates(FUNC, (), (), None)
    if case.gold is not None:
        assert [c.source for c in got] == [case.gold] and not warnings
        assert got[0].origin == "llm:m#1"
    else:
        assert got == []
        assert len(warnings) == 1 and "reply #1 held no usable code" in warnings[0]
        assert case.error and case.error in warnings[0], warnings


@pytest.mark.parametrize("name", sorted(FUNCTION))
def test_refine_prompt(llm_server: LLMServer, name: str) -> None:
    case, warnings = FUNCTION[name], []
    wrong = Candidate(FUNC.target, "def dedupe(items, key=None):\n    return list(set(items))\n",
                      "llm:m#1")
    result = CandidateResult(wrong, Verdict(False, "equivalence", "return value differs"))
    llm_server.push(Reply(case.reply))
    got = generator(llm_server, warnings).refine(FUNC, (), (), None, result)
    assert "rejected at the \"equivalence\" check" in llm_server.chat_requests[0].text
    if case.gold is not None:
        assert got is not None and got.source == case.gold and not warnings
        assert got.origin == "llm:m#1.r1" and got.parent == wrong.id
    else:
        rejected(got, warnings, "refinement of")
        assert case.error and case.error in warnings[0]


@pytest.mark.parametrize("name", sorted(PROGRAM))
def test_program_candidate_prompt(llm_server: LLMServer, name: str) -> None:
    case, warnings = PROGRAM[name], []
    llm_server.push(Reply(case.reply))
    got = generator(llm_server, warnings).candidates(PROG, (), (), None)
    assert "Make this Python program faster" in llm_server.chat_requests[0].text
    if case.gold is not None:
        assert [c.source for c in got] == [case.gold] and not warnings
    else:
        assert got == [] and len(warnings) == 1
        assert case.error and case.error in warnings[0], warnings


@pytest.mark.parametrize("name", sorted(STRESS))
def test_stress_prompt(llm_server: LLMServer, name: str) -> None:
    case, warnings = STRESS[name], []
    work = FUNC if case.extra["kind"] == "function" else PROG
    llm_server.push(Reply(case.reply))
    code = generator(llm_server, warnings).stress_code(work, "- a real call: (list of 9 (int))")
    assert "Find the inputs that make this" in llm_server.chat_requests[0].text
    if case.extra["generate"]:
        assert code is not None and "def generate" in code and not warnings
    else:
        rejected(code, warnings, "no generate() block")


def test_cut_reply_is_marked_by_the_client(llm_server: LLMServer) -> None:
    """finish_reason "length" is what says a reply was cut: a cut reply that happens to
    parse (a loop missing its last lines) is refused by name, not verified."""
    cut = FUNCTION["small_model_ramble_cut"].reply.split("\n[perfopt:")[0]
    llm_server.push(Reply(cut, finish_reason="length"), Reply(cut))
    warnings: list[str] = []
    gen = generator(llm_server, warnings)
    assert gen.candidates(FUNC, (), (), None) == []
    assert "cut off at max_tokens" in warnings[0], warnings
    assert len(gen.candidates(FUNC, (), (), None)) == 1  # the same text, not cut: it parses


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("failure", ["refused", "timeout", "5xx", "garbage", "429"])
def test_endpoint_failure_is_one_warning_and_the_model_goes_off(llm_server: LLMServer,
                                                                failure: str) -> None:
    """Connection refused, a timeout, 5xx, a body that is not JSON, 429 to the end: each
    is one warning naming it, then no more model calls (the run goes on with codemods)."""
    from tests.llm_server import Delay, Raw, Status

    base = llm_server.base_url
    if failure == "refused":
        base = f"http://127.0.0.1:{_closed_port()}/v1"
    script = {"timeout": Delay(3.0, Reply("late")), "5xx": Status(503),
              "garbage": Raw("{not json"), "429": Status(429, {"Retry-After": "0"})}
    if failure in script:
        llm_server.push(*[script[failure]] * 2)
    warnings: list[str] = []
    config = ModelConfig(model="m", base_url=base, cache=False, backoff_s=0.01, timeout_s=1.0,
                         attempts=2, parse_retries=0, candidates=1, concurrency=1)
    gen = Generator(LLMClient(config), warnings.append)
    assert gen.candidates(FUNC, (), (), None) == []
    assert gen.stress_code(FUNC, "") is None  # off: not asked
    assert len(warnings) == 1 and "continuing with codemods only" in warnings[0], warnings
    assert gen.disabled
    assert len(llm_server.chat_requests) == (0 if failure == "refused" else 2)
