"""extract_code against stored reply transcripts (tests/unit/llm_replies/cases.json)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from perfopt.llm.parse import ReplyError, extract_code, extract_program, fenced_blocks

REPLIES = Path(__file__).parent / "llm_replies"
CASES = json.loads((REPLIES / "cases.json").read_text(encoding="utf-8"))


def _run(name: str) -> str:
    case = CASES[name]
    module = case.get("module")
    return extract_code(
        (REPLIES / f"{name}.reply.md").read_text(encoding="utf-8"),
        (REPLIES / case["original"]).read_text(encoding="utf-8"),
        case["qualname"],
        module_source=(REPLIES / module).read_text(encoding="utf-8") if module else None,
    )


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if "error" not in c))
def test_reply_matches_gold(name: str) -> None:
    assert _run(name) == (REPLIES / f"{name}.gold.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if "error" in c))
def test_unusable_reply_says_why(name: str) -> None:
    with pytest.raises(ReplyError) as info:
        _run(name)
    assert CASES[name]["error"] in info.value.reason


def test_every_transcript_has_a_case() -> None:
    stored = {p.name.removesuffix(".reply.md") for p in REPLIES.glob("*.reply.md")}
    assert stored == set(CASES)


def test_whole_file_reply_keeps_needed_import_only() -> None:
    out = _run("whole_file")
    assert out.startswith("from bisect import bisect_right\n\n\ndef bucket(")
    # the rest of the file, already in the module, is not copied again
    assert "def clamp" not in out and "def spread" not in out and "import math" not in out
    assert "THRESHOLDS = " not in out and "from typing" not in out


def test_method_reply_drops_the_class_keeps_the_import() -> None:
    out = _run("method_in_class")
    assert out.startswith("import bisect\n\n\ndef lookup(self, values, *, strict=False):\n")
    assert "class Bins" not in out and "__init__" not in out


def test_indentation_of_the_original_is_kept() -> None:
    assert _run("method_dedented").startswith("    def lookup(self, values, *, strict=False):")


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if "error" not in c))
def test_gold_swaps_into_its_module(name: str) -> None:
    """The shape extract_code returns is what languages.python.replace_function takes."""
    from perfopt.languages.python import replace_function

    case = CASES[name]
    original = textwrap.dedent((REPLIES / case["original"]).read_text(encoding="utf-8"))
    if "module" in case:
        module = (REPLIES / case["module"]).read_text(encoding="utf-8")
    elif "." in case["qualname"]:
        cls = case["qualname"].split(".")[0]
        module = f"class {cls}:\n    bounds = [1, 2]\n\n" + textwrap.indent(original, "    ")
    else:
        module = original
    gold = textwrap.dedent((REPLIES / f"{name}.gold.txt").read_text(encoding="utf-8"))
    new_module = replace_function(module, case["qualname"], gold)
    compile(new_module, name, "exec")
    assert gold.strip().splitlines()[-1].strip() in new_module
    assert new_module != module


def test_diff_that_does_not_apply_is_refused() -> None:
    original = (REPLIES / "orig_dedupe.txt").read_text(encoding="utf-8")
    reply = "```diff\n@@ -1,2 +1,2 @@\n-    total = 0\n+    total = 1\n     return total\n```"
    with pytest.raises(ReplyError, match="does not apply"):
        extract_code(reply, original, "dedupe")


def test_default_value_change_is_a_signature_change() -> None:
    reply = "```python\ndef f(a, b=2):\n    return a + b\n```"
    with pytest.raises(ReplyError, match="defaults"):
        extract_code(reply, "def f(a, b=1):\n    return a + b\n", "f")


def test_annotations_may_change() -> None:
    reply = "```python\ndef f(a: int, b: int = 1) -> int:\n    return b + a\n```"
    assert "return b + a" in extract_code(reply, "def f(a, b=1):\n    return a + b\n", "f")


def test_program_and_blocks() -> None:
    reply = "text\n```cpp\nint main(){return 1;}\n```\n```cpp\nint main(){return 0;}\n```"
    assert extract_program(reply, "cpp") == "int main(){return 0;}\n"
    assert [tag for tag, _ in fenced_blocks(reply)] == ["cpp", "cpp"]
    with pytest.raises(ReplyError, match="does not parse"):
        extract_program("```python\ndef (:\n```", "python")
    with pytest.raises(ReplyError, match="no fenced"):
        extract_program("no code here", "cpp")
