"""The reply corpus of tests/unit/llm_replies: replies written in the manner of several
model families (GPT-4-class terse code, Claude-class prose around code, Qwen-Coder,
DeepSeek-R1 with <think> blocks, a small local model that rambles, refuses or is cut at
max_tokens), each with its expected parse.

- `FUNCTION`: candidate replies for `dedupe` (orig_dedupe.txt), from cases.json: a gold
  file, or `error`, a part of the named rejection.
- `PROGRAM`: whole-program replies for programs/orig_mode.txt (programs/cases.json).
- `STRESS`: replies to the stress prompts (stress/cases.json): `generate` says whether a
  generate() block is to be found; `kind` is the prompt (function or program).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parent / "unit" / "llm_replies"


@dataclass(frozen=True)
class Case:
    name: str
    reply: str
    gold: str | None  # the expected code, or None for a rejection
    error: str | None  # a part of the rejection's reason
    extra: dict


def _load(folder: Path, gold_name: str) -> dict[str, Case]:
    cases = json.loads((folder / "cases.json").read_text(encoding="utf-8"))
    out = {}
    for name, case in cases.items():
        gold = folder / gold_name.format(name=name)
        out[name] = Case(name, (folder / f"{name}.reply.md").read_text(encoding="utf-8"),
                         gold.read_text(encoding="utf-8") if gold.exists() else None,
                         case.get("error"), case)
    return out


FUNCTION = {n: c for n, c in _load(ROOT, "{name}.gold.txt").items()
            if c.extra["original"] == "orig_dedupe.txt"}
DEDUPE = (ROOT / "orig_dedupe.txt").read_text(encoding="utf-8")
PROGRAM = _load(ROOT / "programs", "{name}.gold.txt")
MODE = (ROOT / "programs" / "orig_mode.txt").read_text(encoding="utf-8")
STRESS = _load(ROOT / "stress", "{name}.gold.txt")
