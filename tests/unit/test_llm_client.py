"""LLMClient against a real local OpenAI-compatible server (tests/llm_server.py)."""

from __future__ import annotations

import email.utils
import json
import socket
import time
from dataclasses import replace
from pathlib import Path

import pytest

from perfopt.config import Settings
from perfopt.errors import UserError
from perfopt.llm.client import (
    BudgetExceeded,
    LLMClient,
    ModelConfig,
    ModelUnavailable,
    classify,
)
from tests.llm_server import Delay, LLMServer, Raw, Reply, Status, llm_server  # noqa: F401

MESSAGES = [{"role": "user", "content": "make it fast"}]


def config(server: LLMServer, **changes: object) -> ModelConfig:
    base = ModelConfig(model="test-model", base_url=server.base_url, cache=False,
                       backoff_s=0.01, timeout_s=5.0, attempts=3)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_reply_and_usage(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(Reply("hello", prompt_tokens=1000, completion_tokens=500))
    client = LLMClient(config(llm_server, price_per_mtok_in=2.0, price_per_mtok_out=8.0))
    assert client.chat(MESSAGES, temperature=0.2) == ["hello"]
    sent = llm_server.chat_requests[0].body
    assert sent["model"] == "test-model" and sent["messages"] == MESSAGES
    assert sent["temperature"] == 0.2 and "n" not in sent
    usage = client.usage.to_dict()
    assert usage["prompt_tokens"] == 1000 and usage["completion_tokens"] == 500
    assert usage["cost_usd"] == pytest.approx((1000 * 2 + 500 * 8) / 1e6)


def test_n_choices(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(Reply(("a", "b", "c")))
    assert LLMClient(config(llm_server)).chat(MESSAGES, n=3) == ["a", "b", "c"]
    assert llm_server.chat_requests[0].body["n"] == 3


def test_429_retry_after_then_ok(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(Status(429, {"Retry-After": "1"}), Reply("ok"))
    start = time.monotonic()
    assert LLMClient(config(llm_server)).chat(MESSAGES) == ["ok"]
    assert time.monotonic() - start >= 0.9  # the server's Retry-After was honoured
    assert len(llm_server.chat_requests) == 2


def test_retry_after_is_capped(llm_server: LLMServer) -> None:  # noqa: F811
    waits: list[float] = []
    llm_server.push(Status(429, {"Retry-After": "3600"}), Reply("ok"))
    client = LLMClient(config(llm_server, max_wait_s=0.05), sleep=waits.append)
    assert client.chat(MESSAGES) == ["ok"]
    assert waits == [0.05]


def test_500_twice_then_ok(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(Status(500), Status(503), Reply("third time"))
    client = LLMClient(config(llm_server))
    assert client.chat(MESSAGES) == ["third time"]
    assert len(llm_server.chat_requests) == 3 and client.usage.requests == 3


def test_5xx_gives_up_after_attempts(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(*[Status(502)] * 3)
    with pytest.raises(ModelUnavailable, match="gave up after 3 attempts"):
        LLMClient(config(llm_server)).chat(MESSAGES)
    assert len(llm_server.chat_requests) == 3


def test_401_is_one_line_user_error(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(Status(401, body=json.dumps({"error": {"message": "bad key"}})))
    with pytest.raises(UserError) as info:
        LLMClient(config(llm_server, api_key_env="MY_KEY")).chat(MESSAGES)
    message = str(info.value)
    assert "\n" not in message
    assert "rejected the API key (401)" in message and "MY_KEY" in message
    assert len(llm_server.chat_requests) == 1  # never retried


def test_api_key_is_sent(llm_server: LLMServer, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("PERFOPT_TEST_KEY", "sk-test-123")
    llm_server.push(Reply("x"))
    LLMClient(config(llm_server, api_key_env="PERFOPT_TEST_KEY")).chat(MESSAGES)
    headers = {k.lower(): v for k, v in llm_server.chat_requests[0].headers.items()}
    assert headers["authorization"] == "Bearer sk-test-123"


def test_404_model_names_it(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(Status(404, body=json.dumps(
        {"error": {"message": "The model `gpt-9` does not exist", "code": "model_not_found"}})))
    with pytest.raises(UserError) as info:
        LLMClient(config(llm_server, model="gpt-9")).chat(MESSAGES)
    assert "'gpt-9' was not found" in str(info.value)
    assert "perfopt models" in str(info.value)


def test_slow_reply_times_out_retries_then_errors(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(*[Delay(2.0, Reply("late"))] * 2)
    client = LLMClient(config(llm_server, timeout_s=0.3, attempts=2))
    start = time.monotonic()
    with pytest.raises(ModelUnavailable, match="did not answer in time"):
        client.chat(MESSAGES)
    assert time.monotonic() - start < 1.8
    assert len(llm_server.chat_requests) == 2


def test_malformed_json_is_retried_then_clear(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(Raw("{not json"), Reply("fine"))
    assert LLMClient(config(llm_server)).chat(MESSAGES) == ["fine"]
    llm_server.push(Raw("{not json"), Raw("<html>proxy error</html>", content_type="text/html"))
    with pytest.raises(ModelUnavailable) as info:
        LLMClient(config(llm_server, attempts=2)).chat(MESSAGES)
    assert "not a chat completion" in str(info.value) or "something other" in str(info.value)


def test_cache_second_call_sends_nothing(llm_server: LLMServer, tmp_path: Path) -> None:  # noqa: F811
    llm_server.push(Reply("cached answer"))
    cfg = config(llm_server, cache=True, cache_dir=tmp_path / ".perfopt" / "cache" / "llm")
    assert LLMClient(cfg).chat(MESSAGES) == ["cached answer"]
    second = LLMClient(cfg)
    assert second.chat(MESSAGES) == ["cached answer"]
    assert len(llm_server.chat_requests) == 1
    assert second.usage.cached == 1 and second.usage.requests == 0
    assert (tmp_path / ".perfopt" / ".gitignore").read_text() == "*\n"
    # a different variant (candidate #2) is a different request
    llm_server.push(Reply("another"))
    assert second.chat(MESSAGES, variant=2) == ["another"]


def test_no_cache_when_off(llm_server: LLMServer, tmp_path: Path) -> None:  # noqa: F811
    llm_server.push(Reply("a"), Reply("b"))
    cfg = config(llm_server, cache=False, cache_dir=tmp_path / "c")
    assert LLMClient(cfg).chat(MESSAGES) == ["a"]
    assert LLMClient(cfg).chat(MESSAGES) == ["b"]
    assert not (tmp_path / "c").exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_replay_never_touches_the_network(llm_server: LLMServer, tmp_path: Path) -> None:  # noqa: F811
    record = tmp_path / "recorded"
    llm_server.push(Reply("recorded reply"))
    LLMClient(config(llm_server, cache=True, cache_dir=record)).chat(MESSAGES)
    dead = f"http://127.0.0.1:{_closed_port()}/v1"
    replay = LLMClient(config(llm_server, base_url=dead, replay_dir=record, attempts=1))
    assert replay.chat(MESSAGES) == ["recorded reply"]
    with pytest.raises(UserError, match="no cached reply for this prompt in"):
        replay.chat([{"role": "user", "content": "something new"}])
    assert len(llm_server.chat_requests) == 1


def test_budget_refuses_new_requests(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.push(Reply("one", prompt_tokens=60, completion_tokens=50))
    client = LLMClient(config(llm_server, token_budget=100))
    assert client.chat(MESSAGES) == ["one"]
    with pytest.raises(BudgetExceeded, match="token budget of 100 spent"):
        client.chat([{"role": "user", "content": "again"}])
    assert len(llm_server.chat_requests) == 1


def test_list_models(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.models = ("b-model", "a-model")
    assert LLMClient(config(llm_server)).list_models() == ["a-model", "b-model"]


def test_retry_after_http_date(llm_server: LLMServer) -> None:  # noqa: F811
    waits: list[float] = []
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    llm_server.push(Status(503, {"Retry-After": date}), Reply("ok"))
    client = LLMClient(config(llm_server, max_wait_s=100.0), sleep=waits.append)
    assert client.chat(MESSAGES) == ["ok"]
    assert len(waits) == 1 and 27.0 < waits[0] <= 31.0


def test_policy_table_order() -> None:
    import openai

    # a timeout is a connection error too: the more specific rule must win. Made without
    # __init__: it wants a request of the HTTP library openai ships with (httpx, httpx2...)
    rule = classify(openai.APITimeoutError.__new__(openai.APITimeoutError))
    assert rule is not None and rule[0] is True and "in time" in rule[1]
    assert classify(KeyError("x")) is None


def test_from_settings(tmp_path: Path) -> None:
    assert ModelConfig.from_settings(Settings(), tmp_path) is None
    cfg = ModelConfig.from_settings(
        Settings(model="m", llm_timeout_s=9.0, candidates=3, replay_dir="rec"), tmp_path)
    assert cfg is not None and cfg.model == "m" and cfg.timeout_s == 9.0
    assert cfg.candidates == 3
    assert cfg.replay_dir == tmp_path.resolve() / "rec"
    assert cfg.cache_dir == tmp_path.resolve() / ".perfopt" / "cache" / "llm"
