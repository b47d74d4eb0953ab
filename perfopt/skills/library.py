"""The skill library: Markdown cards with YAML front matter, validated into `Skill` once.

Cards ship as package data (perfopt/skills/cards/<language>/<id>.md); `extra_paths` adds
folders (searched recursively) or single card files from the user.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from perfopt.errors import UserError
from perfopt.models import Skill

KINDS = ("operator", "meta")
LANGUAGES = ("python", "cpp")
_REQUIRED = ("id", "kind", "languages", "title", "mechanism")
_KNOWN = {
    *_REQUIRED,
    "triggers",
    "example",
    "pitfalls",
    "codemod",
    "impact",
    "source",
}


def load_skills(extra_paths: tuple[str, ...] = ()) -> tuple[Skill, ...]:
    """Every card (built-in first, then `extra_paths`), sorted by id within each origin."""
    return _load(tuple(extra_paths))


def get_skill(skill_id: str, extra_paths: tuple[str, ...] = ()) -> Skill:
    skills = {s.id: s for s in load_skills(extra_paths)}
    if skill_id in skills:
        return skills[skill_id]
    close = difflib.get_close_matches(skill_id, list(skills), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "run `perfopt skills list`"
    raise UserError(f"unknown skill '{skill_id}'; {hint}")


def card_body(skill_id: str, extra_paths: tuple[str, ...] = ()) -> str:
    """The free Markdown explanation below a card's front matter."""
    for name, text in _card_texts(tuple(extra_paths)):
        front, body = _split(text, name)
        if isinstance(front, dict) and front.get("id") == skill_id:
            return body.strip()
    get_skill(skill_id, extra_paths)  # raises with close matches
    return ""


@functools.lru_cache(maxsize=8)
def _load(extra_paths: tuple[str, ...]) -> tuple[Skill, ...]:
    skills: list[Skill] = []
    seen: dict[str, str] = {}
    for name, text in _card_texts(extra_paths):
        skill = parse_card(text, name)
        if skill.id in seen:
            raise UserError(f"skill id '{skill.id}' is defined twice: {seen[skill.id]} and {name}")
        seen[skill.id] = name
        skills.append(skill)
    return tuple(skills)


def _card_texts(extra_paths: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    root = resources.files("perfopt.skills") / "cards"
    for language in sorted(p.name for p in root.iterdir() if p.is_dir()):
        folder = root / language
        for card in sorted(
            (p for p in folder.iterdir() if p.name.endswith(".md")), key=lambda p: p.name
        ):
            yield f"cards/{language}/{card.name}", card.read_text(encoding="utf-8")
    for extra in extra_paths:
        path = Path(extra)
        if path.is_file():
            files = [path]
        elif path.is_dir():
            files = sorted(path.rglob("*.md"))
        else:
            raise UserError(f"skills path {extra} does not exist; fix `skills_paths`")
        for file in files:
            yield str(file), file.read_text(encoding="utf-8")


def _split(text: str, name: str) -> tuple[Any, str]:
    import yaml

    if not text.startswith("---"):
        raise UserError(f"skill card {name} must start with '---' and YAML front matter")
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise UserError(f"skill card {name}: front matter is not closed by a '---' line")
    try:
        front = yaml.safe_load(parts[0][3:])
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f" near line {line + 2}" if line is not None else ""
        raise UserError(f"skill card {name}: invalid YAML{where}") from exc
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    return front, body


def _strings(front: dict[str, Any], key: str, name: str) -> tuple[str, ...]:
    value = front.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise UserError(f"skill card {name}: field '{key}' must be a list of strings")
    return tuple(value)


def _text(front: dict[str, Any], key: str, name: str, required: bool = False) -> str:
    value = front.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise UserError(f"skill card {name}: field '{key}' must be a non-empty string")
    return value.strip()


def parse_card(text: str, name: str) -> Skill:
    """Validate one card's text into a `Skill`; `name` is used in error messages."""
    front, _ = _split(text, name)
    if not isinstance(front, dict):
        raise UserError(f"skill card {name}: front matter must be a YAML mapping")
    for key in _REQUIRED:
        if key not in front:
            raise UserError(f"skill card {name}: missing field '{key}'")
    unknown = sorted(set(front) - _KNOWN)
    if unknown:
        raise UserError(
            f"skill card {name}: unknown field '{unknown[0]}'; valid: {', '.join(sorted(_KNOWN))}"
        )
    skill_id = _text(front, "id", name, required=True)
    stem = Path(name).stem
    if skill_id != stem:
        raise UserError(f"skill card {name}: field 'id' ({skill_id}) must match the file name")
    kind = _text(front, "kind", name, required=True)
    if kind not in KINDS:
        raise UserError(f"skill card {name}: field 'kind' must be one of {', '.join(KINDS)}")
    languages = _strings(front, "languages", name)
    if not languages or any(lang not in LANGUAGES for lang in languages):
        raise UserError(
            f"skill card {name}: field 'languages' must list some of {', '.join(LANGUAGES)}"
        )
    example = front.get("example", {}) or {}
    if not isinstance(example, dict) or set(example) - {"before", "after"}:
        raise UserError(f"skill card {name}: field 'example' must hold 'before' and 'after'")
    before, after = example.get("before", ""), example.get("after", "")
    if not isinstance(before, str) or not isinstance(after, str):
        raise UserError(f"skill card {name}: field 'example' must hold code strings")
    codemod = front.get("codemod")
    if codemod is not None:
        from perfopt.skills.codemods import CODEMODS

        if codemod not in CODEMODS:
            raise UserError(
                f"skill card {name}: field 'codemod' names unknown codemod '{codemod}'; "
                f"valid: {', '.join(sorted(CODEMODS))}"
            )
    impact = front.get("impact", 1.0)
    if isinstance(impact, bool) or not isinstance(impact, (int, float)) or impact <= 0:
        raise UserError(f"skill card {name}: field 'impact' must be a positive number")
    return Skill(
        id=skill_id,
        kind=kind,
        languages=languages,
        title=_text(front, "title", name, required=True),
        mechanism=_text(front, "mechanism", name, required=True),
        triggers=_strings(front, "triggers", name),
        example_before=before.rstrip() + "\n" if before.strip() else "",
        example_after=after.rstrip() + "\n" if after.strip() else "",
        pitfalls=_strings(front, "pitfalls", name),
        codemod=codemod,
        impact=float(impact),
        source=_text(front, "source", name),
    )
