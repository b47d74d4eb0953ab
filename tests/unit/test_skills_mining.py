"""Mining against the real local OpenAI-compatible test server: cards load, duplicates merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perfopt.errors import UserError
from perfopt.llm.client import LLMClient, ModelConfig
from perfopt.skills.library import load_skills
from perfopt.skills.mining import MineReport, card_text, mine
from tests.llm_server import LLMServer, Reply, llm_server  # noqa: F401


def card(card_id: str, title: str, mechanism: str) -> str:
    return f"""Here is the card.

```markdown
---
id: {card_id}
kind: operator
languages: [python]
title: {title}
mechanism: {mechanism}
triggers: [a loop]
example:
  before: |
    x = slow()
  after: |
    x = fast()
pitfalls: [none known]
impact: 3
---
Notes.
```
"""


REPLIES = [
    card(
        "modular-reduction-in-loop",
        "Reduce modulo inside the product loop",
        "Keeping the running product below the modulus keeps big-int multiplication cheap.",
    ),
    "NONE",
    # a duplicate of a built-in card (same id): merged, not added
    card("list-pop0-to-deque", "Use a deque for FIFO queues", "popleft is O(1)."),
    card(
        "swap-two-sorts-for-key",
        "Sort with one composite key instead of two passes",
        "One sort with a tuple key replaces a sort followed by a stable re-sort.",
    ),
    # near-duplicate of the first mined card (same title): merged into it
    card(
        "reduce-mod-every-step",
        "Reduce modulo inside the product loop",
        "Keeping the running product below the modulus keeps big-int multiplication cheap.",
    ),
]


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    rows = [
        {
            "problem_id": f"p{i}",
            "submission_id_v0": f"s{i}a",
            "submission_id_v1": f"s{i}b",
            "runtime_lift": 2.0,
            "slow_code": f"x = {i}\nprint(x)\n",
            "fast_code": f"print({i})\n",
        }
        for i in range(5)
    ]
    path = tmp_path / "pairs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def client_for(server: LLMServer) -> LLMClient:
    return LLMClient(
        ModelConfig(
            model="test-model",
            base_url=server.base_url,
            cache=False,
            backoff_s=0.01,
            timeout_s=5.0,
            attempts=2,
        )
    )


def test_mine_five_pairs(llm_server: LLMServer, pairs: Path, tmp_path: Path) -> None:  # noqa: F811
    replies = iter(REPLIES)
    llm_server.default = lambda _request: Reply(next(replies))
    out = tmp_path / "mined"
    report = mine(pairs, client_for(llm_server), out)
    assert isinstance(report, MineReport)
    assert report.added == ("modular-reduction-in-loop", "swap-two-sorts-for-key")
    assert report.skipped == ("PIE p1 s1a->s1b",)
    assert report.merged == (
        ("list-pop0-to-deque", "PIE p2 s2a->s2b"),
        ("modular-reduction-in-loop", "PIE p4 s4a->s4b"),
    )
    # the new cards load and validate through the library, next to the built-in ones
    skills = {s.id: s for s in load_skills((str(out),))}
    assert skills["swap-two-sorts-for-key"].source == "PIE p3 s3a->s3b"
    assert skills["modular-reduction-in-loop"].source == "PIE p0 s0a->s0b; PIE p4 s4a->s4b"
    assert not (out / "reduce-mod-every-step.md").exists()
    merged = [json.loads(x) for x in (out / "merged.jsonl").read_text().splitlines()]
    assert merged == [{"skill_id": "list-pop0-to-deque", "source": "PIE p2 s2a->s2b"}]
    # the prompt carried the diff and the known skills
    sent = llm_server.chat_requests[0].messages[-1]["content"]
    assert "-x = 0" in sent and "+print(0)" in sent and "list-pop0-to-deque:" in sent


def test_invalid_card_is_rejected(llm_server: LLMServer, pairs: Path, tmp_path: Path) -> None:  # noqa: F811
    llm_server.default = Reply(card("Bad Id", "t", "m").replace("kind: operator", "kind: magic"))
    report = mine(pairs, client_for(llm_server), tmp_path / "o", limit=1)
    assert report.added == () and "'kind'" in report.rejected[0][1]


def test_card_text_and_bad_pairs(tmp_path: Path) -> None:
    assert card_text("NONE.") is None
    assert card_text("---\nid: a\n---\n").startswith("---\nid: a")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"slow_code": "x"}\n')
    with pytest.raises(UserError, match="'slow_code' and 'fast_code'"):
        mine(bad, None, tmp_path / "o")
