"""Retrieval: which skill cards fit this code, and why.

Three kinds of evidence, strongest first: detector hits whose ids a card lists in its
`triggers`, profile signals (`signal:io-bound`, ...) a card lists, and BM25 similarity
between the code's tokens and the card's text and example. Every score comes with the
reasons that produced it, so a plan can be explained line by line.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from perfopt.models import Hotspot, Skill

DETECTOR_WEIGHT = 3.0  # one distinct detector id named by the card
EXTRA_HIT_WEIGHT = 0.25  # each further hit of the same detector (capped)
HOT_LINE_BONUS = 1.0  # a hit on a line the profile says is hot
HOT_LINE_MIN_SHARE = 0.2  # of the function's samples: a line below it is not "hot"
SIGNAL_WEIGHT = 2.0
BM25_WEIGHT = 1.0  # the best BM25 score in a query maps to this weight
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+|[^\sA-Za-z0-9_]{1,2}")
_STOP = frozenset({"the", "a", "an", "of", "to", "in", "is", "and", "or", "for", "it", "on"})


@dataclass(frozen=True)
class Ranked:
    skill: Skill
    score: float
    reasons: tuple[str, ...]


def tokens(text: str) -> list[str]:
    """Code and prose tokens: identifiers split on '_' and case, numbers, short operators."""
    out: list[str] = []
    for tok in _TOKEN.findall(text):
        if tok[0].isalpha() or tok[0] == "_":
            parts = [p for p in re.split(r"_|(?<=[a-z])(?=[A-Z])", tok) if p]
            out.extend(p.lower() for p in parts if p.lower() not in _STOP)
            if len(parts) > 1:
                out.append(tok.lower())
        else:
            out.append(tok)
    return out


def _card_text(skill: Skill) -> str:
    return " ".join((skill.title, skill.mechanism, " ".join(skill.triggers), skill.example_before))


@functools.lru_cache(maxsize=8)
def _index(skills: tuple[Skill, ...]) -> Any:  # a rank_bm25.BM25Okapi (untyped)
    from rank_bm25 import BM25Okapi

    return BM25Okapi([tokens(_card_text(s)) or ["_"] for s in skills])


def _skills(language: str, extra_paths: tuple[str, ...]) -> tuple[Skill, ...]:
    from perfopt.skills.library import load_skills

    return tuple(s for s in load_skills(tuple(extra_paths)) if language in s.languages)


def rank(
    source: str,
    language: str,
    signals: tuple[str, ...] = (),
    k: int = 5,
    extra_paths: tuple[str, ...] = (),
    hot_lines: tuple[int, ...] = (),
) -> list[Ranked]:
    """The `k` best cards for `source` (ties broken by impact, then id); `hot_lines` are
    1-based lines of `source` that the profile marks as hot."""
    from perfopt.skills.detectors import detect, detectors

    skills = _skills(language, tuple(extra_paths))
    if not skills:
        return []
    hits = detect(source, language)
    weights = {d.id: d.weight for d in detectors(language)}
    by_detector: dict[str, list[int]] = {}
    for hit in hits:
        by_detector.setdefault(hit.detector_id, []).append(hit.line)
    snippets = {(h.detector_id, h.line): h.snippet for h in hits}
    bm25 = _index(skills).get_scores(tokens(source))
    top = max(bm25) if len(bm25) else 0.0
    wanted = {s if s.startswith("signal:") else f"signal:{s}" for s in signals}
    ranked = []
    for skill, text_score in zip(skills, bm25, strict=True):
        score, reasons = 0.0, []
        for trigger in skill.triggers:
            lines = by_detector.get(trigger)
            if lines:
                hot = [ln for ln in lines if ln in hot_lines]
                weight = weights.get(trigger, 1.0)
                score += weight * (DETECTOR_WEIGHT + EXTRA_HIT_WEIGHT * min(len(lines) - 1, 4))
                score += HOT_LINE_BONUS if hot else 0.0
                first = hot[0] if hot else lines[0]
                where = f"line {first}" + (" (hot)" if hot else "")
                reasons.append(f"{trigger} at {where}: {snippets[(trigger, first)]}")
            elif trigger in wanted:
                score += SIGNAL_WEIGHT
                reasons.append(f"profile signal {trigger}")
        if top > 0 and text_score > 0:
            share = float(text_score) / float(top)
            score += BM25_WEIGHT * share
            if share >= 0.5:
                reasons.append(f"text similarity {share:.2f}")
        ranked.append(Ranked(skill, round(score, 4), tuple(reasons)))
    ranked.sort(key=lambda r: (-r.score, -r.skill.impact, r.skill.id))
    return ranked[:k]


def signals_of(hotspot: Hotspot | None) -> tuple[str, ...]:
    """Profile signals a hotspot carries: where its time goes."""
    if hotspot is None:
        return ()
    found = []
    if hotspot.total_share > 0 and hotspot.self_share / hotspot.total_share < 0.5:
        found.append("signal:callee-bound")  # most time below it, in callees
    if hotspot.self_share >= 0.5:
        found.append("signal:interpreter-bound")
    if hotspot.calls is not None and hotspot.calls > 10_000:
        found.append("signal:many-calls")
    return tuple(found)


def plan(
    source: str,
    hotspot: Hotspot | None = None,
    language: str = "python",
    k: int = 5,
    extra_paths: tuple[str, ...] = (),
) -> list[Skill]:
    """Skills worth trying on `source` (a definition or a program): the `k` best-ranked
    cards, ordered by expected impact (evidenced cards first, then text matches)."""
    if hotspot is not None:
        language = hotspot.target.language or language
    hot: tuple[int, ...] = ()
    if hotspot is not None and hotspot.target.span is not None and hotspot.hot_lines:
        first = hotspot.target.span[0]
        # only lines holding a real share: a line sampled a few times in one run and not
        # the next would swap cards, and with them the prompt (the cache key's plan is
        # chosen without the profile: skills.plan.diagnose)
        hot = tuple(line - first + 1 for line, share in hotspot.hot_lines
                    if share >= HOT_LINE_MIN_SHARE)
    ranked = rank(
        source, language, signals_of(hotspot), k=k, extra_paths=extra_paths, hot_lines=hot
    )
    # the k best-supported cards, tried biggest expected win first; cards with detector or
    # signal evidence go before cards that only resemble the code
    ranked.sort(key=lambda r: (r.score <= BM25_WEIGHT, -r.skill.impact, -r.score, r.skill.id))
    return [r.skill for r in ranked if r.score > 0]


def search(
    text: str, k: int = 5, language: str | None = None, extra_paths: tuple[str, ...] = ()
) -> list[Ranked]:
    """Cards matching free text (a symptom, an idea, a detector id), for `perfopt skills
    search TEXT`."""
    from perfopt.skills.library import load_skills

    skills = tuple(
        s for s in load_skills(tuple(extra_paths)) if language is None or language in s.languages
    )
    if not skills:
        return []
    scores = _index(skills).get_scores(tokens(text))
    needle = text.strip().lower()
    ranked = []
    for skill, score in zip(skills, scores, strict=True):
        reasons = []
        value = float(score)
        if needle and (needle == skill.id or needle in skill.triggers):
            value += 100.0
            reasons.append("exact id or trigger")
        if value > 0:
            reasons.append(f"bm25 {float(score):.2f}")
            ranked.append(Ranked(skill, round(value, 4), tuple(reasons)))
    ranked.sort(key=lambda r: (-r.score, r.skill.id))
    return ranked[:k]
