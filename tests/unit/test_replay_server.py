"""bench/replay_server.py: serves the recorded PIE generations by the slow program in the
prompt, through the real openai client (what perfopt's LLMClient sends)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import replay_server  # noqa: E402

from perfopt.llm.client import LLMClient, ModelConfig  # noqa: E402

pytestmark = pytest.mark.skipif(not replay_server.GENERATIONS.is_file(),
                                reason="the shared pie-llm data set is not here")


def prompt(code: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "You are a performance engineer."},
            {"role": "user", "content": f"Make this Python program faster.\n\nFile: slow.py\n"
                                        f"\n```python\n{code}\n```\n\n## Contract\n..."}]


def test_serves_each_generation_of_the_program_in_turn():
    gens = replay_server.load()
    assert sum(map(len, gens.values())) == 244
    rows = next(rows for rows in gens.values() if len(rows) == 2)
    with_two = rows[0]["slow_code"]
    server = replay_server.ReplayServer(gens).start()
    try:
        client = LLMClient(ModelConfig(model="pie-replay", base_url=server.base_url,
                                       cache=False))
        first, second, third = (client.chat(prompt(with_two))[0] for _ in range(3))
        other = client.chat([{"role": "user", "content": "Find the inputs that make this "
                                                          "program slowest."}])[0]
        unknown = client.chat(prompt("print(42)"))[0]
    finally:
        server.close()
    codes = [r["generated_code"].strip() for r in rows]
    assert codes[0] in first and codes[1] in second and codes[0] in third
    assert "```" not in other and "```" not in unknown
    assert server.requests == {"candidate": 3, "other": 1, "candidate, unknown program": 1}
    assert len(server.served) == 3
