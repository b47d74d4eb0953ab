"""Prompt templates: strict rendering and a snapshot of what the model is sent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from perfopt.llm.client import dumps_messages
from perfopt.llm.engine import PromptContext, optimize_messages, summarize_suite
from perfopt.llm.prompts import TEMPLATES, PromptError, fields, render
from perfopt.models import Skill, StressCase, StressSuite, Target

SNAPSHOTS = Path(__file__).parent / "llm_snapshots"

DEF = '''def dedupe(items, key=None):
    out = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
'''

PLAN = (
    Skill(id="set-membership", kind="operator", languages=("python",),
          title="Membership tests on a set, not a list",
          mechanism="`x in list` scans the list; a set answers in O(1) on average.",
          pitfalls=("elements must be hashable",)),
    Skill(id="bind-locals", kind="operator", languages=("python",),
          title="Bind hot attribute lookups to locals",
          mechanism="`out.append` looked up once instead of per iteration."),
)


def sample_prompt() -> str:
    target = Target(file="src/util.py", qualname="dedupe", span=(10, 15))
    suite = StressSuite(target=target, complexity=1.98, cases=(
        StressCase("c1", "captured", "c1.pkl", size=100, cost=0.0004),
        StressCase("s1", "scaled", "s1.pkl", size=10_000, cost=1.2, note="all distinct"),
    ))
    context = PromptContext(file="src/util.py", qualname="dedupe",
                            hot_lines=((13, 0.81), (14, 0.12)),
                            stress_summary=summarize_suite(suite), plan=PLAN)
    return dumps_messages(optimize_messages(target, DEF, context))


def test_optimize_prompt_snapshot() -> None:
    snapshot = SNAPSHOTS / "optimize_dedupe.txt"
    text = sample_prompt()
    if os.environ.get("PERFOPT_UPDATE_SNAPSHOTS"):
        snapshot.write_text(text, encoding="utf-8")
    assert text == snapshot.read_text(encoding="utf-8")


def test_prompt_carries_code_hot_lines_plan_and_contract() -> None:
    text = sample_prompt()
    assert "if item not in out:" in text
    assert "line 13 (81% of the function's samples): if item not in out:" in text
    assert "[set-membership]" in text and "pitfall: elements must be hashable" in text
    assert "size^1.98" in text and "s1, size 10000, 1.2 s, all distinct" in text
    assert "same mutation of arguments" in text and "same exceptions" in text


def test_render_rejects_missing_variable() -> None:
    with pytest.raises(PromptError, match="missing .*reason"):
        render("fix_reply", qualname="f")


def test_render_rejects_extra_variable() -> None:
    with pytest.raises(PromptError, match="unexpected colour"):
        render("fix_reply", qualname="f", reason="x", colour="red")


def test_render_unknown_template_lists_valid_ones() -> None:
    with pytest.raises(PromptError, match="valid prompts: system, optimize"):
        render("nope")


def test_values_with_dollars_and_braces_are_literal() -> None:
    text = render("fix_reply", qualname="f", reason="saw ${x} and {y} and $$")
    assert "saw ${x} and {y} and $$" in text


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_renders_with_its_fields(name: str) -> None:
    names = fields(name)
    text = render(name, **{n: f"<{n}>" for n in names})
    assert all(f"<{n}>" in text for n in names)
    assert "$" not in text.replace("$$", "")
