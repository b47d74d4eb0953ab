"""The client's caps (max_model_calls, max_cost_usd, token_budget) against the real local
server: the request past a cap is never sent, and the error names the setting to raise."""

from __future__ import annotations

import pytest

from perfopt.llm.client import BudgetExceeded, LLMClient, ModelConfig
from tests.llm_server import Reply

HELLO = [{"role": "user", "content": "hello"}]


def client(url: str, **caps: object) -> LLMClient:
    return LLMClient(ModelConfig(model="test-model", base_url=url, cache=False, **caps))


@pytest.mark.parametrize(("caps", "setting"), [
    ({"max_model_calls": 2}, "max_model_calls"),
    ({"max_cost_usd": 0.05, "price_per_mtok_in": 1000.0, "price_per_mtok_out": 1000.0},
     "max_cost_usd"),  # 30 tokens at $1000/Mtok: $0.03 a call, over $0.05 after two
    ({"token_budget": 60}, "token_budget"),
], ids=["calls", "cost", "tokens"])
def test_cap_stops_the_next_call(llm_server, caps, setting):
    llm_server.default = Reply("hi")
    c = client(llm_server.base_url, **caps)
    assert c.chat(HELLO) == ["hi"] and c.chat(HELLO) == ["hi"]
    with pytest.raises(BudgetExceeded, match=setting):
        c.chat(HELLO)
    assert len(llm_server.chat_requests) == 2
    assert c.usage.to_dict()["requests"] == 2


def test_no_cap_by_default(llm_server):
    llm_server.default = Reply("hi")
    c = client(llm_server.base_url)
    for _ in range(5):
        c.chat(HELLO)
    assert len(llm_server.chat_requests) == 5
    assert "cost_usd" not in c.usage.to_dict()
