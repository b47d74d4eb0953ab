"""Bounded model waits and per-file privacy, against the real local server (tests/llm_server).

An endpoint that accepts and never answers used to hold a run for 4 tries x 120 s per
request; a secret-looking hot file turned the model off for the whole run."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import openai  # noqa: F401 - imported before any clock starts, as the client does
import pytest

from perfopt.generate import Generator
from perfopt.llm.client import LLMClient, ModelConfig, ModelUnavailable
from perfopt.llm.guard import WITHHELD
from perfopt.models import StressSuite, Target
from perfopt.targets.base import Work
from tests.llm_server import Delay, LLMServer, Reply, llm_server  # noqa: F401

MESSAGES = [{"role": "user", "content": "hi"}]
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
SILENT = Delay(600.0)  # accepts the request, never answers (the server wakes it at close)
TOTAL_S = 3.0
SLACK_S = 1.5  # the client's last read, the thread's wake-up on a loaded 2-core machine


def config(server: LLMServer, **changes: object) -> ModelConfig:
    cfg = ModelConfig(model="m", base_url=server.base_url, cache=False, backoff_s=0.01,
                      timeout_s=120.0, total_timeout_s=TOTAL_S, attempts=4, candidates=1)
    return replace(cfg, **changes)  # type: ignore[arg-type]


def test_a_silent_endpoint_costs_at_most_the_total(llm_server: LLMServer) -> None:  # noqa: F811
    llm_server.default = SILENT
    client = LLMClient(config(llm_server))
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as info:
        client.chat(MESSAGES)
    took = time.monotonic() - started
    assert took <= TOTAL_S + SLACK_S, took
    assert "llm_total_timeout_s = 3 s" in str(info.value), str(info.value)
    assert "did not answer in time" in str(info.value)
    assert len(llm_server.chat_requests) == 1  # the one try had the whole total


def test_tries_share_the_total(llm_server: LLMServer) -> None:  # noqa: F811
    """Each try is cut at llm_timeout_s, and all of them together at the total."""
    llm_server.default = SILENT
    client = LLMClient(config(llm_server, timeout_s=1.0))
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="gave up after [23] of 4 attempts"):
        client.chat(MESSAGES)
    assert time.monotonic() - started <= TOTAL_S + SLACK_S
    assert 2 <= len(llm_server.chat_requests) <= 3


def _work(tmp_path: Path, rel: str) -> Work:
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ORIGINAL)
    return Work(Target(file=rel, qualname="dedupe", span=(1, 6)), ORIGINAL)


def test_a_silent_endpoint_costs_the_run_one_total(llm_server: LLMServer,  # noqa: F811
                                                   tmp_path: Path) -> None:
    """The first request gives up within the total and the guard turns the model off: the
    run's later model calls (the candidates of two targets) wait for nothing."""
    llm_server.default = SILENT
    warnings: list[str] = []
    model = Generator(LLMClient(config(llm_server, project=tmp_path)), warnings.append)
    works = [_work(tmp_path, "a/one.py"), _work(tmp_path, "b/two.py")]
    started = time.monotonic()
    assert model.stress_code(works[0], "- a real call: (list of 9 (int in 0..3))") is None
    for work in works:
        assert model.candidates(work, (), (), StressSuite(work.target)) == []
    took = time.monotonic() - started
    assert took <= TOTAL_S + SLACK_S, took
    assert model.disabled and len(llm_server.chat_requests) == 1
    assert len(warnings) == 1 and "llm_total_timeout_s" in warnings[0], warnings


def test_a_secret_looking_file_is_withheld_alone(llm_server: LLMServer,  # noqa: F811
                                                 tmp_path: Path) -> None:
    llm_server.default = Reply(f"Faster:\n\n```python\n{FAST}```\n")
    warnings: list[str] = []
    model = Generator(LLMClient(config(llm_server, project=tmp_path)), warnings.append)
    secret, plain = _work(tmp_path, "app/secret_store.py"), _work(tmp_path, "app/util.py")
    for _ in range(2):  # asked twice (stress code, candidates): noted once
        assert model.stress_code(secret, "- a real call: (list of 9 (int in 0..3))") is None
        assert model.candidates(secret, (), (), StressSuite(secret.target)) == []
    found = model.candidates(plain, (), (), StressSuite(plain.target))
    assert [c.source for c in found] == [FAST]
    assert not model.disabled
    assert len(warnings) == 1, warnings
    assert "not sending app/secret_store.py" in warnings[0] and WITHHELD in warnings[0]
    (sent,) = llm_server.chat_requests
    assert "app/util.py" in sent.text and "secret_store" not in sent.text
