"""Mining: turn slow/fast pairs into new skill cards with a model, without duplicates.

Each pair's diff goes to the model (prompt `mine_skill`); the reply's card is validated by
`library.parse_card`, then compared with the cards we have (built-in, `existing`, and those
mined earlier in the same run). A card with a known id, or whose text is close to a known
card's, is merged: the pair is recorded as one more source of that card instead of adding
a near-copy. New cards are written to `out_dir/<id>.md`; merges into built-in cards, which
are package data, go to `out_dir/merged.jsonl` for a human to fold in.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfopt.errors import UserError
from perfopt.models import Skill

SIMILARITY_THRESHOLD = 0.6  # token Jaccard of title + mechanism above this = same idea
TITLE_THRESHOLD = 0.85  # difflib ratio of lower-cased titles
MAX_DIFF_CHARS = 6000
_FENCE = re.compile(r"```(?:markdown|md|yaml)?\s*\n(---\n.*?)```", re.DOTALL)


@dataclass(frozen=True)
class MineReport:
    added: tuple[str, ...] = ()  # ids of cards written to out_dir
    merged: tuple[tuple[str, str], ...] = ()  # (existing skill id, pair reference)
    skipped: tuple[str, ...] = ()  # pair references the model called NONE
    rejected: tuple[tuple[str, str], ...] = ()  # (pair reference, why the card was refused)


def _pairs(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(
            f"cannot read pairs file {path}: {exc.strerror}; pass a JSONL file"
        ) from exc
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{n}: not JSON ({exc.msg}); one pair object per line") from exc
        if not {"slow_code", "fast_code"} <= set(row):
            raise UserError(f"{path}:{n}: a pair needs 'slow_code' and 'fast_code'")
        rows.append(row)
    return rows


def pair_ref(row: dict[str, Any]) -> str:
    parts = [str(row.get(k, "")) for k in ("problem_id", "submission_id_v0", "submission_id_v1")]
    if any(parts):
        return f"PIE {parts[0]} {parts[1]}->{parts[2]}"
    return f"pair {row.get('id', '?')}"


def _diff(row: dict[str, Any]) -> str:
    lines = difflib.unified_diff(
        row["slow_code"].splitlines(), row["fast_code"].splitlines(), "slow", "fast", lineterm=""
    )
    text = "\n".join(lines)
    return text if len(text) <= MAX_DIFF_CHARS else text[:MAX_DIFF_CHARS] + "\n[... cut ...]"


def _known(skills: list[Skill]) -> str:
    return "\n".join(f"- {s.id}: {s.title}" for s in skills) or "(none yet)"


def card_text(reply: str) -> str | None:
    """The card in a reply (fenced or bare front matter), or None for NONE."""
    if reply.strip().upper().rstrip(".") == "NONE":
        return None
    match = _FENCE.search(reply)
    if match:
        return match.group(1).rstrip() + "\n"
    stripped = reply.strip()
    return stripped + "\n" if stripped.startswith("---") else ""


def _with_source(text: str, source: str) -> tuple[str, str]:
    """(card id, the card text with `source` set), keeping the body."""
    import yaml

    head, _, body = text.partition("\n---")
    front = yaml.safe_load(head[3:]) if head.startswith("---") else None
    if not isinstance(front, dict) or not isinstance(front.get("id"), str):
        raise UserError("the card has no YAML front matter with an 'id'")
    front["source"] = source
    dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=96)
    rest = body.split("\n", 1)[1] if "\n" in body else ""
    return front["id"], f"---\n{dumped}---\n{rest}"


def _words(skill: Skill) -> set[str]:
    from perfopt.skills.retrieval import tokens

    return set(tokens(f"{skill.title} {skill.mechanism}"))


def similar(new: Skill, known: list[Skill]) -> Skill | None:
    """The known card that `new` duplicates (same id, near-same title or text), if any."""
    words = _words(new)
    for skill in known:
        if skill.id == new.id:
            return skill
        ratio = difflib.SequenceMatcher(None, new.title.lower(), skill.title.lower()).ratio()
        other = _words(skill)
        jaccard = len(words & other) / max(1, len(words | other))
        if ratio >= TITLE_THRESHOLD or jaccard >= SIMILARITY_THRESHOLD:
            return skill
    return None


def mine(
    pairs_path: str | Path,
    client: Any,
    out_dir: str | Path,
    existing: tuple[Skill, ...] | None = None,
    language: str = "python",
    limit: int | None = None,
) -> MineReport:
    """Ask the model to explain each pair as a card; write new cards, merge duplicates."""
    from perfopt.llm.engine import ask
    from perfopt.skills.library import load_skills, parse_card

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    known = list(load_skills() if existing is None else existing)
    builtin = {s.id for s in known}
    mined: dict[str, Path] = {}
    added: list[str] = []
    merged: list[tuple[str, str]] = []
    skipped: list[str] = []
    rejected: list[tuple[str, str]] = []
    rows = _pairs(Path(pairs_path))[: limit if limit is not None else None]
    for row in rows:
        ref = pair_ref(row)
        reply = ask(
            client,
            "mine_skill",
            language="C++" if language == "cpp" else "Python",
            language_id=language,
            subject=_subject(row),
            diff=_diff(row),
            known_skills=_known(known),
        )
        text = card_text(reply)
        if text is None:
            skipped.append(ref)
            continue
        try:
            card_id, text = _with_source(text, ref)
            skill = parse_card(text, f"{card_id}.md")
        except UserError as exc:
            rejected.append((ref, str(exc)))
            continue
        if language not in skill.languages:
            rejected.append((ref, f"card is for {', '.join(skill.languages)}, not {language}"))
            continue
        twin = similar(skill, known)
        if twin is not None:
            merged.append((twin.id, ref))
            _record_merge(out, twin.id, ref, mined.get(twin.id), builtin)
            continue
        path = out / f"{skill.id}.md"
        path.write_text(text, encoding="utf-8")
        mined[skill.id] = path
        known.append(skill)
        added.append(skill.id)
    return MineReport(tuple(added), tuple(merged), tuple(skipped), tuple(rejected))


def _subject(row: dict[str, Any]) -> str:
    lift = row.get("runtime_lift")
    speed = f", {float(lift):.1f}x faster" if isinstance(lift, (int, float)) else ""
    return f"{pair_ref(row)}{speed}"


def _record_merge(
    out: Path, skill_id: str, ref: str, mined_path: Path | None, builtin: set[str]
) -> None:
    if mined_path is not None and skill_id not in builtin:
        # a card mined in this run: the pair becomes one more source in its front matter
        import yaml

        text = mined_path.read_text(encoding="utf-8")
        head, _, body = text.partition("\n---")
        front = yaml.safe_load(head[3:])
        front["source"] = f"{front.get('source', '')}; {ref}".strip("; ")
        dumped = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=96)
        mined_path.write_text(f"---\n{dumped}---{body}", encoding="utf-8")
        return
    with (out / "merged.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"skill_id": skill_id, "source": ref}) + "\n")
